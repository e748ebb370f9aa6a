-- The embedding queue worker. One call of rag.process_embedding_queue
-- embeds one batch in the caller's transaction; rows are claimed with FOR
-- UPDATE SKIP LOCKED, so several workers never embed the same chunk.
-- rag.drain_embedding_queue is the one loop over it: it commits after each
-- batch and reports progress (the loader, rag.reembed and DBAs call it).

-- Vectors (of chunks and of their sentences) and queue rows take their
-- chunk's tenant (rag.set_tenant_from_parent, 040_ingest.sql).
CREATE OR REPLACE TRIGGER set_tenant BEFORE INSERT OR UPDATE ON rag.embeddings
    FOR EACH ROW EXECUTE FUNCTION rag.set_tenant_from_parent();
CREATE OR REPLACE TRIGGER set_tenant BEFORE INSERT OR UPDATE ON rag.embedding_queue
    FOR EACH ROW EXECUTE FUNCTION rag.set_tenant_from_parent();
CREATE OR REPLACE TRIGGER set_tenant BEFORE INSERT OR UPDATE ON rag.sentence_embeddings
    FOR EACH ROW EXECUTE FUNCTION rag.set_tenant_from_parent();

-- A queue row that failed this many times is parked (visible in
-- rag.embedding_queue_status) instead of retried forever.
CREATE OR REPLACE FUNCTION rag.queue_max_attempts() RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT 5 $$;

-- With document_id, every queued chunk of that document is embedded in this
-- one call (batch_size does not apply): that is ingest_document(sync => true).
-- SECURITY DEFINER (analysts cannot write vectors): an analyst's worker takes
-- only the queue rows of the tenants they may write; a DBA's takes any.
-- Background work: its model thread yields the CPU to questions asked
-- meanwhile (py_udfs/pg/backend.py).
CREATE OR REPLACE FUNCTION rag.process_embedding_queue(
    batch_size int DEFAULT 32, model text DEFAULT NULL, document_id bigint DEFAULT NULL)
RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET rag.work_class = 'background'
AS $$
DECLARE
    v_all_tenants boolean := rag.caller_is_dba();
    v_tenants text[] := rag.caller_tenants();
    v_model rag.embedding_models;
    v_ids bigint[];
    v_texts text[];
    v_contents text[];
    v_pending bigint[];
    v_out record;
BEGIN
    IF batch_size IS NULL OR batch_size < 1 OR batch_size > 1000 THEN
        RAISE EXCEPTION 'batch_size must be between 1 and 1000' USING ERRCODE = '22023';
    END IF;
    IF process_embedding_queue.model IS NOT NULL THEN
        SELECT * INTO v_model FROM rag.embedding_models m WHERE m.name = process_embedding_queue.model;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown embedding model %', process_embedding_queue.model USING ERRCODE = '22023';
        END IF;
    ELSE
        SELECT m.* INTO v_model FROM rag.embedding_queue q JOIN rag.embedding_models m ON m.id = q.model_id
         WHERE q.attempts < rag.queue_max_attempts() AND (v_all_tenants OR q.tenant = ANY (v_tenants))
         ORDER BY q.enqueued_at LIMIT 1;
        IF NOT FOUND THEN
            RETURN 0;
        END IF;
    END IF;

    WITH claimed AS (
        SELECT q.chunk_id FROM rag.embedding_queue q
         WHERE q.model_id = v_model.id AND q.attempts < rag.queue_max_attempts()
           AND (v_all_tenants OR q.tenant = ANY (v_tenants))
           AND (process_embedding_queue.document_id IS NULL
                OR q.chunk_id IN (SELECT c.id FROM rag.chunks c WHERE c.document_id = process_embedding_queue.document_id))
         ORDER BY q.enqueued_at, q.chunk_id
         LIMIT CASE WHEN process_embedding_queue.document_id IS NULL THEN batch_size END
         FOR UPDATE SKIP LOCKED)
    SELECT array_agg(c.id ORDER BY c.id), array_agg(rag.embedding_text(d.title, c.section, c.content) ORDER BY c.id),
           array_agg(c.content ORDER BY c.id)
      INTO v_ids, v_texts, v_contents
      FROM claimed q JOIN rag.chunks c ON c.id = q.chunk_id JOIN rag.documents d ON d.id = c.document_id;
    IF v_ids IS NULL THEN
        RETURN 0;
    END IF;

    BEGIN
        v_out := rag._embed_chunks(v_texts, v_contents, v_model.name);
    EXCEPTION WHEN OTHERS THEN
        -- Keep the work queued and say why.
        UPDATE rag.embedding_queue q SET attempts = q.attempts + 1, last_error = SQLERRM
         WHERE q.model_id = v_model.id AND q.chunk_id = ANY (v_ids);
        RAISE WARNING 'embedding % chunks with model % failed: %', cardinality(v_ids), v_model.name, SQLERRM;
        RETURN 0;
    END;

    INSERT INTO rag.embeddings (chunk_id, model_id, embedding)
    SELECT u.id, v_model.id, u.vec FROM unnest(v_ids, v_out.vectors) AS u(id, vec)
    ON CONFLICT (model_id, chunk_id) DO UPDATE SET embedding = excluded.embedding, created_at = now();
    DELETE FROM rag.sentence_embeddings s WHERE s.model_id = v_model.id AND s.chunk_id = ANY (v_ids);
    INSERT INTO rag.sentence_embeddings (chunk_id, model_id, n, start_at, end_at, embedding)
    SELECT v_ids[u.i], v_model.id, u.n, u.s, u.e, u.vec
      FROM unnest(v_out.sentence_chunk, v_out.sentence_n, v_out.sentence_start, v_out.sentence_end,
                  v_out.sentence_vectors) AS u(i, n, s, e, vec);
    DELETE FROM rag.embedding_queue q WHERE q.model_id = v_model.id AND q.chunk_id = ANY (v_ids);
    -- Pending versions this batch completed go live (052_versions.sql). A
    -- failed promotion (a deadlock with a concurrent delete) keeps the
    -- vectors: the next drain's rag.promote_versions() retries it.
    v_pending := ARRAY(SELECT DISTINCT c.document_id FROM rag.chunks c WHERE c.id = ANY (v_ids) AND NOT c.live);
    IF cardinality(v_pending) > 0 THEN
        BEGIN
            PERFORM rag._promote_versions(v_pending, process_embedding_queue.document_id IS NOT NULL);
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'promoting documents % failed: %', v_pending, SQLERRM;
        END;
    END IF;
    RETURN cardinality(v_ids);
