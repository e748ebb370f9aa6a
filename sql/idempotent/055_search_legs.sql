-- The two legs of the first stage, each with its rank and its raw score:
-- the nearest chunks by the model's embedding and the best by BM25 over the
-- query's terms. rag._first_stage (060_search.sql) fuses them; the tuning
-- of that fusion (ragsql.tune_fusion) reads them here. Both see live chunks
-- only: a pending version of a document is not searchable (052_versions.sql).

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

-- Both legs, full-joined on the chunk: up to n rows each. cosine is the
-- query's cosine similarity with the chunk's embedding; bm25 is its BM25
-- score and query_idf the summed IDF of the query's terms (the same on every
-- row), so bm25 / query_idf is 1 for a chunk of average length that holds
-- every term. A leg the mode leaves out returns nothing. The query's vector
-- for `model` is embeddings[array_position(models, model)].
CREATE OR REPLACE FUNCTION rag._search_legs(
    query text, models text[], embeddings @extschema_vector@.vector[], query_language text, n int, tenant text,
    filter jsonb, mode text, model text)
RETURNS TABLE (chunk_id bigint, vector_rank int, cosine float8, text_rank int, bm25 float8, query_idf float8)
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
    v_avgdl float8;
    v_none text := 'SELECT NULL::bigint AS chunk_id, NULL::int AS r, NULL::float8 AS s WHERE false';
    v_vector_sql text := v_none;
    v_text_sql text := v_none;
    v_t timestamptz;
    v_vector_ids bigint[];
    v_vector_scores float8[];
    v_text_ids bigint[];
    v_text_scores float8[];
BEGIN
    SELECT NULL::tsquery[] AS terms, NULL::float8[] AS idf, NULL::tsquery AS any_term INTO v_tq;

    IF mode IN ('hybrid', 'vector') THEN
        SELECT * INTO m FROM rag.embedding_models e
         WHERE (_search_legs.model IS NULL AND e.active) OR e.name = _search_legs.model;
        v_qvec := embeddings[array_position(models, m.name)];
        -- The cast to vector(dims) and the model_id predicate match the model's
        -- partial index (rag.create_vector_index).
        v_vector_sql := format($q$
            SELECT s.chunk_id, (row_number() OVER ())::int AS r, 1 - s.d AS s FROM (
                SELECT e.chunk_id, e.embedding::vector(%2$s) <=> $1::vector(%2$s) AS d
                  FROM rag.embeddings e JOIN rag.chunks c ON c.id = e.chunk_id
                 WHERE e.model_id = %1$s AND c.live
                   AND ($2::text IS NULL OR c.tenant = $2) AND ($3::jsonb IS NULL OR c.metadata @> $3)
                 ORDER BY e.embedding::vector(%2$s) <=> $1::vector(%2$s)
                 LIMIT $4) s$q$, m.id, m.dimensions);
    END IF;

    IF mode IN ('hybrid', 'text') THEN
        SELECT * INTO v_tq FROM rag.text_query(query, query_language, tenant);
        SELECT sum(s.avg_length * s.n_chunks) / nullif(sum(s.n_chunks), 0) INTO v_avgdl
          FROM rag.text_corpus_stats s WHERE _search_legs.tenant IS NULL OR s.tenant = _search_legs.tenant;
        -- BM25 (k1 = 1.2, b = 0.75) with term frequency taken as 1: chunks are
        -- short, and it needs no per-row unnest of the tsvector.
        IF v_tq.any_term IS NOT NULL THEN
            v_text_sql := format($q$
                SELECT x.id AS chunk_id, (row_number() OVER (ORDER BY x.s DESC, x.id))::int AS r, x.s FROM (
                    SELECT c.id, sum(t.idf * 2.2 / (1 + 1.2 * (0.25 + 0.75 * length(c.tsv) / %1$s))) AS s
                      FROM rag.chunks c
                      JOIN unnest($5::tsquery[], $6::float8[]) AS t(q, idf) ON c.tsv @@ t.q
                     WHERE c.tsv @@ $7 AND c.live
                       AND ($2::text IS NULL OR c.tenant = $2) AND ($3::jsonb IS NULL OR c.metadata @> $3)
                     GROUP BY c.id
                     ORDER BY s DESC, c.id
                     LIMIT $4) x$q$, coalesce(v_avgdl, 100)::numeric);
        END IF;
    END IF;

    -- One leg at a time, each timed (rag._note_stage_ms), then joined: at
    -- most n rows a leg, so holding them in arrays costs nothing.
    IF v_vector_sql <> v_none THEN
        v_t := clock_timestamp();
        EXECUTE format('SELECT array_agg(l.chunk_id ORDER BY l.r), array_agg(l.s::float8 ORDER BY l.r) FROM (%s) l',
                       v_vector_sql)
           INTO v_vector_ids, v_vector_scores USING v_qvec, tenant, filter, n;
        PERFORM rag._note_stage_ms('vector', v_t);
    END IF;
    IF v_text_sql <> v_none THEN
        v_t := clock_timestamp();
        EXECUTE format('SELECT array_agg(l.chunk_id ORDER BY l.r), array_agg(l.s::float8 ORDER BY l.r) FROM (%s) l',
                       v_text_sql)
           INTO v_text_ids, v_text_scores USING v_qvec, tenant, filter, n, v_tq.terms, v_tq.idf, v_tq.any_term;
        PERFORM rag._note_stage_ms('text', v_t);
    END IF;
    RETURN QUERY
        SELECT coalesce(v.id, t.id), v.r::int, v.s, t.r::int, t.s, (SELECT sum(i) FROM unnest(v_tq.idf) AS i)::float8
          FROM unnest(v_vector_ids, v_vector_scores) WITH ORDINALITY AS v(id, s, r)
          FULL JOIN unnest(v_text_ids, v_text_scores) WITH ORDINALITY AS t(id, s, r) ON t.id = v.id;
END;
$$;
