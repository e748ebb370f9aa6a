-- Structure-aware chunks and sentence vectors.
-- A chunk knows the heading path it sits under and the page it is on, so a
-- source can be cited as "file › section" or "file p. N" and the section is
-- part of what is embedded and searched. Each chunk's sentences are embedded
-- once, by the queue worker, with the chunk: the answer's support check and
-- sentence choice then need no model call per question.
ALTER TABLE rag.chunks ADD COLUMN section text[] NOT NULL DEFAULT '{}';
ALTER TABLE rag.chunks ADD COLUMN page int;

CREATE TABLE rag.sentence_embeddings (
    chunk_id  bigint NOT NULL REFERENCES rag.chunks (id) ON DELETE CASCADE,
    model_id  int    NOT NULL REFERENCES rag.embedding_models (id) ON DELETE CASCADE,
    n         int    NOT NULL,          -- the sentence's order in its chunk
    start_at  int    NOT NULL,          -- character offsets into the chunk's content
    end_at    int    NOT NULL,
    embedding vector NOT NULL,
    tenant    text   NOT NULL,          -- the chunk's (set by a trigger), for row security
    PRIMARY KEY (chunk_id, model_id, n)
);
ALTER TABLE rag.sentence_embeddings ENABLE ROW LEVEL SECURITY;

-- Chunks embedded before this release get their sentence vectors when the
-- worker next runs: their chunk vectors are recomputed too (with the section
-- path, empty for them), which is the same text as before.
INSERT INTO rag.embedding_queue (chunk_id, model_id, tenant)
SELECT e.chunk_id, e.model_id, e.tenant FROM rag.embeddings e
ON CONFLICT DO NOTHING;
