-- Where the time of a question goes, for the logs (rag.answer_log and
-- rag.intent_log timings_ms) and the latency views.

CREATE OR REPLACE FUNCTION rag._ms_since(since timestamptz) RETURNS float8
LANGUAGE sql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT round((extract(epoch FROM clock_timestamp() - since) * 1000)::numeric, 2)::float8 $$;

-- The search's stages run inside one SQL call (rag._search): each leg and
-- the reranker note their time in a transaction-local setting as they
-- finish, and the answer reads them right after. rag._search clears them
-- first (since => NULL), so a stage that did not run reads NULL.
CREATE OR REPLACE FUNCTION rag._note_stage_ms(stage text, since timestamptz) RETURNS void
LANGUAGE sql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$ SELECT set_config('rag.stage_' || stage || '_ms', coalesce(rag._ms_since(since)::text, ''), true) $$;

CREATE OR REPLACE FUNCTION rag._stage_ms(stage text) RETURNS float8
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$ SELECT nullif(current_setting('rag.stage_' || stage || '_ms', true), '')::float8 $$;
