-- Documents over their lifetime, tables kept searchable, and what analysts
-- say about answers.

-- A changed file is loaded as a new, pending version of its source: its
-- chunks are stored and embedded but not searchable (live = false) until
-- every one of them has its vectors; then, in one transaction, they become
-- live and the version they replace is deleted (rag._promote_versions).
ALTER TABLE rag.documents ADD COLUMN pending boolean NOT NULL DEFAULT false;
ALTER TABLE rag.documents ADD COLUMN replaces bigint REFERENCES rag.documents (id) ON DELETE SET NULL;
CREATE INDEX documents_tenant_source_idx ON rag.documents (tenant, source) WHERE source IS NOT NULL;
CREATE INDEX documents_replaces_idx ON rag.documents (replaces) WHERE replaces IS NOT NULL;
ALTER TABLE rag.chunks ADD COLUMN live boolean NOT NULL DEFAULT true;

-- A table kept searchable: its rows become documents (source
-- 'vectorizer:<id>:<key>'), written by triggers on the table.
CREATE TABLE rag.vectorizers (
    id            int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_table  regclass NOT NULL UNIQUE,
    key_columns   name[] NOT NULL CHECK (cardinality(key_columns) > 0),
    text_expr     text NOT NULL,              -- SQL over the row's columns
    title_expr    text,
    tenant_column name,                       -- NULL: every row in default_tenant
    default_tenant text NOT NULL DEFAULT 'default',
    metadata_expr text,                       -- SQL giving a jsonb object
    chunk_size    int NOT NULL DEFAULT 1000,
    chunk_overlap int NOT NULL DEFAULT 200,
    owner         name NOT NULL DEFAULT current_user,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Ratings of answers (rag.give_feedback): one row per rating.
CREATE TABLE rag.feedback (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    answer_id bigint NOT NULL REFERENCES rag.answer_log (id) ON DELETE CASCADE,
    rating    smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment   text CHECK (length(comment) <= 2000),
    tenant    text,                           -- the answer's (for row security)
    given_by  name NOT NULL DEFAULT current_user,
    given_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_answer_idx ON rag.feedback (answer_id);
CREATE INDEX feedback_given_at_idx ON rag.feedback (given_at);
ALTER TABLE rag.feedback ENABLE ROW LEVEL SECURITY;

-- Breakdowns per tenant and why an answer was refused.
ALTER TABLE rag.intent_log ADD COLUMN tenant text;
ALTER TABLE rag.answer_log ADD COLUMN refusal_reason text;
