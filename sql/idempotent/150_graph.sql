-- GraphRAG: entities and relations extracted from chunks in the background
-- (rag.graph_queue, drained with the embedding queue), and rag.graph_search:
-- the question's entities and its vector neighbourhood, expanded over the
-- relations up to `hops`, fused with the plain hybrid ranking.

-- One spelling per entity: case, accents, punctuation, a leading article
-- and a trailing legal form (S.A., S.R.L., Inc., …) do not make another one.
CREATE OR REPLACE FUNCTION rag.entity_key(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT btrim(regexp_replace(regexp_replace(
        btrim(regexp_replace(lower(@unaccent_schema@.unaccent('@unaccent_schema@.unaccent'::regdictionary, name)),
                             '[^a-z0-9]+', ' ', 'g')),
        '^(the|el|la|los|las) ', ''),
        ' (s a u|s a s|s a|sa|s r l|srl|s l|sl|inc|ltd|llc|corp|gmbh|plc|cia|co)$', ''))
$$;

-- Turning the graph on for a tenant queues its chunks not yet extracted
-- (all of them with reextract, after a change of extractor) and, from then
-- on, every new one. Its writers or a DBA only: extraction costs server time.
CREATE OR REPLACE FUNCTION rag.enable_graph(tenant text, extractor text DEFAULT 'auto', endpoint text DEFAULT NULL,
                                            reextract boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_n bigint;
BEGIN
    IF tenant IS NULL OR NOT rag.role_may_write_tenant(rag.caller(), tenant) THEN
        RAISE EXCEPTION 'role % may not change tenant %', rag.caller(), coalesce(tenant, 'NULL')
            USING ERRCODE = '42501', HINT = 'a DBA grants a tenant with rag.grant_tenant(role, tenant)';
    END IF;
    IF extractor IS NULL OR extractor NOT IN ('auto', 'offline', 'llm') THEN
        RAISE EXCEPTION 'extractor must be auto, offline or llm, got %', coalesce(extractor, 'NULL')
            USING ERRCODE = '22023', HINT = 'auto uses the LLM when a default chat endpoint is registered';
    END IF;
    IF endpoint IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rag.llm_endpoints e WHERE e.name = enable_graph.endpoint
                                                                             AND e.kind = 'chat') THEN
        RAISE EXCEPTION 'unknown chat endpoint %', endpoint
            USING ERRCODE = '22023', HINT = 'SELECT name FROM rag.llm_endpoints WHERE kind = ''chat''';
    END IF;
    INSERT INTO rag.graph_settings AS s (tenant, extractor, endpoint)
    VALUES (enable_graph.tenant, enable_graph.extractor, enable_graph.endpoint)
    ON CONFLICT ON CONSTRAINT graph_settings_pkey DO UPDATE
       SET extractor = excluded.extractor, endpoint = excluded.endpoint, updated_at = now();
    INSERT INTO rag.graph_queue (chunk_id, tenant)
    SELECT c.id, c.tenant FROM rag.chunks c
     WHERE c.tenant = enable_graph.tenant
       AND (coalesce(reextract, false) OR NOT EXISTS (SELECT 1 FROM rag.mentions m WHERE m.chunk_id = c.id))
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$$;

-- Off again; with drop_graph the tenant's entities (so its mentions and
-- relations) go too.
CREATE OR REPLACE FUNCTION rag.disable_graph(tenant text, drop_graph boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF tenant IS NULL OR NOT rag.role_may_write_tenant(rag.caller(), tenant) THEN
        RAISE EXCEPTION 'role % may not change tenant %', rag.caller(), coalesce(tenant, 'NULL')
            USING ERRCODE = '42501', HINT = 'a DBA grants a tenant with rag.grant_tenant(role, tenant)';
    END IF;
    DELETE FROM rag.graph_settings s WHERE s.tenant = disable_graph.tenant;
    DELETE FROM rag.graph_queue q WHERE q.tenant = disable_graph.tenant;
    IF drop_graph THEN
        DELETE FROM rag.entities e WHERE e.tenant = disable_graph.tenant;
    END IF;
END;
$$;

-- New chunks of a tenant with the graph on are queued in the statement
-- that stores them; the extraction itself runs later, in the drain.
CREATE OR REPLACE FUNCTION rag._queue_graph_extraction() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO rag.graph_queue (chunk_id, tenant)
    SELECT n.id, n.tenant FROM new_chunks n JOIN rag.graph_settings s ON s.tenant = n.tenant
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER queue_graph_extraction AFTER INSERT ON rag.chunks
    REFERENCING NEW TABLE AS new_chunks FOR EACH STATEMENT EXECUTE FUNCTION rag._queue_graph_extraction();

-- texts[i] in languages[i] with extractors[i] ('offline', 'llm' or 'auto')
-- through endpoints[i]: one row per text with its entities and relations
-- (py_udfs/graph.py), and the reason an LLM extraction fell back offline.
CREATE OR REPLACE FUNCTION rag._extract_graph(texts text[], languages text[], extractors text[], endpoints text[])
RETURNS TABLE (i int, entities jsonb, relations jsonb, extractor text, note text)
LANGUAGE plpython3u VOLATILE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import graph
return graph.extract(plpy, texts, languages, extractors, endpoints)
$py$;

-- The names' vectors with the active model (in one batch), for the
-- entities that have none.
CREATE OR REPLACE FUNCTION rag._embed_entity_names(ids bigint[]) RETURNS int
LANGUAGE plpython3u VOLATILE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import graph
return graph.embed_names(plpy, ids)
$py$;

-- One batch of the graph queue in the caller's transaction, as
-- rag.process_embedding_queue does for vectors (FOR UPDATE SKIP LOCKED; an
-- analyst's worker takes only the tenants it may write). A chunk extracted
-- again replaces what it said before. A failed batch stays queued with its
-- error and is parked after rag.queue_max_attempts() tries.
CREATE OR REPLACE FUNCTION rag.process_graph_queue(batch_size int DEFAULT 16, document_id bigint DEFAULT NULL)
RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET rag.work_class = 'background'
AS $$
DECLARE
    v_all_tenants boolean := rag.caller_is_dba();
    v_tenants text[] := rag.caller_tenants();
    v_ids bigint[];
    v_new bigint[];
    v_texts text[]; v_languages text[]; v_extractors text[]; v_endpoints text[]; v_chunk_tenants text[];
    v_batch jsonb;
BEGIN
    IF batch_size IS NULL OR batch_size < 1 OR batch_size > 1000 THEN
        RAISE EXCEPTION 'batch_size must be between 1 and 1000' USING ERRCODE = '22023';
    END IF;
    SELECT array_agg(q.chunk_id ORDER BY q.chunk_id) INTO v_ids FROM (
        SELECT q.chunk_id FROM rag.graph_queue q
         WHERE q.attempts < rag.queue_max_attempts()
           AND (v_all_tenants OR q.tenant = ANY (v_tenants))
           AND (process_graph_queue.document_id IS NULL
                OR q.chunk_id IN (SELECT c.id FROM rag.chunks c WHERE c.document_id = process_graph_queue.document_id))
         ORDER BY q.enqueued_at, q.chunk_id
         LIMIT CASE WHEN process_graph_queue.document_id IS NULL THEN batch_size END
         FOR UPDATE SKIP LOCKED) q;
    IF v_ids IS NULL THEN
        RETURN 0;
    END IF;
    -- The title and section path count: they say what the chunk is about.
    SELECT array_agg(rag.embedding_text(d.title, c.section, c.content) ORDER BY c.id),
           array_agg(d.language ORDER BY c.id),
           array_agg(coalesce(s.extractor, 'offline') ORDER BY c.id), array_agg(s.endpoint ORDER BY c.id),
           array_agg(c.tenant ORDER BY c.id)
      INTO v_texts, v_languages, v_extractors, v_endpoints, v_chunk_tenants
      FROM rag.chunks c JOIN rag.documents d ON d.id = c.document_id
      LEFT JOIN rag.graph_settings s ON s.tenant = c.tenant
     WHERE c.id = ANY (v_ids);
    BEGIN
        SELECT jsonb_agg(jsonb_build_object('chunk_id', v_ids[x.i], 'tenant', v_chunk_tenants[x.i],
                                            'entities', x.entities, 'relations', x.relations))
          INTO v_batch
          FROM rag._extract_graph(v_texts, v_languages, v_extractors, v_endpoints) x;
    EXCEPTION WHEN OTHERS THEN
        UPDATE rag.graph_queue q SET attempts = q.attempts + 1, last_error = SQLERRM WHERE q.chunk_id = ANY (v_ids);
        RAISE WARNING 'extracting the graph of % chunks failed: %', cardinality(v_ids), SQLERRM;
        RETURN 0;
    END;

    DELETE FROM rag.mentions m WHERE m.chunk_id = ANY (v_ids);
    DELETE FROM rag.relations r WHERE r.evidence_chunk = ANY (v_ids);
    -- Entities in key order, so two workers upserting the same names lock
    -- them in the same order.
    WITH seen AS (
        SELECT b.tenant, rag.entity_key(e.name) AS key, e.name, e.type, e.count
          FROM jsonb_to_recordset(v_batch) AS b(chunk_id bigint, tenant text, entities jsonb),
               jsonb_to_recordset(b.entities) AS e(name text, type text, count int)),
    new_ids AS (
        INSERT INTO rag.entities AS t (tenant, key, name, type, aliases)
        SELECT s.tenant, s.key, (array_agg(s.name ORDER BY s.count DESC, length(s.name)))[1],
               coalesce((array_agg(s.type ORDER BY s.count DESC) FILTER (WHERE s.type <> 'entity'))[1], 'entity'),
               array_agg(DISTINCT s.name)
          FROM seen s WHERE s.key <> ''
         GROUP BY s.tenant, s.key
         ORDER BY s.tenant, s.key
        ON CONFLICT (tenant, key) DO UPDATE
           SET aliases = ARRAY(SELECT DISTINCT a FROM unnest(t.aliases || excluded.aliases) a ORDER BY a),
               type = CASE WHEN t.type = 'entity' THEN excluded.type ELSE t.type END
        RETURNING t.id, t.embedding IS NULL AS needs_vector)
    SELECT array_agg(n.id) FILTER (WHERE n.needs_vector) INTO v_new FROM new_ids n;

    INSERT INTO rag.mentions (entity_id, chunk_id, tenant, count)
    SELECT t.id, b.chunk_id, b.tenant, sum(e.count)::int
      FROM jsonb_to_recordset(v_batch) AS b(chunk_id bigint, tenant text, entities jsonb),
           jsonb_to_recordset(b.entities) AS e(name text, type text, count int)
      JOIN rag.entities t ON t.key = rag.entity_key(e.name)
     WHERE t.tenant = b.tenant
     GROUP BY t.id, b.chunk_id, b.tenant;
    INSERT INTO rag.relations (tenant, source_id, target_id, type, weight, evidence_chunk, type_words)
    SELECT g.tenant, g.source_id, g.target_id, g.type, g.weight, g.chunk_id,
           ARRAY(SELECT DISTINCT w FROM unnest(string_to_array(rag.entity_key(g.type), ' ')) w WHERE length(w) >= 4)
      FROM (SELECT b.tenant, s.id AS source_id, t.id AS target_id, left(r.type, 60) AS type,
                   sum(r.weight) AS weight, b.chunk_id
              FROM jsonb_to_recordset(v_batch) AS b(chunk_id bigint, tenant text, relations jsonb),
                   jsonb_to_recordset(b.relations) AS r(source text, target text, type text, weight float8)
              JOIN rag.entities s ON s.key = rag.entity_key(r.source)
              JOIN rag.entities t ON t.key = rag.entity_key(r.target)
             WHERE s.tenant = b.tenant AND t.tenant = b.tenant AND s.id <> t.id AND r.weight > 0
             GROUP BY b.tenant, s.id, t.id, left(r.type, 60), b.chunk_id) g;
    DELETE FROM rag.graph_queue q WHERE q.chunk_id = ANY (v_ids);
    IF v_new IS NOT NULL THEN
        PERFORM rag._embed_entity_names(v_new);
    END IF;
    RETURN cardinality(v_ids);
END;
$$;

CREATE OR REPLACE VIEW rag.graph_queue_status WITH (security_invoker = true) AS
SELECT q.tenant,
       count(*) FILTER (WHERE q.attempts < rag.queue_max_attempts()) AS queued,
       count(*) FILTER (WHERE q.attempts >= rag.queue_max_attempts()) AS failed,
       min(q.enqueued_at) AS oldest_enqueued_at,
       (array_agg(q.last_error ORDER BY q.enqueued_at DESC) FILTER (WHERE q.last_error IS NOT NULL))[1] AS last_error
FROM rag.graph_queue q
GROUP BY q.tenant;
