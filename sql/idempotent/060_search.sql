-- Hybrid search: vector kNN and BM25-ranked full text, fused by reciprocal
-- rank fusion: score = vector_weight/(rrf_k + vector_rank) + text_weight/(rrf_k + text_rank),
-- optionally rescored by a reranker (sql/idempotent/065_rerank.sql).
--
-- One crossing into Python per search: rag.search checks its arguments and
-- learns which query vectors it needs (rag._search_plan), gets them and the
-- query's language in one call (rag.query_features), and hands them to
-- rag._search, which is plain SQL for the default reranker. rag.answer
-- computes the same features in-process and calls rag._search directly.

-- The query's full text: one tsquery per distinct lexeme with its BM25 IDF,
-- and their OR (a question rarely contains every word of the answer). The
-- statistics are the tenant's own; with tenant NULL, those of every tenant
-- the caller may see (row-level security on rag.text_stats), combined.
CREATE OR REPLACE FUNCTION rag.text_query(query text, language text DEFAULT NULL, tenant text DEFAULT NULL,
    OUT terms tsquery[], OUT idf float8[], OUT any_term tsquery)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_lang text := coalesce(language, rag.detect_language(query));
    v_n float8;
BEGIN
    SELECT greatest(sum(s.n_chunks), 1) INTO v_n FROM rag.text_corpus_stats s
     WHERE text_query.tenant IS NULL OR s.tenant = text_query.tenant;
    v_n := coalesce(v_n, 1000);
    -- An undecided language (short keyword queries) uses the Spanish and
    -- English stems together; OR semantics makes the extra stems harmless.
    -- Candidates must contain a selective term (in at most 30% of chunks)
    -- when the query has one: chunks matching only common terms score low
    -- anyway, and skipping them keeps the candidate set small.
    SELECT array_agg(t.q), array_agg(ln(1 + (v_n - t.df + 0.5) / (t.df + 0.5))),
           coalesce(string_agg(t.q::text, ' | ') FILTER (WHERE t.df <= 0.3 * v_n),
                    string_agg(t.q::text, ' | '))::tsquery
      INTO terms, idf, any_term
      FROM (SELECT l.lexeme, (quote_literal(replace(l.lexeme, '\', '')))::tsquery AS q,
                   least(coalesce((SELECT sum(st.df) FROM rag.text_stats st
                                    WHERE st.lexeme = l.lexeme
                                      AND (text_query.tenant IS NULL OR st.tenant = text_query.tenant)), 0), v_n) AS df
              FROM (SELECT DISTINCT x.lexeme
                      FROM unnest(CASE WHEN v_lang IN ('es', 'en') THEN ARRAY[rag.ts_config(v_lang)]
                                       ELSE ARRAY[rag.ts_config('es'), rag.ts_config('en')] END) AS cfg,
                           unnest(tsvector_to_array(to_tsvector(cfg, query))) AS x(lexeme)) l) t;
END;
$$;

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

-- The first stage: vector kNN and BM25 candidates fused by RRF. The query's
-- vector for `model` is embeddings[array_position(models, model)].
CREATE OR REPLACE FUNCTION rag._first_stage(
    query text, models text[], embeddings @extschema_vector@.vector[], query_language text, k int, tenant text,
    filter jsonb, mode text, vector_weight float8, text_weight float8, rrf_k int, candidates int, model text)
RETURNS TABLE (chunk_id bigint, document_id bigint, title text, content text, metadata jsonb,
               vector_rank int, text_rank int, score float8)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, @extschema_vector@, pg_temp
-- Iterative index scans: a filtered kNN query keeps scanning until it has
-- enough rows that pass the filter.
SET hnsw.iterative_scan = 'relaxed_order'
AS $$
DECLARE
    m rag.embedding_models;
    v_qvec vector;
    v_tq record;
    v_n int := greatest(k, coalesce(candidates, 50));
    v_avgdl float8;
    v_vector_sql text := 'SELECT NULL::bigint AS chunk_id, NULL::int AS r WHERE false';
    v_text_sql text := v_vector_sql;
BEGIN
    SELECT NULL::tsquery[] AS terms, NULL::float8[] AS idf, NULL::tsquery AS any_term INTO v_tq;

    IF mode IN ('hybrid', 'vector') THEN
        SELECT * INTO m FROM rag.embedding_models e
         WHERE (_first_stage.model IS NULL AND e.active) OR e.name = _first_stage.model;
        v_qvec := embeddings[array_position(models, m.name)];
        -- The cast to vector(dims) and the model_id predicate match the model's
        -- partial index (rag.create_vector_index).
        v_vector_sql := format($q$
            SELECT s.chunk_id, (row_number() OVER ())::int AS r FROM (
                SELECT e.chunk_id FROM rag.embeddings e JOIN rag.chunks c ON c.id = e.chunk_id
                 WHERE e.model_id = %1$s
                   AND ($3::text IS NULL OR c.tenant = $3) AND ($4::jsonb IS NULL OR c.metadata @> $4)
                 ORDER BY e.embedding::vector(%2$s) <=> $1::vector(%2$s)
                 LIMIT $5) s$q$, m.id, m.dimensions);
    END IF;

    IF mode IN ('hybrid', 'text') THEN
        SELECT * INTO v_tq FROM rag.text_query(query, query_language, tenant);
        SELECT sum(s.avg_length * s.n_chunks) / nullif(sum(s.n_chunks), 0) INTO v_avgdl
          FROM rag.text_corpus_stats s WHERE _first_stage.tenant IS NULL OR s.tenant = _first_stage.tenant;
        -- BM25 (k1 = 1.2, b = 0.75) with term frequency taken as 1: chunks are
        -- short, and it needs no per-row unnest of the tsvector.
        v_text_sql := format($q$
            SELECT x.id AS chunk_id, (row_number() OVER (ORDER BY x.s DESC, x.id))::int AS r FROM (
                SELECT c.id, sum(t.idf * 2.2 / (1 + 1.2 * (0.25 + 0.75 * length(c.tsv) / %1$s))) AS s
                  FROM rag.chunks c
                  JOIN unnest($6::tsquery[], $7::float8[]) AS t(q, idf) ON c.tsv @@ t.q
                 WHERE c.tsv @@ $8
                   AND ($3::text IS NULL OR c.tenant = $3) AND ($4::jsonb IS NULL OR c.metadata @> $4)
                 GROUP BY c.id
                 ORDER BY s DESC, c.id
                 LIMIT $5) x$q$, coalesce(v_avgdl, 100)::numeric);
        IF v_tq.any_term IS NULL THEN
            v_text_sql := 'SELECT NULL::bigint AS chunk_id, NULL::int AS r WHERE false';
        END IF;
    END IF;

    RETURN QUERY EXECUTE format($q$
        WITH v AS (%1$s), t AS (%2$s)
        SELECT c.id, c.document_id, d.title, c.content, c.metadata, f.vr, f.tr,
               (coalesce($9 / ($11 + f.vr), 0) + coalesce($10 / ($11 + f.tr), 0))::float8 AS score
          FROM (SELECT coalesce(v.chunk_id, t.chunk_id) AS chunk_id, v.r AS vr, t.r AS tr
                  FROM v FULL JOIN t ON t.chunk_id = v.chunk_id) f
          JOIN rag.chunks c ON c.id = f.chunk_id
          JOIN rag.documents d ON d.id = c.document_id
         ORDER BY score DESC, c.id
         LIMIT $2$q$, v_vector_sql, v_text_sql)
    USING v_qvec, k, tenant, filter, v_n, v_tq.terms, v_tq.idf, v_tq.any_term,
          vector_weight, text_weight, rrf_k::float8;
END;
$$;

-- A search whose query features are computed: the first stage, then (with
-- rerank or a named reranker) a second stage that rescores a larger pool
-- and keeps the best k; the score column is then the reranker's.
CREATE OR REPLACE FUNCTION rag._search(
    query text, models text[], embeddings @extschema_vector@.vector[], query_language text,
    k int DEFAULT 10, tenant text DEFAULT NULL, filter jsonb DEFAULT NULL, mode text DEFAULT 'hybrid',
    vector_weight float8 DEFAULT 1.0, text_weight float8 DEFAULT 1.0, rrf_k int DEFAULT 60,
    candidates int DEFAULT 50, model text DEFAULT NULL, rerank boolean DEFAULT false, reranker text DEFAULT NULL,
    rerank_candidates int DEFAULT 40)
RETURNS TABLE (chunk_id bigint, document_id bigint, title text, content text, metadata jsonb,
               vector_rank int, text_rank int, score float8)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT (rerank OR reranker IS NOT NULL) THEN
        RETURN QUERY SELECT * FROM rag._first_stage(query, models, embeddings, query_language, k, tenant, filter,
                                                    mode, vector_weight, text_weight, rrf_k, candidates, model);
        RETURN;
    END IF;
    RETURN QUERY
    WITH pool AS (
        SELECT s.*, row_number() OVER () AS ord
          FROM rag._first_stage(query, models, embeddings, query_language, greatest(k, rerank_candidates), tenant,
                                filter, mode, vector_weight, text_weight, rrf_k,
                                greatest(candidates, rerank_candidates), model) s),
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
    rerank_candidates int DEFAULT 40)
RETURNS TABLE (chunk_id bigint, document_id bigint, title text, content text, metadata jsonb,
               vector_rank int, text_rank int, score float8)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_models text[] := rag._search_plan(query, k, mode, filter, model, rerank, reranker, rerank_candidates);
    f record;
BEGIN
    IF cardinality(v_models) = 0 AND language IS NOT NULL THEN
        SELECT NULL::@extschema_vector@.vector[] AS embeddings, language INTO f;  -- no Python needed
    ELSE
        SELECT * INTO f FROM rag.query_features(query, v_models, language);
    END IF;
    RETURN QUERY SELECT * FROM rag._search(query, v_models, f.embeddings, f.language, k, tenant, filter, mode,
                                           vector_weight, text_weight, rrf_k, candidates, model, rerank, reranker,
                                           rerank_candidates);
END;
$$;
