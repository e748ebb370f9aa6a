-- What questions cost and where their time goes, for BI tools: every LLM
-- call priced (rag.llm_calls), cost per day (rag.cost_daily) and latency per
-- stage (rag.stage_latency). Views read as the caller (row security: an
-- analyst sees their own calls); the monitor_* functions give rag_monitor
-- the same figures across tenants, never content. Prices live in
-- rag.llm_prices, which owners write: cost is computed here, at read time,
-- so a corrected price re-prices the calls it covers.

-- The price in force at `at` for a provider's model: the latest row whose
-- valid_from is not after it.
CREATE OR REPLACE FUNCTION rag.llm_price_at(provider text, model text, at timestamptz)
RETURNS rag.llm_prices
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.* FROM rag.llm_prices p
     WHERE p.provider = llm_price_at.provider AND p.model = llm_price_at.model AND p.valid_from <= at
     ORDER BY p.valid_from DESC LIMIT 1
$$;

-- One row per LLM call: answers (generation) and intent calls (the LLM
-- parser). cost is NULL when the call's tokens are unknown or no price
-- covers it; such calls are counted as unpriced below, never as free.
CREATE OR REPLACE VIEW rag.llm_calls WITH (security_invoker = true) AS
WITH calls AS (
    SELECT 'answer'::text AS kind, l.id, l.asked_at, l.tenant, l.llm_provider, l.llm_model, l.tokens_in,
           l.tokens_out, l.tokens_counted_by
      FROM rag.answer_log l WHERE l.llm_provider IS NOT NULL
    UNION ALL
    SELECT 'intent', l.id, l.asked_at, l.tenant, l.llm_provider, l.llm_model, l.tokens_in, l.tokens_out,
           l.tokens_counted_by
      FROM rag.intent_log l WHERE l.llm_provider IS NOT NULL)
SELECT c.kind, c.id, c.asked_at, c.tenant, c.llm_provider AS provider, c.llm_model AS model, c.tokens_in,
       c.tokens_out, c.tokens_counted_by, p.currency,
       ((c.tokens_in * p.input_per_1k + c.tokens_out * p.output_per_1k) / 1000)::numeric AS cost
  FROM calls c
  LEFT JOIN LATERAL rag.llm_price_at(c.llm_provider, c.llm_model, c.asked_at) p ON p.provider IS NOT NULL;

-- Cost per day × tenant × kind of question ('answer': rag.answer,
-- 'intent': rag.ask's parse). queries counts every question, with or
-- without an LLM, so cost_per_query is what a question costs on average.
CREATE OR REPLACE VIEW rag.cost_daily WITH (security_invoker = true) AS
WITH questions AS (
    SELECT 'answer'::text AS kind, l.id, date_trunc('day', l.asked_at) AS day, l.tenant FROM rag.answer_log l
    UNION ALL
    SELECT 'intent', l.id, date_trunc('day', l.asked_at), l.tenant FROM rag.intent_log l)
SELECT q.day, q.tenant, q.kind,
       count(*) AS queries,
       count(c.id) AS llm_calls,
       sum(c.tokens_in) AS tokens_in,
       sum(c.tokens_out) AS tokens_out,
       count(c.id) FILTER (WHERE c.cost IS NULL) AS unpriced_calls,
       coalesce(sum(c.cost), 0) AS cost,
       coalesce(sum(c.cost), 0) / count(*) AS cost_per_query,
       string_agg(DISTINCT c.currency, ',') AS currency
  FROM questions q
  LEFT JOIN rag.llm_calls c ON c.kind = q.kind AND c.id = q.id
 GROUP BY 1, 2, 3;

-- Latency per stage, day, tenant and model (the generator for answers, the
-- parser for intent calls): one row per stage, so a chart needs no pivot.
CREATE OR REPLACE VIEW rag.stage_latency WITH (security_invoker = true) AS
WITH stages AS (
    SELECT 'answer'::text AS kind, date_trunc('day', l.asked_at) AS day, l.tenant, l.model,
           left(t.key, -3) AS stage, t.value::text::float8 AS ms
      FROM rag.answer_log l, jsonb_each(l.timings_ms) t
     WHERE t.key LIKE '%\_ms' AND jsonb_typeof(t.value) = 'number'
    UNION ALL
    SELECT 'intent', date_trunc('day', l.asked_at), l.tenant, l.parser, left(t.key, -3), t.value::text::float8
      FROM rag.intent_log l, jsonb_each(l.timings_ms) t
     WHERE t.key LIKE '%\_ms' AND jsonb_typeof(t.value) = 'number')
SELECT s.kind, s.day, s.tenant, s.model, s.stage, count(*) AS calls,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY s.ms) AS p50_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY s.ms) AS p95_ms,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY s.ms) AS p99_ms
  FROM stages s
 GROUP BY 1, 2, 3, 4, 5;

