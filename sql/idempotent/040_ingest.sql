-- Ingestion: validate, de-duplicate, chunk, enqueue. Never waits on a model
-- unless the caller asks for sync => true (small loads). Analysts have no
-- write privilege on the tables: ingest and delete are SECURITY DEFINER and
-- check the caller's tenant grants (rag.may_write_tenant, 015_tenants.sql).
--
-- A document with a source is a version of that source (a file, a table's
-- row): loading the source again with other content stores a pending
-- version that replaces the live one once it is embedded (052_versions.sql).

-- Serialises every change to one (tenant, source): loads, promotion,
-- deletion. Two-key form, apart from single-key advisory locks.
CREATE OR REPLACE FUNCTION rag._source_lock_key(tenant text, source text, OUT k1 int, OUT k2 int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT hashtext('rag.source'), hashtext(tenant || E'\x1f' || source) $$;

-- Stores one document (validated, screened, chunked, enqueued) and returns
-- its id; the caller has checked who may write the tenant. `hash` says when
-- two loads are the same document: the content's for ingest_document, the
-- source's and title's too for a table's row (047_vectorizers.sql), so two
-- rows with the same text stay two documents. With a source: the same hash
-- as the live or pending version returns it (metadata refreshed in place);
-- another hash becomes a pending version of the live one (chunks not live),
-- superseding any older pending version.
CREATE OR REPLACE FUNCTION rag._store_document(
    content text, title text, metadata jsonb, tenant text, source text, language text,
    chunk_size int, chunk_overlap int, hash bytea)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_max_bytes bigint := coalesce(nullif(current_setting('rag.max_document_bytes', true), '')::bigint,
                                   10 * 1024 * 1024);
    -- Chunks carry the document's metadata: a large one is copied many times.
    v_max_meta bigint := coalesce(nullif(current_setting('rag.max_metadata_bytes', true), '')::bigint, 64 * 1024);
    v_chunks int;
    v_id bigint;
    v_same record;
    v_live bigint;
    v_lang text;
    v_cfg regconfig;
    v_meta jsonb := coalesce(_store_document.metadata, '{}'::jsonb);
    v_content text;
    v_title text;
    v_injection jsonb;
BEGIN
    IF _store_document.content IS NULL OR _store_document.content !~ '[^[:space:]]' THEN
        RAISE EXCEPTION 'document content must not be empty' USING ERRCODE = '22023';
    END IF;
    IF octet_length(_store_document.content) > v_max_bytes THEN
        RAISE EXCEPTION 'document is % bytes; the limit is % bytes', octet_length(_store_document.content), v_max_bytes
            USING ERRCODE = '54000', HINT = 'split it, or raise the limit with SET rag.max_document_bytes';
    END IF;
    IF jsonb_typeof(v_meta) <> 'object' THEN
        RAISE EXCEPTION 'metadata must be a JSON object, got a JSON %', jsonb_typeof(v_meta) USING ERRCODE = '22023';
    END IF;
    IF octet_length(v_meta::text) > v_max_meta THEN
        RAISE EXCEPTION 'metadata is % bytes; the limit is % bytes', octet_length(v_meta::text), v_max_meta
            USING ERRCODE = '54000', HINT = 'keep metadata to filterable fields, or SET rag.max_metadata_bytes';
    END IF;
    IF _store_document.content !~ '[[:alnum:]]' THEN
        RAISE EXCEPTION 'document has no text to index (no letter or digit: only spaces, non-printing or control characters)'
            USING ERRCODE = '22023';
    END IF;
    IF _store_document.chunk_size IS NULL OR _store_document.chunk_overlap IS NULL THEN
        RAISE EXCEPTION 'chunk_size and chunk_overlap must not be NULL' USING ERRCODE = '22023';
    END IF;
    IF _store_document.language IS NOT NULL AND _store_document.language NOT IN ('es', 'en', 'simple') THEN
        RAISE EXCEPTION 'language must be es, en or simple (or NULL to detect it), got %', _store_document.language
            USING ERRCODE = '22023';
    END IF;

    IF _store_document.source IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(k.k1, k.k2) FROM rag._source_lock_key(_store_document.tenant, _store_document.source) k;
        SELECT d.id, d.pending, d.metadata INTO v_same FROM rag.documents d
         WHERE d.tenant = _store_document.tenant AND d.source = _store_document.source AND d.content_hash = hash
         ORDER BY d.pending, d.id DESC LIMIT 1;
        IF FOUND THEN
            IF NOT v_same.pending THEN  -- an edit undone: the live version stands, newer pending ones go
                DELETE FROM rag.documents d
                 WHERE d.tenant = _store_document.tenant AND d.source = _store_document.source AND d.pending;
            END IF;
            -- Metadata alone changed (a row's filter columns): no new vectors needed.
            IF (v_same.metadata - 'injection') IS DISTINCT FROM v_meta THEN
                v_meta := v_meta || CASE WHEN v_same.metadata ? 'injection'
                                          THEN jsonb_build_object('injection', v_same.metadata -> 'injection') ELSE '{}' END;
                UPDATE rag.documents d SET metadata = v_meta WHERE d.id = v_same.id;
                UPDATE rag.chunks c SET metadata = v_meta WHERE c.document_id = v_same.id;
            END IF;
            RETURN v_same.id;
        END IF;
        SELECT d.id INTO v_live FROM rag.documents d
         WHERE d.tenant = _store_document.tenant AND d.source = _store_document.source AND NOT d.pending
         ORDER BY d.id DESC LIMIT 1;
        DELETE FROM rag.documents d
         WHERE d.tenant = _store_document.tenant AND d.source = _store_document.source AND d.pending;
    END IF;

    SELECT d.id INTO v_id FROM rag.documents d WHERE d.tenant = _store_document.tenant AND d.content_hash = hash;
    IF FOUND THEN
        RETURN v_id;  -- same content already loaded for this tenant (under another source, or none)
    END IF;

    -- Guardrails (085_guardrails.sql): masked before anything is stored when
    -- the tenant redacts at ingest; planted instructions noted in the
    -- metadata (rag.flagged_documents). The hash stays the loaded text's, so
    -- loading the same file again is still recognised.
    SELECT s.content, s.title, s.injection INTO v_content, v_title, v_injection
      FROM rag._screen_document(_store_document.content, _store_document.title,
                                rag._pii_mode(_store_document.tenant) = 'redact_at_ingest') s;
    IF v_injection IS NOT NULL THEN
        v_meta := v_meta || jsonb_build_object('injection', v_injection);
    END IF;

    v_lang := coalesce(_store_document.language, rag.detect_language(v_content));
    v_cfg := rag.ts_config(v_lang);
    INSERT INTO rag.documents AS d (tenant, title, source, content, language, metadata, content_hash, pending, replaces)
    VALUES (_store_document.tenant, v_title, _store_document.source, v_content, v_lang, v_meta, hash,
            v_live IS NOT NULL, v_live)
    ON CONFLICT ON CONSTRAINT documents_tenant_content_hash_key DO NOTHING
    RETURNING d.id INTO v_id;
    IF v_id IS NULL THEN  -- a concurrent load of the same content won the race
        SELECT d.id INTO v_id FROM rag.documents d WHERE d.tenant = _store_document.tenant AND d.content_hash = hash;
        RETURN v_id;
    END IF;

    -- A chunk's section path starts below the title: a Markdown document's
    -- first heading usually is its title.
    INSERT INTO rag.chunks (document_id, tenant, position, content, metadata, ts_config, tsv, section, page, live)
    SELECT v_id, _store_document.tenant, c.seq, c.chunk, v_meta, v_cfg,
           setweight(to_tsvector(v_cfg, coalesce(v_title, '')), 'A')
           || setweight(to_tsvector(v_cfg, array_to_string(c.section, ' ')), 'B') || to_tsvector(v_cfg, c.chunk),
           c.section, c.page, v_live IS NULL
    FROM (SELECT x.seq, x.chunk, x.page,
                 CASE WHEN x.section[1] = v_title THEN x.section[2:] ELSE x.section END AS section
            FROM rag.chunk(v_content, _store_document.chunk_size, _store_document.chunk_overlap) x) c;
    GET DIAGNOSTICS v_chunks = ROW_COUNT;
    IF v_chunks = 0 THEN  -- the exception undoes the document row too
        RAISE EXCEPTION 'document has no text to index (the chunker found none)' USING ERRCODE = '22023';
    END IF;

    INSERT INTO rag.embedding_queue (chunk_id, model_id)
    SELECT c.id, m.id FROM rag.chunks c CROSS JOIN rag.embedding_models m
     WHERE c.document_id = v_id AND (m.active OR m.reembedding);
    IF v_live IS NOT NULL THEN  -- with no model to wait for, the new version is live at once
        PERFORM rag._promote_versions(ARRAY[v_id], true);
    END IF;
    RETURN v_id;
END;
$$;

CREATE OR REPLACE FUNCTION rag.ingest_document(
    content text,
    title text DEFAULT NULL,
    metadata jsonb DEFAULT '{}',
    tenant text DEFAULT 'default',
    source text DEFAULT NULL,
    language text DEFAULT NULL,
    sync boolean DEFAULT false,
    chunk_size int DEFAULT 1000,
    chunk_overlap int DEFAULT 200)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
    v_error text;
BEGIN
    IF ingest_document.tenant IS NULL OR btrim(ingest_document.tenant) = '' THEN
        RAISE EXCEPTION 'tenant must not be empty' USING ERRCODE = '22023';
    END IF;
    IF NOT rag.may_write_tenant(ingest_document.tenant) THEN
        RAISE EXCEPTION 'role % may not write tenant %', rag.caller(), ingest_document.tenant
            USING ERRCODE = '42501', HINT = 'a DBA grants a tenant with rag.grant_tenant(role, tenant)';
    END IF;
    IF ingest_document.source IS NOT NULL AND btrim(ingest_document.source) = '' THEN
        RAISE EXCEPTION 'source must be NULL or not empty' USING ERRCODE = '22023';
    END IF;
    v_id := rag._store_document(ingest_document.content, ingest_document.title, ingest_document.metadata,
                                ingest_document.tenant, ingest_document.source, ingest_document.language,
                                ingest_document.chunk_size, ingest_document.chunk_overlap,
                                sha256(convert_to(coalesce(ingest_document.content, ''), 'UTF8')));

    IF sync THEN
        -- With a document_id, one call embeds all of its queued chunks (and
        -- promotes a pending version at once).
        PERFORM rag.process_embedding_queue(model => m.name, document_id => v_id)
           FROM rag.embedding_models m WHERE m.active;
        SELECT q.last_error INTO v_error FROM rag.embedding_queue q
          JOIN rag.chunks c ON c.id = q.chunk_id WHERE c.document_id = v_id LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'synchronous embedding failed: %', v_error USING ERRCODE = '58000';
        END IF;
        -- and the chunks' entities, when the tenant has the graph on (150_graph.sql)
        PERFORM rag.process_graph_queue(document_id => v_id);
    END IF;
    RETURN v_id;
END;
$$;

-- False when the document does not exist or is in a tenant the caller may
-- not write: the same answer, so no existence oracle.
-- Takes its source's lock first, as loads and promotion do.
CREATE OR REPLACE FUNCTION rag.delete_document(document_id bigint) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_doc record;
BEGIN
    SELECT d.tenant, d.source INTO v_doc FROM rag.documents d
     WHERE d.id = delete_document.document_id AND rag.may_write_tenant(d.tenant);
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF v_doc.source IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(k.k1, k.k2) FROM rag._source_lock_key(v_doc.tenant, v_doc.source) k;
    END IF;
    DELETE FROM rag.documents d WHERE d.id = delete_document.document_id;
    RETURN FOUND;
END;
$$;

-- A row takes its parent's tenant, whatever the writer sent: a chunk its
-- document's, a vector or queue row its chunk's (triggers here and in
-- 050_queue.sql), so row security on these tables works as on the documents
-- whoever writes them (the functions above, a DBA by hand). The parent is
-- read with the writer's rights: a writer under row security can attach
-- nothing to another tenant's document or chunk, and gets the same error as
-- for a parent that does not exist (no existence oracle).
CREATE OR REPLACE FUNCTION rag.set_tenant_from_parent() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_parent text;
BEGIN
    IF TG_TABLE_NAME = 'chunks' THEN
        SELECT d.tenant INTO NEW.tenant FROM rag.documents d WHERE d.id = NEW.document_id;
        v_parent := 'document ' || NEW.document_id;
    ELSE
        SELECT c.tenant INTO NEW.tenant FROM rag.chunks c WHERE c.id = NEW.chunk_id;
        v_parent := 'chunk ' || NEW.chunk_id;
    END IF;
    IF NEW.tenant IS NULL THEN
        RAISE EXCEPTION '% does not exist or belongs to a tenant you may not write', v_parent USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END;
$$;
CREATE OR REPLACE TRIGGER set_tenant BEFORE INSERT OR UPDATE ON rag.chunks
    FOR EACH ROW EXECUTE FUNCTION rag.set_tenant_from_parent();
