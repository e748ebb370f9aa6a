-- Stages of the versioned artefacts (None → Staging → Production →
-- Archived), their history, and the promotion gate's configuration.

-- Answer prompts by name: the LLM answer path uses the one in Production.
-- The shipped prompt is seeded from py_udfs/prompts/ by the API (its text
-- is the package's); an owner may add versions of their own.
CREATE TABLE rag.answer_prompts (
    name       text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
    template   text NOT NULL CHECK (template LIKE '%{language_name}%' AND template LIKE '%{refusal}%'
                                    AND template LIKE '%{nonce}%'),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- An artefact's recorded stage. For embedding models and rerankers the
-- registries' own flags (embedding_models.active, rerankers.is_default)
-- say which one is in Production: rag.artefact_stages_current reads them,
-- and rag.transition_stage sets them.
CREATE TABLE rag.artefact_stages (
    kind       text NOT NULL CHECK (kind IN ('embedding_model', 'reranker', 'answer_prompt', 'intent_parser')),
    name       text NOT NULL,
    stage      text NOT NULL CHECK (stage IN ('None', 'Staging', 'Production', 'Archived')),
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, name)
);
CREATE UNIQUE INDEX artefact_stages_one_production ON rag.artefact_stages (kind) WHERE stage = 'Production';

CREATE TABLE rag.stage_history (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text NOT NULL,
    name       text NOT NULL,
    from_stage text NOT NULL,
    to_stage   text NOT NULL,
    forced     boolean NOT NULL DEFAULT false,
    reason     text,
    changed_by name NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    evidence   jsonb NOT NULL DEFAULT '{}'   -- the runs and metrics the gate compared
);
CREATE INDEX stage_history_artefact_idx ON rag.stage_history (kind, name, id);

-- Which evaluation sets gate which kind, on which metric, with what
-- tolerance. A candidate is blocked when its metric is worse than
-- Production's by more than the tolerance (lower for higher-is-better
-- metrics, higher for hallucination_rate).
CREATE TABLE rag.promotion_gates (
    kind      text NOT NULL CHECK (kind IN ('embedding_model', 'reranker', 'answer_prompt', 'intent_parser')),
    set_name  text NOT NULL,
    metric    text NOT NULL CHECK (metric IN ('ndcg_at_10', 'faithfulness', 'hallucination_rate',
                                              'intent_accuracy', 'refusal_f1')),
    tolerance float8 NOT NULL DEFAULT 0.01 CHECK (tolerance >= 0),
    PRIMARY KEY (kind, set_name, metric),
    CHECK ((kind = 'intent_parser') = (metric = 'intent_accuracy'))
);
