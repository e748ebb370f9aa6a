-- Second-stage reranking: rescore a candidate pool, keep the best k.
-- rag.search(..., rerank => true) fetches rerank_candidates rows and rescores
-- them with rag._rerank_scores. Providers:
--  'signals'        plain SQL: the embedding cosine, the IDF-weighted share
--                   of the query's terms a chunk covers, optionally a second
--                   model's cosine and the first-stage position as a
--                   reciprocal rank (1 / (rrf_k + position)), each min-max
--                   normalised over the pool and weighted (options.weights);
--  'cross-encoder'  a sentence-transformers CrossEncoder in the backend (one
--                   more crossing into Python).

CREATE OR REPLACE FUNCTION rag.register_reranker(
    name text, provider text, model_ref text DEFAULT '', options jsonb DEFAULT '{}', make_default boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO rag.rerankers AS r (name, provider, model_ref, options)
    VALUES (register_reranker.name, register_reranker.provider, register_reranker.model_ref,
            coalesce(register_reranker.options, '{}'))
    ON CONFLICT ON CONSTRAINT rerankers_pkey DO UPDATE
       SET provider = excluded.provider, model_ref = excluded.model_ref, options = excluded.options;
    IF make_default THEN
        -- Two statements: the "one default" index is checked row by row.
        UPDATE rag.rerankers r SET is_default = false WHERE r.is_default AND r.name <> register_reranker.name;
        UPDATE rag.rerankers r SET is_default = true WHERE r.name = register_reranker.name;
    END IF;
END;
$$;

-- The named reranker, or the default one.
CREATE OR REPLACE FUNCTION rag._reranker(name text) RETURNS rag.rerankers
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r rag.rerankers;
BEGIN
    IF name IS NOT NULL THEN
        SELECT * INTO r FROM rag.rerankers x WHERE x.name = _reranker.name;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown reranker %', quote_literal(name) USING ERRCODE = '22023',
                HINT = 'SELECT name FROM rag.rerankers lists the registered rerankers';
        END IF;
    ELSE
        SELECT * INTO r FROM rag.rerankers x WHERE x.is_default;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no default reranker' USING ERRCODE = '22023',
                HINT = 'SELECT rag.register_reranker(..., make_default => true)';
        END IF;
    END IF;
    RETURN r;
END;
$$;

-- The embedding models whose query vectors a reranker reads: for 'signals',
-- options.model (default: the active model), then options.secondary_model.
CREATE OR REPLACE FUNCTION rag._reranker_models(reranker text) RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN r.provider <> 'signals' THEN '{}'::text[] ELSE array_remove(ARRAY[
               (SELECT e.name FROM rag.embedding_models e
                 WHERE e.name = r.options ->> 'model' OR (r.options ->> 'model' IS NULL AND e.active)),
               (SELECT e.name FROM rag.embedding_models e WHERE e.name = r.options ->> 'secondary_model')], NULL) END
      FROM rag._reranker(reranker) r
$$;

-- Per-candidate signals, in the order of chunk_ids. query_vector belongs to
-- model_id, secondary_vector to secondary_model_id (both may be NULL); the
-- term weights are the tenant's (NULL: the caller's visible tenants).
CREATE OR REPLACE FUNCTION rag._signals(
    chunk_ids bigint[], query text, query_language text, query_vector @extschema_vector@.vector, model_id int,
    secondary_vector @extschema_vector@.vector, secondary_model_id int, rrf_k int, tenant text)
RETURNS TABLE (chunk_id bigint, cosine float8, coverage float8, secondary_cosine float8, rrf float8)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, @extschema_vector@, pg_temp
AS $$
    WITH tq AS MATERIALIZED (SELECT * FROM rag.text_query(query, query_language, tenant))
    SELECT u.id,
           1 - (e1.embedding <=> query_vector),
           coalesce((SELECT sum(t.idf) FROM unnest(tq.terms, tq.idf) AS t(q, idf) WHERE c.tsv @@ t.q), 0)
             / nullif((SELECT sum(i) FROM unnest(tq.idf) AS i), 0),
           1 - (e2.embedding <=> secondary_vector),
           1.0::float8 / (rrf_k + u.ord)
      FROM unnest(chunk_ids) WITH ORDINALITY AS u(id, ord)
      JOIN rag.chunks c ON c.id = u.id
      CROSS JOIN tq
      LEFT JOIN rag.embeddings e1 ON e1.chunk_id = u.id AND e1.model_id = _signals.model_id
      LEFT JOIN rag.embeddings e2 ON e2.chunk_id = u.id AND e2.model_id = secondary_model_id
     ORDER BY u.ord
$$;

