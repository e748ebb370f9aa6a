-- Intent execution: the registry of callable functions, the call log and
-- the conversation history used to resolve follow-up questions.
CREATE TABLE rag.intent_functions (
    name           text PRIMARY KEY CHECK (name ~ '^[A-Za-z][A-Za-z0-9_]*$'),
    description_es text NOT NULL,
    description_en text NOT NULL,
    -- JSON Schema of "parametros": type object, properties with type
    -- string/integer/number/boolean, "format": "date", "enum", and
    -- "x-catalog": {"table": ..., "column": ...} for values that must exist.
    parameters     jsonb NOT NULL CHECK (jsonb_typeof(parameters) = 'object'),
    target         regprocedure NOT NULL,           -- the SQL function called
    arg_names      jsonb NOT NULL DEFAULT '{}',     -- parameter name -> SQL argument name
    keywords       text[] NOT NULL DEFAULT '{}',
    examples       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(examples) = 'array'),
    read_only      boolean NOT NULL DEFAULT true,
    enabled        boolean NOT NULL DEFAULT true,
    allowed_role   name NOT NULL DEFAULT 'rag_user',
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rag.intent_log (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asked_at          timestamptz NOT NULL DEFAULT now(),
    asked_by          name NOT NULL DEFAULT current_user,
    session_id        text,
    question          text,
    reference_date    date,
    intent            jsonb,
    parser            text,
    confidence        float8,
    validation_errors text[] NOT NULL DEFAULT '{}',
    executed_function text,
    row_count         int,
    path              text,          -- 'intent', 'rag_answer' or 'rejected'
    duration_ms       float8,
    error             text
);
CREATE INDEX intent_log_asked_at_idx ON rag.intent_log (asked_at);

-- Parse accuracy over time: one row per golden-set run (make eval-intents).
CREATE TABLE rag.intent_eval_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_at      timestamptz NOT NULL DEFAULT now(),
    parser      text NOT NULL,
    cases       int NOT NULL,
    exactitud   float8 NOT NULL,
    cobertura   float8 NOT NULL,
    rechazo     float8 NOT NULL,
    median_ms   float8 NOT NULL,
    misses      jsonb NOT NULL DEFAULT '[]'
);

CREATE TABLE rag.conversation_turns (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asked_by   name NOT NULL DEFAULT current_user,
    session_id text NOT NULL,
    question   text NOT NULL,
    intent     jsonb,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversation_turns_session_idx ON rag.conversation_turns (asked_by, session_id, id DESC);
ALTER TABLE rag.intent_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.conversation_turns ENABLE ROW LEVEL SECURITY;
