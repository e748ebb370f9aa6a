-- Monitoring for BI and operators (role rag_monitor): aggregates across all
-- tenants — counts, rates, latencies — and never content (no question,
-- answer, document text or vector). SECURITY DEFINER: the monitor sees
-- through row security, but only what these functions return. The views
-- at the end break the same figures down per tenant, model and function, as
-- the caller sees the logs.

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

-- Breakdowns for BI dashboards, as the caller sees the logs (row security:
-- an analyst, their own calls; a DBA, everyone's). A NULL tenant or function
-- is a group of its own: a question asked across every visible tenant, an
-- intent call with no tenant recorded, a question no function matched.
-- Answers per day × tenant × generator ('extractive' includes the fallbacks).
CREATE OR REPLACE VIEW rag.answer_stats WITH (security_invoker = true) AS
SELECT date_trunc('day', l.asked_at) AS day, l.tenant, l.model,
       count(*) AS answers,
       count(*) FILTER (WHERE l.supported) AS answered,
       count(*) FILTER (WHERE NOT coalesce(l.supported, false)) AS refused,
       count(*) FILTER (WHERE l.error IS NOT NULL) AS errors,
       count(*) FILTER (WHERE l.fell_back) AS fallbacks,
       avg(coalesce(l.supported, false)::int)::float8 AS answered_rate,
       avg((NOT coalesce(l.supported, false))::int)::float8 AS refused_rate,
       avg((l.error IS NOT NULL)::int)::float8 AS error_rate,
       avg(l.fell_back::int)::float8 AS fallback_rate,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY l.total_ms) AS p50_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY l.total_ms) AS p95_ms,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY l.total_ms) AS p99_ms
  FROM rag.answers l
 GROUP BY 1, 2, 3;
-- The fallback was briefly a function; the view above no longer needs it.
DROP FUNCTION IF EXISTS rag.answer_fell_back(boolean, text, text, jsonb);

-- Intent calls (rag.ask) per day × tenant × function.
CREATE OR REPLACE VIEW rag.intent_stats WITH (security_invoker = true) AS
SELECT date_trunc('day', l.asked_at) AS day, l.tenant,
       coalesce(l.executed_function, l.intent ->> 'funcion') AS function,
       count(*) AS calls,
       count(*) FILTER (WHERE l.path = 'intent') AS executed,
       count(*) FILTER (WHERE l.path = 'rejected') AS rejected,
       count(*) FILTER (WHERE l.path = 'clarify') AS clarified,
       count(*) FILTER (WHERE l.path IN ('refused', 'needs_confirmation')) AS change_requests,
       count(*) FILTER (WHERE l.path = 'rag_answer') AS document_answers,
       count(*) FILTER (WHERE l.error IS NOT NULL) AS errors,
       avg((l.path = 'intent')::int)::float8 AS executed_rate,
       avg((l.path = 'rejected')::int)::float8 AS rejected_rate,
       avg((l.path = 'clarify')::int)::float8 AS clarify_rate,
       avg((l.path = 'rag_answer')::int)::float8 AS document_answer_rate,
       avg((l.error IS NOT NULL)::int)::float8 AS error_rate,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY l.duration_ms) AS p50_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY l.duration_ms) AS p95_ms,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY l.duration_ms) AS p99_ms
  FROM rag.intent_log l
 GROUP BY 1, 2, 3;

-- The same breakdowns for the monitor, across every tenant: the views read
-- as this function's owner (security_invoker takes the current user, which
-- SECURITY DEFINER makes the owner), so the figures have one home.
CREATE OR REPLACE FUNCTION rag.monitor_answer_stats(days int DEFAULT 30)
RETURNS SETOF rag.answer_stats
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM rag.answer_stats s
     WHERE s.day >= date_trunc('day', now() - make_interval(days => greatest(coalesce(days, 30), 1)))
     ORDER BY s.day, s.tenant, s.model
$$;

CREATE OR REPLACE FUNCTION rag.monitor_intent_stats(days int DEFAULT 30)
RETURNS SETOF rag.intent_stats
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM rag.intent_stats s
     WHERE s.day >= date_trunc('day', now() - make_interval(days => greatest(coalesce(days, 30), 1)))
     ORDER BY s.day, s.tenant, s.function
