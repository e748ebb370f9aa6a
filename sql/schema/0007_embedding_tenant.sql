-- Vectors and queued work carry their chunk's tenant, so row-level security
-- seals them like the chunks: a tenant can neither read another tenant's
-- vectors nor overwrite or delete them. A trigger (sql/idempotent/
-- 050_queue.sql) sets the column from the chunk on every write.
ALTER TABLE rag.embeddings ADD COLUMN tenant text;
UPDATE rag.embeddings e SET tenant = c.tenant FROM rag.chunks c WHERE c.id = e.chunk_id;
ALTER TABLE rag.embeddings ALTER COLUMN tenant SET NOT NULL;
ALTER TABLE rag.embedding_queue ADD COLUMN tenant text;
UPDATE rag.embedding_queue q SET tenant = c.tenant FROM rag.chunks c WHERE c.id = q.chunk_id;
ALTER TABLE rag.embedding_queue ALTER COLUMN tenant SET NOT NULL;
ALTER TABLE rag.embeddings ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.embedding_queue ENABLE ROW LEVEL SECURITY;
