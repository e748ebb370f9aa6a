-- Embedding model registry: register, activate, and one vector index per model.

CREATE OR REPLACE FUNCTION rag.register_model(
    name text, provider text, model_ref text, dimensions int,
    version text DEFAULT '1', query_prefix text DEFAULT '', document_prefix text DEFAULT '',
    activate boolean DEFAULT false)
RETURNS int
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id int;
BEGIN
    INSERT INTO rag.embedding_models AS m (name, provider, model_ref, dimensions, version, query_prefix, document_prefix)
    VALUES (register_model.name, register_model.provider, register_model.model_ref, register_model.dimensions,
            register_model.version, register_model.query_prefix, register_model.document_prefix)
    ON CONFLICT ON CONSTRAINT embedding_models_name_key DO UPDATE
        SET provider = excluded.provider, model_ref = excluded.model_ref, version = excluded.version,
            query_prefix = excluded.query_prefix, document_prefix = excluded.document_prefix
        WHERE m.dimensions = excluded.dimensions
    RETURNING m.id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'model % is registered with other dimensions; register the new one under a new name',
            register_model.name USING ERRCODE = '22023';
    END IF;
    PERFORM rag.create_vector_index(register_model.name);
    IF activate THEN
        PERFORM rag.activate_model(register_model.name);
    END IF;
    RETURN v_id;
END;
$$;

-- Switches the model queries use, atomically (one UPDATE under the unique
-- "one active" index). Refuses a model that has not embedded every chunk
-- (unless force): queries would silently miss documents. The model that was
-- active keeps receiving new chunks (reembedding) until its embeddings are
-- dropped, so switching back stays possible.
CREATE OR REPLACE FUNCTION rag.activate_model(name text, force boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id int;
    v_missing bigint;
BEGIN
    SELECT m.id INTO v_id FROM rag.embedding_models m WHERE m.name = activate_model.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown embedding model %', activate_model.name USING ERRCODE = '22023';
    END IF;
    SELECT count(*) INTO v_missing FROM rag.chunks c
     WHERE NOT EXISTS (SELECT 1 FROM rag.embeddings e WHERE e.model_id = v_id AND e.chunk_id = c.id);
    IF v_missing > 0 AND NOT force THEN
        RAISE EXCEPTION 'model % has no embedding for % chunks', activate_model.name, v_missing
            USING ERRCODE = '55000', HINT = 'CALL rag.reembed(...) first, or pass force => true';
    END IF;
    -- Lock the registry so concurrent activations serialise.
    PERFORM 1 FROM rag.embedding_models FOR UPDATE;
    -- Two statements (the "one active" index is checked row by row); other
    -- sessions see both changes at commit, never neither or both active.
    UPDATE rag.embedding_models m SET active = false, reembedding = true WHERE m.active AND m.id <> v_id;
    UPDATE rag.embedding_models m SET active = true, reembedding = false WHERE m.id = v_id;
END;
$$;

-- Starts re-embedding every chunk with a model, through the queue: the model
-- also receives chunks ingested meanwhile. Queries keep using the active model.
-- Returns how many chunks were queued.
CREATE OR REPLACE FUNCTION rag.start_reembed(model text) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id int;
    v_n bigint;
BEGIN
    UPDATE rag.embedding_models m SET reembedding = NOT m.active WHERE m.name = start_reembed.model
    RETURNING m.id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'unknown embedding model %', start_reembed.model USING ERRCODE = '22023';
    END IF;
    PERFORM rag.create_vector_index(start_reembed.model);
    INSERT INTO rag.embedding_queue (chunk_id, model_id)
    SELECT c.id, v_id FROM rag.chunks c
     WHERE NOT EXISTS (SELECT 1 FROM rag.embeddings e WHERE e.model_id = v_id AND e.chunk_id = c.id)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$$;

-- Re-embeds everything with a model, committing per batch (CALL it outside
-- a transaction block; progress in rag.reembed_progress). A procedure that
-- commits cannot carry a SET clause, so every name is qualified.
CREATE OR REPLACE PROCEDURE rag.reembed(model text, batch_size int DEFAULT 32)
LANGUAGE plpgsql
AS $$
DECLARE
    v_queued bigint;
BEGIN
    v_queued := rag.start_reembed(model);
    COMMIT;
    RAISE NOTICE 'queued % chunks for %', v_queued, model;
    CALL rag.drain_embedding_queue(batch_size, model);
END;
$$;

-- Drops a model's embeddings (only on request, never the active model's).
CREATE OR REPLACE FUNCTION rag.drop_embeddings(model text) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m rag.embedding_models;
    v_n bigint;