CREATE OR REPLACE FUNCTION rag.monitor_costs(days int DEFAULT 30)
RETURNS SETOF rag.cost_daily
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM rag.cost_daily c
     WHERE c.day >= date_trunc('day', now() - make_interval(days => greatest(coalesce(days, 30), 1)))
     ORDER BY c.day, c.tenant, c.kind
$$;

CREATE OR REPLACE FUNCTION rag.monitor_stage_latency(days int DEFAULT 30)
RETURNS SETOF rag.stage_latency
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM rag.stage_latency s
     WHERE s.day >= date_trunc('day', now() - make_interval(days => greatest(coalesce(days, 30), 1)))
     ORDER BY s.kind, s.day, s.tenant, s.model, s.stage
$$;

COMMENT ON VIEW rag.llm_calls IS 'One row per LLM call (answer generation, LLM intent parse), its tokens and cost';
COMMENT ON COLUMN rag.llm_calls.kind IS '''answer'' (rag.answer_log) or ''intent'' (rag.intent_log)';
COMMENT ON COLUMN rag.llm_calls.id IS 'The log row''s id in rag.answer_log or rag.intent_log';
COMMENT ON COLUMN rag.llm_calls.asked_at IS 'When the question was asked (the price in force then applies)';
COMMENT ON COLUMN rag.llm_calls.tenant IS 'Tenant of the question; NULL: none recorded';
COMMENT ON COLUMN rag.llm_calls.provider IS 'Host of the LLM endpoint (rag.llm_prices.provider)';
COMMENT ON COLUMN rag.llm_calls.model IS 'Model the endpoint was asked for';
COMMENT ON COLUMN rag.llm_calls.tokens_in IS 'Prompt tokens; NULL when unknown (the call failed or nothing counted)';
COMMENT ON COLUMN rag.llm_calls.tokens_out IS 'Completion tokens; NULL when unknown';
COMMENT ON COLUMN rag.llm_calls.tokens_counted_by IS '''usage'': the reply''s own count; ''tokenizer'': the model''s tokenizer';
COMMENT ON COLUMN rag.llm_calls.currency IS 'Currency of the price applied; NULL: no price covers the call';
COMMENT ON COLUMN rag.llm_calls.cost IS 'tokens × price per 1k in force at asked_at; NULL: tokens or price unknown';
COMMENT ON VIEW rag.cost_daily IS 'Cost of questions per day, tenant and kind: LLM calls, tokens, cost per query';
COMMENT ON COLUMN rag.cost_daily.day IS 'Day (start, server time zone)';
COMMENT ON COLUMN rag.cost_daily.tenant IS 'Tenant of the questions; NULL: none recorded or every visible tenant';
COMMENT ON COLUMN rag.cost_daily.kind IS '''answer'' (rag.answer) or ''intent'' (rag.ask)';
COMMENT ON COLUMN rag.cost_daily.queries IS 'Questions asked, with or without an LLM call';
COMMENT ON COLUMN rag.cost_daily.llm_calls IS 'Questions that called an LLM';
COMMENT ON COLUMN rag.cost_daily.tokens_in IS 'Prompt tokens of the calls whose count is known';
COMMENT ON COLUMN rag.cost_daily.tokens_out IS 'Completion tokens of the calls whose count is known';
COMMENT ON COLUMN rag.cost_daily.unpriced_calls IS 'LLM calls left out of cost: tokens unknown or no price in rag.llm_prices';
COMMENT ON COLUMN rag.cost_daily.cost IS 'Sum of the priced calls'' cost';
COMMENT ON COLUMN rag.cost_daily.cost_per_query IS 'cost / queries';
COMMENT ON COLUMN rag.cost_daily.currency IS 'Currency of the prices applied (comma-separated if several)';
COMMENT ON VIEW rag.stage_latency IS 'Latency per stage of answers and intent calls, per day, tenant and model';
COMMENT ON COLUMN rag.stage_latency.kind IS '''answer'' (rag.answer_log) or ''intent'' (rag.intent_log)';
COMMENT ON COLUMN rag.stage_latency.day IS 'Day (start, server time zone)';
COMMENT ON COLUMN rag.stage_latency.tenant IS 'Tenant of the questions; NULL: none recorded or every visible tenant';
COMMENT ON COLUMN rag.stage_latency.model IS 'Generator (answers) or parser (intent calls)';
COMMENT ON COLUMN rag.stage_latency.stage IS 'embed, vector, text, fusion, rerank, evidence, support, generation, extractive, retrieval and total (answers); parse, validate, answer, execute, reply and total (intent calls)';
COMMENT ON COLUMN rag.stage_latency.calls IS 'Calls in which the stage ran';
COMMENT ON COLUMN rag.stage_latency.p50_ms IS 'Median milliseconds';
COMMENT ON COLUMN rag.stage_latency.p95_ms IS '95th percentile of milliseconds';
COMMENT ON COLUMN rag.stage_latency.p99_ms IS '99th percentile of milliseconds';
