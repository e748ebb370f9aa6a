-- GraphRAG: the entities chunks mention and the relations between them,
-- extracted in the background (rag.graph_queue) for the tenants that turned
-- it on (rag.graph_settings). An entity is one per tenant and normalised
-- name (rag.entity_key: case, accents, punctuation and legal suffixes
-- aside), so "Distribuidora Andina S.A." and "Distribuidora Andina" are one
-- entity whose aliases keep both spellings.
CREATE TABLE rag.graph_settings (
    tenant     text PRIMARY KEY,
    -- auto: the LLM when a chat endpoint is the default, else offline;
    -- offline: NER pipeline and rules; llm: the LLM (offline when it fails)
    extractor  text NOT NULL DEFAULT 'auto' CHECK (extractor IN ('auto', 'offline', 'llm')),
    endpoint   text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rag.entities (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant     text NOT NULL,
    key        text NOT NULL CHECK (key <> ''),
    name       text NOT NULL,            -- the spelling seen most often
    type       text NOT NULL DEFAULT 'entity',
    aliases    text[] NOT NULL DEFAULT '{}',
    model_id   int REFERENCES rag.embedding_models (id) ON DELETE SET NULL,
    embedding  vector,                   -- the name, embedded by model_id
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, key)
);

CREATE TABLE rag.mentions (
    entity_id bigint NOT NULL REFERENCES rag.entities (id) ON DELETE CASCADE,
    chunk_id  bigint NOT NULL REFERENCES rag.chunks (id) ON DELETE CASCADE,
    tenant    text NOT NULL,
    count     int NOT NULL DEFAULT 1,
    PRIMARY KEY (entity_id, chunk_id)
);
CREATE INDEX mentions_chunk_idx ON rag.mentions (chunk_id);

-- One row per relation and evidence chunk: a relation disappears with the
-- last chunk that stated it.
CREATE TABLE rag.relations (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant         text NOT NULL,
    source_id      bigint NOT NULL REFERENCES rag.entities (id) ON DELETE CASCADE,
    target_id      bigint NOT NULL REFERENCES rag.entities (id) ON DELETE CASCADE,
    type           text NOT NULL,
    weight         float8 NOT NULL DEFAULT 1 CHECK (weight > 0),
    -- the type's folded words of 4 letters or more, matched with the
    -- question's at search time without folding every relation again
    type_words     text[] NOT NULL DEFAULT '{}',
    evidence_chunk bigint NOT NULL REFERENCES rag.chunks (id) ON DELETE CASCADE,
    UNIQUE (source_id, target_id, type, evidence_chunk),
    CHECK (source_id <> target_id)
);
CREATE INDEX relations_source_idx ON rag.relations (source_id);
CREATE INDEX relations_target_idx ON rag.relations (target_id);
CREATE INDEX relations_chunk_idx ON rag.relations (evidence_chunk);

CREATE TABLE rag.graph_queue (
    chunk_id    bigint PRIMARY KEY REFERENCES rag.chunks (id) ON DELETE CASCADE,
    tenant      text NOT NULL,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    attempts    int NOT NULL DEFAULT 0,
    last_error  text
);
CREATE INDEX graph_queue_order_idx ON rag.graph_queue (enqueued_at);

ALTER TABLE rag.graph_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.entities ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.mentions ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.relations ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.graph_queue ENABLE ROW LEVEL SECURITY;
