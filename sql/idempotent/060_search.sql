-- Hybrid search: vector kNN and BM25-ranked full text (055_search_legs.sql),
-- fused (rag._first_stage), optionally rescored by a reranker
-- (sql/idempotent/065_rerank.sql).
--
-- One crossing into Python per search: rag.search checks its arguments and
-- learns which query vectors it needs (rag._search_plan), gets them and the
-- query's language in one call (rag.query_features), and hands them to
-- rag._search, which is plain SQL for the default reranker. rag.answer
-- computes the same features in-process and calls rag._search directly.

-- One limit for every question or query a user sends (rag.search,
-- rag.answer, rag.parse_intent, rag.ask): long enough for a pasted paragraph,
-- short enough that embedding it stays fast. Checked before any model work.
CREATE OR REPLACE FUNCTION rag.max_query_chars() RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT 4000 $$;

-- Checks a search's arguments; returns the embedding models whose query
-- vectors it needs, in order: the search model (vector and hybrid modes),
-- then the models a 'signals' reranker reads.
CREATE OR REPLACE FUNCTION rag._search_plan(query text, k int, mode text, filter jsonb, model text,
                                            rerank boolean, reranker text DEFAULT NULL,
                                            rerank_candidates int DEFAULT 40)
RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_models text[] := '{}';
    v_name text;
BEGIN
    IF query IS NULL OR query !~ '[^[:space:]]' THEN
        RAISE EXCEPTION 'query must not be empty' USING ERRCODE = '22023';
    END IF;
    IF length(query) > rag.max_query_chars() THEN
        RAISE EXCEPTION 'query is % characters long; the limit is %', length(query), rag.max_query_chars()
            USING ERRCODE = '22023', HINT = 'search with the key sentence, not the whole text';
    END IF;
    IF k IS NULL OR k < 1 OR k > 1000 THEN
        RAISE EXCEPTION 'k must be between 1 and 1000' USING ERRCODE = '22023';
    END IF;
    IF mode IS NULL OR mode NOT IN ('hybrid', 'vector', 'text') THEN
        RAISE EXCEPTION 'mode must be hybrid, vector or text, got %', mode USING ERRCODE = '22023';
    END IF;
    IF filter IS NOT NULL AND jsonb_typeof(filter) <> 'object' THEN
        RAISE EXCEPTION 'filter must be a JSON object (matched with @> against chunk metadata)' USING ERRCODE = '22023';
    END IF;
    IF mode IN ('hybrid', 'vector') THEN
        SELECT e.name INTO v_name FROM rag.embedding_models e
         WHERE (_search_plan.model IS NULL AND e.active) OR e.name = _search_plan.model;
        IF NOT FOUND THEN
            RAISE EXCEPTION '%', coalesce('unknown embedding model ' || _search_plan.model, 'no active embedding model')
                USING ERRCODE = '22023';
        END IF;
        v_models := ARRAY[v_name];
    END IF;
    IF rerank OR reranker IS NOT NULL THEN
        IF rerank_candidates IS NULL OR rerank_candidates < 1 OR rerank_candidates > 1000 THEN
            RAISE EXCEPTION 'rerank_candidates must be between 1 and 1000' USING ERRCODE = '22023';
        END IF;
        FOREACH v_name IN ARRAY rag._reranker_models(reranker) LOOP
            IF NOT v_name = ANY (v_models) THEN
                v_models := v_models || v_name;
            END IF;
        END LOOP;
    END IF;
    RETURN v_models;
END;
$$;

-- The first stage: the two legs (rag._search_legs) fused. 'convex' (the
-- default) adds the scores themselves:
--   vector_weight * (cosine - min) / (max - min)  over the vector leg's rows
-- + text_weight * 1.5 * bm25 / query_idf
-- Reciprocal-rank fusion ('rrf': weight / (rrf_k + rank) per leg) lost to
-- the vector leg alone wherever the text leg's evidence was weak: its first
-- row counts as much as a strong match, and across languages (Spanish
-- questions over English chunks) only names and numbers match. BM25 over
-- the query's summed IDF is absolute (a chunk holding one of eight terms
-- scores low whatever its rank), so weak text evidence moves little; the
-- cosine is min-max normalised because its spread differs by model. A row
-- missing from the vector leg counts its lowest cosine, one missing from
-- the text leg 0. The 1.5 was tuned on XQuAD Spanish, even articles
-- (python -m ragsql.tune_fusion; nDCG@10 flat from 1.1 to 1.75).
DROP FUNCTION IF EXISTS rag._first_stage(text, text[], @extschema_vector@.vector[], text, int, text, jsonb, text,
                                          float8, float8, int, int, text);
CREATE OR REPLACE FUNCTION rag._first_stage(
    query text, models text[], embeddings @extschema_vector@.vector[], query_language text, k int, tenant text,
    filter jsonb, mode text, vector_weight float8, text_weight float8, rrf_k int, candidates int, model text,
    fusion text DEFAULT 'convex')
