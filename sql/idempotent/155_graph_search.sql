-- Graph search: the question's entities (their names found in the
-- question) and the entities of its vector neighbourhood (the hybrid
-- search's top chunks) seed a walk over rag.relations up to `hops` steps
-- (a recursive CTE); chunks that mention the entities reached are ranked
-- by the entities' scores and fused with the hybrid ranking (reciprocal
-- rank). Row security applies as in rag.search: the caller's tenants only.
--
-- Scores: a question entity starts at 1; when the question names none, the
-- entities of its neighbourhood start at neighbour_weight / rank of their
-- best chunk. A step multiplies by the relation's strength w / (w + 1) and
-- by the reached entity's specificity 1 / ln(e + its chunks): a city named
-- in half the corpus leads nowhere in particular. w sums the relation's
-- weight over the chunks that state it, tripled for each word (4 letters
-- or more) its type shares with the question: "the supplier of X" follows
-- the link typed "su proveedor principal es". A chunk scores its best
-- entity, times 1 + ln(mentions) there (a profile names its subject in its
-- title and its text), plus a tenth of the others.
CREATE OR REPLACE FUNCTION rag._graph_search(
    query text, models text[], embeddings @extschema_vector@.vector[], query_language text,
    k int DEFAULT 10, tenant text DEFAULT NULL, filter jsonb DEFAULT NULL, hops int DEFAULT 2,
    neighbours int DEFAULT 20, model text DEFAULT NULL, neighbour_weight float8 DEFAULT 0.5,
    fanout int DEFAULT 25, rrf_k int DEFAULT 60, hub_chunks int DEFAULT 200)
RETURNS TABLE (chunk_id bigint, document_id bigint, title text, content text, metadata jsonb,
               vector_rank int, text_rank int, score float8, search_rank int, graph_rank int,
               entities text[], path text[], hops_away int)
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
-- The planner cannot bound the recursive walk (it guesses millions of
-- rows), which would set off JIT compilation: about 0.9 s a query, for a
-- walk that touches a few hundred rows.
SET jit = off
AS $$
WITH RECURSIVE
nb AS (
    SELECT s.*, (row_number() OVER ())::int AS r
      FROM rag._search(query, models, embeddings, query_language, neighbours, tenant, filter, 'hybrid',
                       model => model) s),
q AS (SELECT ' ' || rag.entity_key(query) || ' ' AS words,
             ARRAY(SELECT DISTINCT w FROM unnest(string_to_array(rag.entity_key(query), ' ')) w
                    WHERE length(w) >= 4) AS long_words),
named AS (
    SELECT e.id, 1.0::float8 AS score FROM rag.entities e, q
     WHERE (_graph_search.tenant IS NULL OR e.tenant = _graph_search.tenant)
       AND length(e.key) >= 3 AND strpos(q.words, ' ' || e.key || ' ') > 0
),
seed AS (
    SELECT * FROM named
    UNION ALL
    SELECT m.entity_id, max(neighbour_weight / nb.r) FROM nb JOIN rag.mentions m ON m.chunk_id = nb.chunk_id
     WHERE nb.r <= 5 AND NOT EXISTS (SELECT 1 FROM named) GROUP BY m.entity_id),
spec AS (
    SELECT m.entity_id, 1 / ln(exp(1) + count(*)) AS s, count(*) AS chunks FROM rag.mentions m
     WHERE m.entity_id IN (SELECT e.id FROM rag.entities e WHERE _graph_search.tenant IS NULL
                                                              OR e.tenant = _graph_search.tenant)
     GROUP BY m.entity_id),
-- A hub (named in more than hub_chunks chunks) is reached but not walked
-- through: its links lead everywhere, and walking them costs seconds on a
-- large corpus. The test sits inside the lateral subquery, so a hub's
-- relations are never read.
walk (entity_id, score, depth, path, chunks) AS (
    SELECT s.id, max(s.score), 0, ARRAY[s.id], coalesce(max(sp.chunks), 0)
      FROM seed s LEFT JOIN spec sp ON sp.entity_id = s.id GROUP BY s.id
    UNION ALL
    SELECT n.other, w.score * n.strength * coalesce(sp.s, 1), w.depth + 1, w.path || n.other,
           coalesce(sp.chunks, 0)
      FROM walk w
      CROSS JOIN LATERAL (
          SELECT x.other, x.w / (x.w + 1) AS strength FROM (
              SELECT CASE WHEN r.source_id = w.entity_id THEN r.target_id ELSE r.source_id END AS other,
                     sum(r.weight * (1 + 2 * (SELECT count(*) FROM q, unnest(r.type_words) t
                                               WHERE t = ANY (q.long_words)))) AS w
                FROM rag.relations r
               WHERE (r.source_id = w.entity_id OR r.target_id = w.entity_id)
                 AND w.depth < greatest(hops, 0) AND w.chunks <= hub_chunks
               GROUP BY 1) x
           ORDER BY x.w DESC, x.other LIMIT fanout) n
      LEFT JOIN spec sp ON sp.entity_id = n.other
     WHERE NOT n.other = ANY (w.path)),