$$;

COMMENT ON VIEW rag.answer_stats IS 'Answers per day, tenant and generator: counts, rates and latency percentiles';
COMMENT ON COLUMN rag.answer_stats.day IS 'Day (start, server time zone)';
COMMENT ON COLUMN rag.answer_stats.tenant IS 'Tenant asked about; NULL: questions across every visible tenant';
COMMENT ON COLUMN rag.answer_stats.model IS 'Generator: ''extractive'' (also the LLM fallback) or the LLM endpoint and model';
COMMENT ON COLUMN rag.answer_stats.answers IS 'Answers logged';
COMMENT ON COLUMN rag.answer_stats.answered IS 'Answers the sources supported';
COMMENT ON COLUMN rag.answer_stats.refused IS 'Refusals (no information, no documents the caller can see)';
COMMENT ON COLUMN rag.answer_stats.errors IS 'Answers whose LLM failed, timed out or was unreachable';
COMMENT ON COLUMN rag.answer_stats.fallbacks IS 'Answers the extractive generator gave although an LLM was asked: it failed, or the guardrails discarded all it wrote (rag.answers.fell_back)';
COMMENT ON COLUMN rag.answer_stats.answered_rate IS 'answered / answers';
COMMENT ON COLUMN rag.answer_stats.refused_rate IS 'refused / answers';
COMMENT ON COLUMN rag.answer_stats.error_rate IS 'errors / answers';
COMMENT ON COLUMN rag.answer_stats.fallback_rate IS 'fallbacks / answers';
COMMENT ON COLUMN rag.answer_stats.p50_ms IS 'Median total milliseconds per answer';
COMMENT ON COLUMN rag.answer_stats.p95_ms IS '95th percentile of total milliseconds';
COMMENT ON COLUMN rag.answer_stats.p99_ms IS '99th percentile of total milliseconds';
COMMENT ON VIEW rag.intent_stats IS 'Intent calls (rag.ask) per day, tenant and function: paths, rates and latency';
COMMENT ON COLUMN rag.intent_stats.day IS 'Day (start, server time zone)';
COMMENT ON COLUMN rag.intent_stats.tenant IS 'Tenant of the call; NULL: none recorded';
COMMENT ON COLUMN rag.intent_stats.function IS 'Function executed, or the one a rejected intent named; NULL: no function matched';
COMMENT ON COLUMN rag.intent_stats.calls IS 'Calls logged';
COMMENT ON COLUMN rag.intent_stats.executed IS 'Calls that ran the function (path intent)';
COMMENT ON COLUMN rag.intent_stats.rejected IS 'Calls whose intent failed validation (path rejected)';
COMMENT ON COLUMN rag.intent_stats.clarified IS 'Calls answered with a question back: an unknown catalog value or a missing parameter (path clarify)';
COMMENT ON COLUMN rag.intent_stats.change_requests IS 'Requests to change data refused or waiting for confirm => true (paths refused, needs_confirmation)';
COMMENT ON COLUMN rag.intent_stats.clarify_rate IS 'clarified / calls';
COMMENT ON COLUMN rag.intent_stats.document_answers IS 'Calls answered from documents (path rag_answer)';
COMMENT ON COLUMN rag.intent_stats.errors IS 'Calls that logged an error';
COMMENT ON COLUMN rag.intent_stats.executed_rate IS 'executed / calls';
COMMENT ON COLUMN rag.intent_stats.rejected_rate IS 'rejected / calls';
COMMENT ON COLUMN rag.intent_stats.document_answer_rate IS 'document_answers / calls';
COMMENT ON COLUMN rag.intent_stats.error_rate IS 'errors / calls';
COMMENT ON COLUMN rag.intent_stats.p50_ms IS 'Median milliseconds per call';
COMMENT ON COLUMN rag.intent_stats.p95_ms IS '95th percentile of milliseconds per call';
COMMENT ON COLUMN rag.intent_stats.p99_ms IS '99th percentile of milliseconds per call';
