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
-- "one active" index).
CREATE OR REPLACE FUNCTION rag.activate_model(name text) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM rag.embedding_models m WHERE m.name = activate_model.name) THEN
        RAISE EXCEPTION 'unknown embedding model %', activate_model.name USING ERRCODE = '22023';
    END IF;
    UPDATE rag.embedding_models m SET active = (m.name = activate_model.name)
     WHERE m.active OR m.name = activate_model.name;
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
CREATE OR REPLACE VIEW rag.vector_indexes AS
SELECT m.name AS model, m.dimensions, m.active, i.indexrelid::regclass::text AS index_name,
       am.amname AS method, pg_size_pretty(pg_relation_size(i.indexrelid)) AS size
FROM rag.embedding_models m
LEFT JOIN pg_index i ON i.indrelid = 'rag.embeddings'::regclass
     AND i.indexrelid::regclass::text = format('rag.embeddings_model_%s_idx', m.id)
LEFT JOIN pg_class c ON c.oid = i.indexrelid
LEFT JOIN pg_am am ON am.oid = c.relam;