reached AS (
    SELECT DISTINCT ON (w.entity_id) w.entity_id, w.score, w.depth, w.path
      FROM walk w ORDER BY w.entity_id, w.score DESC),
graph AS (
    SELECT m.chunk_id, max(r.score * (1 + ln(m.count))) + 0.1 * (sum(r.score) - max(r.score)) AS gscore,
           array_agg(r.entity_id ORDER BY r.score DESC) AS entity_ids,
           min(r.depth) AS depth
      FROM reached r JOIN rag.mentions m ON m.entity_id = r.entity_id
      JOIN rag.chunks c ON c.id = m.chunk_id
     WHERE c.live AND (_graph_search.tenant IS NULL OR c.tenant = _graph_search.tenant)
       AND (_graph_search.filter IS NULL OR c.metadata @> _graph_search.filter)
     GROUP BY m.chunk_id
     ORDER BY gscore DESC, m.chunk_id
     LIMIT greatest(neighbours, k)),
ranked AS (
    SELECT g.*, (row_number() OVER (ORDER BY g.gscore DESC, g.chunk_id))::int AS gr FROM graph g),
fused AS (
    SELECT coalesce(nb.chunk_id, g.chunk_id) AS chunk_id, nb.r AS search_rank, g.gr AS graph_rank,
           coalesce(1.0 / (rrf_k + nb.r), 0) + coalesce(1.0 / (rrf_k + g.gr), 0) AS fscore,
           nb.vector_rank, nb.text_rank, g.entity_ids, g.depth
      FROM nb FULL JOIN ranked g ON g.chunk_id = nb.chunk_id)
SELECT f.chunk_id, c.document_id, d.title, c.content, c.metadata, f.vector_rank, f.text_rank, f.fscore::float8,
       f.search_rank, f.graph_rank,
       ARRAY(SELECT e.name FROM unnest(f.entity_ids[1:8]) WITH ORDINALITY AS u(id, o)
               JOIN rag.entities e ON e.id = u.id ORDER BY u.o),
       ARRAY(SELECT e.name FROM reached b, unnest(b.path) WITH ORDINALITY AS u(id, o)
               JOIN rag.entities e ON e.id = u.id WHERE b.entity_id = f.entity_ids[1] ORDER BY u.o),
       f.depth
  FROM fused f JOIN rag.chunks c ON c.id = f.chunk_id JOIN rag.documents d ON d.id = c.document_id
 ORDER BY f.fscore DESC, f.search_rank NULLS LAST, f.chunk_id
 LIMIT k
$$;

-- The public entry point, checked like rag.search (rag._search_plan) and
-- with one crossing into Python for the question's vectors.
CREATE OR REPLACE FUNCTION rag.graph_search(
    query text, k int DEFAULT 10, hops int DEFAULT 2, tenant text DEFAULT NULL, filter jsonb DEFAULT NULL,
    neighbours int DEFAULT 20, model text DEFAULT NULL)
RETURNS TABLE (chunk_id bigint, document_id bigint, title text, content text, metadata jsonb,
               vector_rank int, text_rank int, score float8, search_rank int, graph_rank int,
               entities text[], path text[], hops_away int)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_models text[] := rag._search_plan(query, k, 'hybrid', filter, model, false, NULL, 40);
    f record;
BEGIN
    IF hops IS NULL OR hops < 0 OR hops > 3 THEN
        RAISE EXCEPTION 'hops must be between 0 and 3, got %', coalesce(hops::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'each hop widens the walk; 2 reaches a fact behind a fact';
    END IF;
    IF neighbours IS NULL OR neighbours < 1 OR neighbours > 200 THEN
        RAISE EXCEPTION 'neighbours must be between 1 and 200, got %', coalesce(neighbours::text, 'NULL')
            USING ERRCODE = '22023';
    END IF;
    SELECT * INTO f FROM rag.query_features(query, v_models, NULL);
    RETURN QUERY SELECT * FROM rag._graph_search(query, v_models, f.embeddings, f.language, k, tenant, filter,
                                                 hops, neighbours, model);
END;
$$;