END;
$$;

-- Drains the queue (of one model, or all), then the graph's, committing after every batch
-- (CALL it outside a transaction block). Progress goes to the client as
-- "rag.drain: N chunks embedded" messages at level DEBUG1 (SET
-- client_min_messages = debug1 to see them); the total as a NOTICE. Refreshes
-- the text statistics at the end, after promoting the pending versions a
-- concurrent worker left (052_versions.sql). A procedure that commits cannot carry a SET
-- clause, so every name below is qualified.
CREATE OR REPLACE PROCEDURE rag.drain_embedding_queue(batch_size int DEFAULT 32, model text DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
    v_n int;
    v_total bigint := 0;
    v_graph bigint := 0;
BEGIN
    LOOP
        v_n := rag.process_embedding_queue(batch_size, model);
        EXIT WHEN v_n = 0;
        v_total := v_total + v_n;
        COMMIT;
        RAISE DEBUG 'rag.drain: % chunks embedded', v_total;
    END LOOP;
    -- The graph's extraction (150_graph.sql) after the vectors: search works
    -- without it meanwhile.
    LOOP
        v_n := rag.process_graph_queue();
        EXIT WHEN v_n = 0;
        v_graph := v_graph + v_n;
        COMMIT;
        RAISE DEBUG 'rag.drain: % chunks extracted for the graph', v_graph;
    END LOOP;
    PERFORM rag.promote_versions();
    PERFORM rag.refresh_text_stats();
    RAISE NOTICE 'embedded % chunks%', v_total,
        CASE WHEN v_graph > 0 THEN format('; extracted the graph of %s', v_graph) ELSE '' END;
END;
$$;

CREATE OR REPLACE VIEW rag.embedding_queue_status WITH (security_invoker = true) AS
SELECT m.name AS model,
       count(q.chunk_id) FILTER (WHERE q.attempts < rag.queue_max_attempts()) AS queued,
       count(q.chunk_id) FILTER (WHERE q.attempts >= rag.queue_max_attempts()) AS failed,
       (SELECT count(*) FROM rag.embeddings e WHERE e.model_id = m.id) AS embedded,
       min(q.enqueued_at) AS oldest_enqueued_at,
       (array_agg(q.last_error ORDER BY q.enqueued_at DESC) FILTER (WHERE q.last_error IS NOT NULL))[1] AS last_error
FROM rag.embedding_models m
LEFT JOIN rag.embedding_queue q ON q.model_id = m.id
GROUP BY m.id, m.name;

-- Re-embedding with a model (rag.reembed), per model.
CREATE OR REPLACE VIEW rag.reembed_progress WITH (security_invoker = true) AS
SELECT m.name AS model, m.active, m.reembedding,
       (SELECT count(*) FROM rag.chunks) AS chunks,
       (SELECT count(*) FROM rag.embeddings e WHERE e.model_id = m.id) AS embedded,
       (SELECT count(*) FROM rag.embedding_queue q WHERE q.model_id = m.id AND q.attempts < rag.queue_max_attempts()) AS queued,
       (SELECT count(*) FROM rag.embedding_queue q WHERE q.model_id = m.id AND q.attempts >= rag.queue_max_attempts()) AS failed,
       round(100.0 * (SELECT count(*) FROM rag.embeddings e WHERE e.model_id = m.id)
             / greatest((SELECT count(*) FROM rag.chunks), 1), 1) AS pct_done
FROM rag.embedding_models m;
