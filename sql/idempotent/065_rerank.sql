-- Second-stage reranking: rescore a candidate pool, keep the best k.
-- rag.search(..., rerank => true) fetches rerank_candidates rows, calls
-- rag.rerank and returns the top k by its score.

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
        UPDATE rag.rerankers r SET is_default = (r.name = register_reranker.name)
         WHERE r.is_default OR r.name = register_reranker.name;
    END IF;
END;
$$;

-- The per-candidate signals the 'signals' reranker combines.
CREATE OR REPLACE FUNCTION rag.rerank_signals(query text, chunk_ids bigint[], model text DEFAULT NULL,
                                              secondary_model text DEFAULT NULL)
RETURNS TABLE (chunk_id bigint, cosine float8, coverage float8, secondary_cosine float8)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, @extschema_vector@, pg_temp
AS $$
    WITH tq AS MATERIALIZED (SELECT * FROM rag.text_query(query)),
         m1 AS MATERIALIZED (SELECT e.id, rag.embed(query, e.name) AS v FROM rag.embedding_models e
                 WHERE (model IS NULL AND e.active) OR e.name = model),
         m2 AS MATERIALIZED (SELECT e.id, rag.embed(query, e.name) AS v FROM rag.embedding_models e
                 WHERE e.name = secondary_model)
    SELECT u.id,
           1 - (e1.embedding <=> m1.v),
           coalesce((SELECT sum(t.idf) FROM unnest(tq.terms, tq.idf) AS t(q, idf) WHERE c.tsv @@ t.q), 0)
             / nullif((SELECT sum(i) FROM unnest(tq.idf) AS i), 0),
           1 - (e2.embedding <=> m2.v)
      FROM unnest(chunk_ids) WITH ORDINALITY AS u(id, ord)
      JOIN rag.chunks c ON c.id = u.id
      CROSS JOIN tq CROSS JOIN m1
      LEFT JOIN rag.embeddings e1 ON e1.chunk_id = u.id AND e1.model_id = m1.id
      LEFT JOIN m2 ON true
      LEFT JOIN rag.embeddings e2 ON e2.chunk_id = u.id AND e2.model_id = m2.id
     ORDER BY u.ord
$$;

-- Rescores chunk_ids (best first-stage candidates first) for query with the
-- named or default reranker.
CREATE OR REPLACE FUNCTION rag.rerank(query text, chunk_ids bigint[], reranker text DEFAULT NULL)
RETURNS TABLE (chunk_id bigint, score float8)
LANGUAGE plpython3u STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs import pg
return pg.rerank(plpy, query, chunk_ids, reranker)
$py$;
