-- Monitoring for BI and operators (role rag_monitor): aggregates across all
-- tenants — counts, rates, latencies — and never content (no question,
-- answer, document text or vector). SECURITY DEFINER: the monitor sees
-- through row security, but only what these functions return.

CREATE OR REPLACE FUNCTION rag.monitor_answers(days int DEFAULT 30)
RETURNS TABLE (day timestamptz, answers bigint, p50_ms float8, p95_ms float8, no_information_rate float8,
               error_rate float8)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT date_trunc('day', l.asked_at), count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY (l.timings_ms ->> 'total_ms')::float8),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY (l.timings_ms ->> 'total_ms')::float8),
           avg((NOT l.supported)::int), avg((l.error IS NOT NULL)::int)
      FROM rag.answer_log l
     WHERE l.asked_at >= now() - make_interval(days => greatest(coalesce(days, 30), 1))
     GROUP BY 1 ORDER BY 1
$$;

CREATE OR REPLACE FUNCTION rag.monitor_intents(days int DEFAULT 30)
RETURNS TABLE (day timestamptz, questions bigint, executed_rate float8, rejected_rate float8,
               document_answer_rate float8, p50_ms float8)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT date_trunc('day', l.asked_at), count(*), avg((l.path = 'intent')::int), avg((l.path = 'rejected')::int),
           avg((l.path = 'rag_answer')::int), percentile_cont(0.5) WITHIN GROUP (ORDER BY l.duration_ms)
      FROM rag.intent_log l
     WHERE l.asked_at >= now() - make_interval(days => greatest(coalesce(days, 30), 1))
     GROUP BY 1 ORDER BY 1
$$;

-- Size of each tenant's corpus and how much of it is embedded.
CREATE OR REPLACE FUNCTION rag.monitor_corpus()
RETURNS TABLE (tenant text, documents bigint, chunks bigint, embedded_chunks bigint, queued bigint, failed bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT d.tenant, count(DISTINCT d.id), count(c.id),
           count(c.id) FILTER (WHERE EXISTS (SELECT 1 FROM rag.embeddings e JOIN rag.embedding_models m
                                              ON m.id = e.model_id AND m.active WHERE e.chunk_id = c.id)),
           (SELECT count(*) FROM rag.embedding_queue q JOIN rag.chunks x ON x.id = q.chunk_id
             WHERE x.tenant = d.tenant AND q.attempts < rag.queue_max_attempts()),
           (SELECT count(*) FROM rag.embedding_queue q JOIN rag.chunks x ON x.id = q.chunk_id
             WHERE x.tenant = d.tenant AND q.attempts >= rag.queue_max_attempts())
      FROM rag.documents d LEFT JOIN rag.chunks c ON c.document_id = d.id
     GROUP BY d.tenant ORDER BY d.tenant
$$;
