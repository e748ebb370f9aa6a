-- Every grant and row-level security policy of the product, in one place,
-- applied last (after every object exists). Idempotent: policies are
-- dropped and recreated, grants repeat harmlessly.

-- Row-level security: tenants see their own documents, chunks, vectors (of
-- chunks and of sentences), queued work, text statistics and PII policies; a
-- role sees its own tenant grants, answers, intent calls and conversation
-- turns.
DROP POLICY IF EXISTS tenant_isolation ON rag.documents;
CREATE POLICY tenant_isolation ON rag.documents
    USING (tenant = ANY (rag.visible_tenants())) WITH CHECK (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.chunks;
CREATE POLICY tenant_isolation ON rag.chunks
    USING (tenant = ANY (rag.visible_tenants())) WITH CHECK (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.embeddings;
CREATE POLICY tenant_isolation ON rag.embeddings
    USING (tenant = ANY (rag.visible_tenants())) WITH CHECK (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.sentence_embeddings;
CREATE POLICY tenant_isolation ON rag.sentence_embeddings
    USING (tenant = ANY (rag.visible_tenants())) WITH CHECK (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.embedding_queue;
CREATE POLICY tenant_isolation ON rag.embedding_queue
    USING (tenant = ANY (rag.visible_tenants())) WITH CHECK (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.text_stats;
CREATE POLICY tenant_isolation ON rag.text_stats USING (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.text_corpus_stats;
CREATE POLICY tenant_isolation ON rag.text_corpus_stats USING (tenant = ANY (rag.visible_tenants()));
-- An evaluation case is the tenant's (a case without a tenant: owners only);
-- a result goes with its case.
DROP POLICY IF EXISTS tenant_isolation ON rag.eval_cases;
CREATE POLICY tenant_isolation ON rag.eval_cases USING (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.eval_results;
CREATE POLICY tenant_isolation ON rag.eval_results
    USING (EXISTS (SELECT 1 FROM rag.eval_cases c WHERE c.id = case_id));
DROP POLICY IF EXISTS tenant_isolation ON rag.drift_centroids;
CREATE POLICY tenant_isolation ON rag.drift_centroids USING (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.drift_snapshots;
CREATE POLICY tenant_isolation ON rag.drift_snapshots USING (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.tenant_policies;
CREATE POLICY tenant_isolation ON rag.tenant_policies USING (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.tenant_access;
CREATE POLICY tenant_isolation ON rag.tenant_access USING (pg_has_role(current_user, role_name, 'MEMBER'));
DROP POLICY IF EXISTS tenant_isolation ON rag.answer_log;
CREATE POLICY tenant_isolation ON rag.answer_log
    USING (asked_by = current_user) WITH CHECK (asked_by = current_user);
DROP POLICY IF EXISTS own_rows ON rag.intent_log;
CREATE POLICY own_rows ON rag.intent_log USING (asked_by = current_user) WITH CHECK (asked_by = current_user);
-- A rating: the rater's own, and those of the tenants granted to the
-- caller (an answer asked across tenants is rated with a NULL tenant: the
-- rater's only).
DROP POLICY IF EXISTS tenant_isolation ON rag.feedback;
CREATE POLICY tenant_isolation ON rag.feedback
    USING (given_by = current_user OR tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS own_rows ON rag.conversation_turns;
CREATE POLICY own_rows ON rag.conversation_turns USING (asked_by = current_user) WITH CHECK (asked_by = current_user);

-- Analysts (rag_user): read (under row security, views as the caller) and
-- call the API; no write privilege on any table. Their writes go through the
-- SECURITY DEFINER functions that check the caller's tenant grants:
-- rag.ingest_document, rag.delete_document, rag.process_embedding_queue (and
-- so rag.drain_embedding_queue), the log writers rag._log_answer and
-- rag._log_intent_call, whose rows are always the caller's own, and
-- rag.give_feedback, which rates only answers the caller may see. Earlier
-- releases granted writes; they are taken back here.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA rag FROM rag_user;
GRANT USAGE ON SCHEMA rag TO rag_user;
GRANT SELECT ON rag.embedding_models, rag.vector_indexes, rag.embedding_queue_status, rag.reembed_progress,
                rag.rerankers,
                rag.text_stats, rag.text_corpus_stats, rag.answers, rag.answer_latency, rag.answer_stats,
                rag.intent_stats, rag.feedback, rag.feedback_daily, rag.llm_prices, rag.llm_calls, rag.cost_daily,
                rag.stage_latency TO rag_user;
GRANT SELECT ON rag.documents, rag.chunks, rag.embeddings, rag.sentence_embeddings, rag.embedding_queue,
                rag.answer_log TO rag_user;
GRANT SELECT ON rag.eval_sets, rag.eval_cases, rag.eval_runs, rag.eval_results,
                rag.eval_run_metrics, rag.eval_trend, rag.eval_worst_cases TO rag_user;
GRANT SELECT ON rag.intent_functions, rag.intent_registry_version, rag.intent_parse_stats,
                rag.intent_eval_runs TO rag_user;
GRANT SELECT ON rag.intent_log, rag.conversation_turns TO rag_user;
GRANT SELECT ON rag.llm_endpoints TO rag_user;
GRANT SELECT ON rag.tenant_policies, rag.flagged_documents TO rag_user;
GRANT EXECUTE ON FUNCTION rag.refresh_text_stats() TO rag_user;

-- Monitoring (BI dashboards, operators): the aggregate functions of
-- 130_monitoring.sql and nothing else; no tenant is granted to it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rag_monitor') THEN
        CREATE ROLE rag_monitor NOLOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA rag TO rag_monitor;
REVOKE EXECUTE ON FUNCTION rag.monitor_answers(int), rag.monitor_intents(int), rag.monitor_corpus(),
       rag.monitor_answer_stats(int), rag.monitor_intent_stats(int), rag.monitor_costs(int),
       rag.monitor_stage_latency(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rag.monitor_answers(int), rag.monitor_intents(int), rag.monitor_corpus(),
      rag.monitor_answer_stats(int), rag.monitor_intent_stats(int), rag.monitor_costs(int),
      rag.monitor_stage_latency(int) TO rag_monitor;

-- What only DBAs (owners, superusers) do.
REVOKE ALL ON rag.tenant_access FROM PUBLIC;
GRANT SELECT ON rag.tenant_access TO rag_user;
REVOKE INSERT, UPDATE, DELETE ON rag.intent_functions, rag.llm_endpoints, rag.llm_prices FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION rag.register_endpoint(text, text, text, text, text, int, boolean),
       rag.unregister_endpoint(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION rag.grant_tenant(name, text), rag.revoke_tenant(name, text),
       rag.register_model(text, text, text, int, text, text, text, boolean),
       rag.activate_model(text, boolean), rag.create_vector_index(text), rag.refresh_text_stats(),
       rag.start_reembed(text), rag.drop_embeddings(text), rag.unregister_model(text),
       rag.register_reranker(text, text, text, jsonb, boolean), rag.set_pii_policy(text, text) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE rag.reembed(text, int) FROM PUBLIC;
-- Evaluation writes runs and results of every tenant's cases: DBAs run it,
-- analysts read their tenants' cases and results.
REVOKE EXECUTE ON FUNCTION rag.evaluate(text, text, int, boolean, text, boolean, text, int, text, float8, float8, int,
                                         text) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE rag.run_evaluation(text, text, int, boolean, text, boolean, text, int, text, float8, float8,
                                               int, text, bigint) FROM PUBLIC;

-- Document versions and vectorizers (040_ingest.sql, 047_vectorizers.sql,
-- 052_versions.sql): the internal writers run only inside the SECURITY
-- DEFINER functions that check the caller. The vectorizer's own functions
-- stay callable by anyone (a table's writers run its trigger): each checks
-- the caller's rights on the table. The registry is the rag owner's.
REVOKE EXECUTE ON FUNCTION rag._store_document(text, text, jsonb, text, text, text, int, int, bytea),
       rag._promote_versions(bigint[], boolean), rag._delete_source(text, text) FROM PUBLIC;
REVOKE ALL ON rag.vectorizers FROM PUBLIC;
GRANT SELECT ON rag.pending_versions TO rag_user;

-- Stages and the promotion gate (105_stages.sql): rag_promoter (ML
-- engineers) moves artefacts through the gate; forcing it is checked inside
-- for an owner. Everyone reads stages, history and gates; owners write the
-- gates and the prompts.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rag_promoter') THEN
        CREATE ROLE rag_promoter NOLOGIN;
    END IF;
END $$;
GRANT USAGE ON SCHEMA rag TO rag_promoter;
REVOKE ALL ON rag.artefact_stages, rag.stage_history, rag.promotion_gates, rag.answer_prompts FROM PUBLIC;
GRANT SELECT ON rag.artefact_stages, rag.stage_history, rag.promotion_gates, rag.answer_prompts,
                rag.artefact_stages_current TO rag_user, rag_promoter;
GRANT SELECT ON rag.embedding_models, rag.rerankers, rag.eval_runs, rag.eval_sets, rag.eval_results,
                rag.eval_cases, rag.eval_run_metrics, rag.intent_eval_runs TO rag_promoter;
REVOKE EXECUTE ON FUNCTION rag.transition_stage(text, text, text, boolean, boolean, text),
       rag._record_stage(text, text, text, text, boolean, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rag.transition_stage(text, text, text, boolean, boolean, text) TO rag_promoter;

-- Drift and the scheduled jobs (140_drift.sql): owners (and the pg_cron job,
-- which runs as one) fit centroids, take snapshots and run the golden sets;
-- analysts read their tenants' snapshots, the monitor every tenant's figures.
REVOKE ALL ON rag.golden_sets FROM PUBLIC;
GRANT SELECT ON rag.golden_sets, rag.drift_snapshots, rag.drift_status TO rag_user;
REVOKE EXECUTE ON FUNCTION rag.fit_drift_centroids(text, int),
       rag._drift_snapshot(text, timestamptz, timestamptz, timestamptz, timestamptz),
       rag.drift_snapshot(text, timestamptz, timestamptz, timestamptz, timestamptz), rag.drift_snapshot_all(),
       rag.monitor_drift() FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE rag.run_golden_evaluations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rag.monitor_drift() TO rag_monitor;

-- The graph (150_graph.sql, 155_graph_search.sql): its rows are their
-- tenant's, as chunks are; analysts read them and search the graph. Only
-- the queue worker writes them (SECURITY DEFINER, the caller's tenants);
-- turning the graph on is for the tenant's writers and DBAs (checked inside).
DROP POLICY IF EXISTS tenant_isolation ON rag.graph_settings;
CREATE POLICY tenant_isolation ON rag.graph_settings USING (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.entities;
CREATE POLICY tenant_isolation ON rag.entities USING (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.mentions;
CREATE POLICY tenant_isolation ON rag.mentions USING (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.relations;
CREATE POLICY tenant_isolation ON rag.relations USING (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.graph_queue;
CREATE POLICY tenant_isolation ON rag.graph_queue USING (tenant = ANY (rag.visible_tenants()));
GRANT SELECT ON rag.graph_settings, rag.entities, rag.mentions, rag.relations, rag.graph_queue,
                rag.graph_queue_status TO rag_user;
REVOKE EXECUTE ON FUNCTION rag._extract_graph(text[], text[], text[], text[]), rag._embed_entity_names(bigint[]),
       rag._queue_graph_extraction() FROM PUBLIC;

-- Agents (160_agents.sql, 165_approvals.sql): a run and its steps are the
-- caller's own; a proposed action is its requester's, and every approver
-- sees them all. rag_approver decides (four eyes, checked inside);
-- rag.open_incident and the settling of an action are theirs only, so an
-- incident exists only once approved. rag_agent_reader is the read-only
-- SQL tool's login: read-only by default, a statement timeout, and SELECT
-- only where a DBA grants it (the demo grants the sales tables).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rag_approver') THEN
        CREATE ROLE rag_approver NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rag_agent_reader') THEN
        CREATE ROLE rag_agent_reader LOGIN NOINHERIT;
    END IF;
END $$;
ALTER ROLE rag_agent_reader SET default_transaction_read_only = on;
ALTER ROLE rag_agent_reader SET statement_timeout = '5s';
DROP POLICY IF EXISTS own_rows ON rag.agent_runs;
CREATE POLICY own_rows ON rag.agent_runs USING (started_by = current_user);
DROP POLICY IF EXISTS own_rows ON rag.agent_steps;
CREATE POLICY own_rows ON rag.agent_steps USING (started_by = current_user);
DROP POLICY IF EXISTS requester_or_approver ON rag.pending_actions;
CREATE POLICY requester_or_approver ON rag.pending_actions
    USING (requested_by = current_user OR pg_has_role(current_user, 'rag_approver', 'MEMBER'));
GRANT USAGE ON SCHEMA rag TO rag_approver;
GRANT SELECT ON rag.agent_runs, rag.agent_steps, rag.pending_actions, rag.incidents TO rag_user, rag_approver;
REVOKE EXECUTE ON FUNCTION rag._settle_action(bigint, text, jsonb, text, text), rag._claim_action(bigint),
       rag.open_incident(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rag._settle_action(bigint, text, jsonb, text, text), rag._claim_action(bigint),
      rag.open_incident(text, text, text) TO rag_approver;
-- What rag_agent_reader may read, every analyst may read through an agent's
-- SQL tool: grant it only what they all may see (docs/agents.md).
REVOKE EXECUTE ON FUNCTION rag._agent_sql(text, int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rag._agent_sql(text, int, int) TO rag_user;