-- A signal min-max normalised over the pool; a missing value counts 0.
CREATE OR REPLACE FUNCTION rag._minmax(value float8, lo float8, hi float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT CASE WHEN value IS NULL THEN 0 WHEN hi > lo THEN (value - lo) / (hi - lo) ELSE 1 END $$;

-- The 'signals' reranker's scores: weighted sum of the normalised signals
-- (weights from options.weights; these defaults otherwise).
CREATE OR REPLACE FUNCTION rag._signal_scores(
    chunk_ids bigint[], query text, query_language text, models text[], embeddings @extschema_vector@.vector[],
    options jsonb, rrf_k int, tenant text)
RETURNS TABLE (chunk_id bigint, score float8)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH w AS (
        SELECT coalesce((options -> 'weights' ->> 'cosine')::float8, 1.0) AS cosine,
               coalesce((options -> 'weights' ->> 'coverage')::float8, 0.5) AS coverage,
               coalesce((options -> 'weights' ->> 'secondary_cosine')::float8, 0.0) AS secondary_cosine,
               coalesce((options -> 'weights' ->> 'rrf')::float8, 0.0) AS rrf),
    m AS (
        SELECT e1.id AS id1, e1.name AS name1, e2.id AS id2, e2.name AS name2
          FROM (SELECT 1) AS one
          LEFT JOIN rag.embedding_models e1
            ON e1.name = options ->> 'model' OR (options ->> 'model' IS NULL AND e1.active)
          LEFT JOIN rag.embedding_models e2 ON e2.name = options ->> 'secondary_model'),
    s AS (
        SELECT x.* FROM m, rag._signals(chunk_ids, query, query_language, embeddings[array_position(models, m.name1)],
                                        m.id1, embeddings[array_position(models, m.name2)], m.id2, rrf_k,
                                        tenant) x)
    SELECT s.chunk_id,
           w.cosine * rag._minmax(s.cosine, min(s.cosine) OVER (), max(s.cosine) OVER ())
         + w.coverage * rag._minmax(s.coverage, min(s.coverage) OVER (), max(s.coverage) OVER ())
         + w.secondary_cosine * rag._minmax(s.secondary_cosine, min(s.secondary_cosine) OVER (),
                                            max(s.secondary_cosine) OVER ())
         + w.rrf * rag._minmax(s.rrf, min(s.rrf) OVER (), max(s.rrf) OVER ())
      FROM s CROSS JOIN w
$$;

CREATE OR REPLACE FUNCTION rag._cross_encoder_scores(query text, chunk_ids bigint[], model_ref text)
RETURNS float8[]
LANGUAGE plpython3u STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import rerank
return rerank.cross_encoder_scores(plpy, query, chunk_ids, model_ref)
$py$;

-- Scores of chunk_ids (best first-stage candidates first) for a query whose
-- features are computed (models/embeddings as rag._search_plan and
-- rag.query_features give them).
CREATE OR REPLACE FUNCTION rag._rerank_scores(
    query text, chunk_ids bigint[], reranker text, models text[], embeddings @extschema_vector@.vector[],
    query_language text, rrf_k int DEFAULT 60, tenant text DEFAULT NULL)
RETURNS TABLE (chunk_id bigint, score float8)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r rag.rerankers := rag._reranker(reranker);
    v_t timestamptz := clock_timestamp();
BEGIN
    IF coalesce(cardinality(chunk_ids), 0) = 0 THEN
        RETURN;
    ELSIF r.provider = 'cross-encoder' THEN
        RETURN QUERY SELECT u.id, u.s FROM unnest(chunk_ids, rag._cross_encoder_scores(query, chunk_ids, r.model_ref))
                                           AS u(id, s);
    ELSE
        RETURN QUERY SELECT * FROM rag._signal_scores(chunk_ids, query, query_language, models, embeddings,
                                                      r.options, rrf_k, tenant);
    END IF;
    PERFORM rag._note_stage_ms('rerank', v_t);  -- RETURN QUERY has run it: the scores are computed
END;
$$;

-- The per-candidate signals the 'signals' reranker combines (for inspection
-- and tuning).
CREATE OR REPLACE FUNCTION rag.rerank_signals(query text, chunk_ids bigint[], model text DEFAULT NULL,
                                              secondary_model text DEFAULT NULL)
RETURNS TABLE (chunk_id bigint, cosine float8, coverage float8, secondary_cosine float8)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m1 rag.embedding_models;
    m2 rag.embedding_models;
    f record;
BEGIN
    SELECT * INTO m1 FROM rag.embedding_models e
     WHERE (rerank_signals.model IS NULL AND e.active) OR e.name = rerank_signals.model;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO m2 FROM rag.embedding_models e WHERE e.name = secondary_model;
    SELECT * INTO f FROM rag.query_features(query, array_remove(ARRAY[m1.name, m2.name], NULL), NULL);
    RETURN QUERY SELECT s.chunk_id, s.cosine, s.coverage, s.secondary_cosine
                   FROM rag._signals(chunk_ids, query, f.language, f.embeddings[1], m1.id, f.embeddings[2], m2.id,
                                     60, NULL) s;
END;
$$;

-- Rescores chunk_ids (best first-stage candidates first) for query with the
-- named or default reranker.
CREATE OR REPLACE FUNCTION rag.rerank(query text, chunk_ids bigint[], reranker text DEFAULT NULL)
RETURNS TABLE (chunk_id bigint, score float8)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids bigint[] := array_remove(chunk_ids, NULL);
    v_models text[] := rag._reranker_models(reranker);
    f record;
BEGIN
    IF query IS NULL OR query !~ '[^[:space:]]' THEN
        RAISE EXCEPTION 'query must not be empty' USING ERRCODE = '22023';
    END IF;
    IF cardinality(v_models) > 0 THEN
        SELECT * INTO f FROM rag.query_features(query, v_models, NULL);
    ELSE
        SELECT NULL::@extschema_vector@.vector[] AS embeddings, NULL::text AS language INTO f;
    END IF;
    RETURN QUERY SELECT * FROM rag._rerank_scores(query, v_ids, reranker, v_models, f.embeddings, f.language);
END;
$$;