BEGIN
    SELECT * INTO m FROM rag.embedding_models e WHERE e.name = drop_embeddings.model FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown embedding model %', drop_embeddings.model USING ERRCODE = '22023';
    END IF;
    IF m.active THEN
        RAISE EXCEPTION 'model % is active; activate another model first', m.name USING ERRCODE = '55000';
    END IF;
    UPDATE rag.embedding_models e SET reembedding = false WHERE e.id = m.id;
    DELETE FROM rag.embedding_queue q WHERE q.model_id = m.id;
    DELETE FROM rag.embeddings e WHERE e.model_id = m.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$$;

-- pgvectorscale DiskANN when the extension is installed, pgvector HNSW
-- (cosine) otherwise. The index is partial (one model) and typed by the
-- model's dimension, so models of different sizes share one table.
CREATE OR REPLACE FUNCTION rag.create_vector_index(model text) RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m rag.embedding_models;
    v_index text;
    v_method text;
BEGIN
    SELECT * INTO m FROM rag.embedding_models e WHERE e.name = create_vector_index.model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown embedding model %', create_vector_index.model USING ERRCODE = '22023';
    END IF;
    v_index := format('embeddings_model_%s_idx', m.id);
    v_method := CASE WHEN EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vectorscale')
                     THEN 'diskann' ELSE 'hnsw' END;
    IF v_method = 'hnsw' AND m.dimensions > 2000 THEN
        RAISE EXCEPTION 'HNSW indexes vectors of at most 2000 dimensions; model % has %', m.name, m.dimensions;
    END IF;
    EXECUTE format(
        'CREATE INDEX IF NOT EXISTS %I ON rag.embeddings USING %s ((embedding::@extschema_vector@.vector(%s)) @extschema_vector@.vector_cosine_ops) WHERE model_id = %s',
        v_index, v_method, m.dimensions, m.id);
    RETURN v_index;
END;
$$;

-- Which vector index each model uses, and its access method (hnsw/diskann).
CREATE OR REPLACE VIEW rag.vector_indexes WITH (security_invoker = true) AS
SELECT m.name AS model, m.dimensions, m.active, i.indexrelid::regclass::text AS index_name,
       am.amname AS method, pg_size_pretty(pg_relation_size(i.indexrelid)) AS size
FROM rag.embedding_models m
LEFT JOIN pg_index i ON i.indrelid = 'rag.embeddings'::regclass
     AND i.indexrelid::regclass::text = format('rag.embeddings_model_%s_idx', m.id)
LEFT JOIN pg_class c ON c.oid = i.indexrelid
LEFT JOIN pg_am am ON am.oid = c.relam;

-- Removes a model, its embeddings, queue rows and vector index.
CREATE OR REPLACE FUNCTION rag.unregister_model(name text) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m rag.embedding_models;
BEGIN
    SELECT * INTO m FROM rag.embedding_models e WHERE e.name = unregister_model.name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown embedding model %', unregister_model.name USING ERRCODE = '22023';
    END IF;
    IF m.active THEN
        RAISE EXCEPTION 'model % is active; activate another model first', m.name USING ERRCODE = '55000';
    END IF;
    EXECUTE format('DROP INDEX IF EXISTS rag.%I', format('embeddings_model_%s_idx', m.id));
    DELETE FROM rag.embedding_models e WHERE e.id = m.id;
END;
$$;
