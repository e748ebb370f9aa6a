-- Evaluation kept in the database: sets, cases, runs (configuration
-- snapshots) and per-case results. Views over them are in sql/idempotent/.

CREATE TABLE rag.eval_sets (
    id          int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rag.eval_cases (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    set_id            int NOT NULL REFERENCES rag.eval_sets (id) ON DELETE CASCADE,
    external_id       text,
    question          text NOT NULL CHECK (question ~ '[^[:space:]]'),
    reference_answer  text,
    relevant_document_ids bigint[] NOT NULL DEFAULT '{}',
    relevant_chunk_ids    bigint[] NOT NULL DEFAULT '{}',
    language          text,
    tenant            text,
    metadata          jsonb NOT NULL DEFAULT '{}',
    UNIQUE (set_id, external_id)
);

CREATE TABLE rag.eval_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    set_id      int NOT NULL REFERENCES rag.eval_sets (id) ON DELETE CASCADE,
    label       text,
    config      jsonb NOT NULL,   -- models, k, weights, reranker, generator, judge, code version
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    n_cases     int NOT NULL DEFAULT 0,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    error       text
);

CREATE TABLE rag.eval_results (
    run_id            bigint NOT NULL REFERENCES rag.eval_runs (id) ON DELETE CASCADE,
    case_id           bigint NOT NULL REFERENCES rag.eval_cases (id) ON DELETE CASCADE,
    retrieved_document_ids bigint[] NOT NULL,
    retrieved_chunk_ids    bigint[] NOT NULL,
    first_relevant_rank int,          -- 1-based among distinct documents; NULL = not retrieved
    ndcg_at_10        float8 NOT NULL,
    answer            text,
    supported         boolean,
    contains_reference boolean,
    token_f1          float8,
    faithfulness      float8,
    answer_relevancy  float8,
    context_precision float8,
    context_recall    float8,
    retrieval_ms      float8,
    answer_ms         float8,
    details           jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, case_id)
);