RETURNS TABLE (chunk_id bigint, document_id bigint, title text, content text, metadata jsonb,
               vector_rank int, text_rank int, score float8)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
    WITH l AS (
        SELECT l.*, min(l.cosine) OVER () AS lo, max(l.cosine) OVER () AS hi
          FROM rag._search_legs(query, models, embeddings, query_language, greatest(k, coalesce(candidates, 50)),
                                tenant, filter, mode, model) l)
    SELECT c.id, c.document_id, d.title, c.content, c.metadata, l.vector_rank, l.text_rank,
           (CASE WHEN fusion = 'rrf'
                 THEN coalesce(vector_weight / (rrf_k + l.vector_rank), 0)
                      + coalesce(text_weight / (rrf_k + l.text_rank), 0)
                 ELSE coalesce(vector_weight * CASE WHEN l.hi > l.lo THEN (coalesce(l.cosine, l.lo) - l.lo) / (l.hi - l.lo)
                                                    WHEN l.lo IS NOT NULL THEN 1 END, 0)
                      + coalesce(text_weight * 1.5 * l.bm25 / nullif(l.query_idf, 0), 0) END)::float8 AS score
      FROM l
      JOIN rag.chunks c ON c.id = l.chunk_id
      JOIN rag.documents d ON d.id = c.document_id
     ORDER BY score DESC, c.id
     LIMIT k
$$;

-- A search whose query features are computed: the first stage, then (with
-- rerank or a named reranker) a second stage that rescores a larger pool
-- and keeps the best k; the score column is then the reranker's.
DROP FUNCTION IF EXISTS rag._search(text, text[], @extschema_vector@.vector[], text, int, text, jsonb, text, float8,
                                     float8, int, int, text, boolean, text, int);
CREATE OR REPLACE FUNCTION rag._search(
    query text, models text[], embeddings @extschema_vector@.vector[], query_language text,
    k int DEFAULT 10, tenant text DEFAULT NULL, filter jsonb DEFAULT NULL, mode text DEFAULT 'hybrid',
    vector_weight float8 DEFAULT 1.0, text_weight float8 DEFAULT 1.0, rrf_k int DEFAULT 60,
    candidates int DEFAULT 50, model text DEFAULT NULL, rerank boolean DEFAULT false, reranker text DEFAULT NULL,
    rerank_candidates int DEFAULT 40, fusion text DEFAULT 'convex')
RETURNS TABLE (chunk_id bigint, document_id bigint, title text, content text, metadata jsonb,
               vector_rank int, text_rank int, score float8)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM rag._note_stage_ms(stage, NULL) FROM unnest(ARRAY['vector', 'text', 'rerank']) AS stage;
    IF NOT (rerank OR reranker IS NOT NULL) THEN
        RETURN QUERY SELECT * FROM rag._first_stage(query, models, embeddings, query_language, k, tenant, filter,
                                                    mode, vector_weight, text_weight, rrf_k, candidates, model,
                                                    fusion);
        RETURN;
    END IF;
    RETURN QUERY
    WITH pool AS (
        SELECT s.*, row_number() OVER () AS ord
          FROM rag._first_stage(query, models, embeddings, query_language, greatest(k, rerank_candidates), tenant,
                                filter, mode, vector_weight, text_weight, rrf_k,
                                greatest(candidates, rerank_candidates), model, fusion) s),
    rescored AS (
        SELECT r.chunk_id, r.score
          FROM rag._rerank_scores(query, ARRAY(SELECT p.chunk_id FROM pool p ORDER BY p.ord), reranker, models,
                                  embeddings, query_language, rrf_k, tenant) r)
    SELECT p.chunk_id, p.document_id, p.title, p.content, p.metadata, p.vector_rank, p.text_rank, r.score
      FROM pool p JOIN rescored r ON r.chunk_id = p.chunk_id
     ORDER BY r.score DESC, p.ord
     LIMIT k;
END;
$$;

DROP FUNCTION IF EXISTS rag.search(text, int, text, jsonb, text, float8, float8, int, int, text, text, boolean, text,
                                    int);
CREATE OR REPLACE FUNCTION rag.search(
    query text,
    k int DEFAULT 10,
    tenant text DEFAULT NULL,
    filter jsonb DEFAULT NULL,
    mode text DEFAULT 'hybrid',
    vector_weight float8 DEFAULT 1.0,
    text_weight float8 DEFAULT 1.0,
    rrf_k int DEFAULT 60,
    candidates int DEFAULT 50,
    model text DEFAULT NULL,
    language text DEFAULT NULL,
    rerank boolean DEFAULT false,
    reranker text DEFAULT NULL,
    rerank_candidates int DEFAULT 40,
    fusion text DEFAULT 'convex')
RETURNS TABLE (chunk_id bigint, document_id bigint, title text, content text, metadata jsonb,
               vector_rank int, text_rank int, score float8)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_models text[] := rag._search_plan(query, k, mode, filter, model, rerank, reranker, rerank_candidates);
    f record;
BEGIN
    IF fusion IS NULL OR fusion NOT IN ('convex', 'rrf') THEN
        RAISE EXCEPTION 'fusion must be convex or rrf, got %', fusion USING ERRCODE = '22023';
    END IF;
    IF cardinality(v_models) = 0 AND language IS NOT NULL THEN
        SELECT NULL::@extschema_vector@.vector[] AS embeddings, language INTO f;  -- no Python needed
    ELSE
        SELECT * INTO f FROM rag.query_features(query, v_models, language);
    END IF;
    RETURN QUERY SELECT * FROM rag._search(query, v_models, f.embeddings, f.language, k, tenant, filter, mode,
                                           vector_weight, text_weight, rrf_k, candidates, model, rerank, reranker,
                                           rerank_candidates, fusion);
END;
$$;
