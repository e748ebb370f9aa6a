-- Agents with a human in the loop. rag.agent_run runs an LLM tool-calling
-- loop (py_udfs/agent.py) over the registry's functions, rag.search,
-- rag.answer and a read-only SQL tool, as the caller. A registry function
-- that changes data is never run by the loop: it becomes a row of
-- rag.pending_actions, which a member of rag_approver other than the
-- requester approves (run once, with the approver's rights) or rejects;
-- unanswered, it expires. Every step is kept in rag.agent_steps.

-- How long a proposed action waits for a decision.
CREATE OR REPLACE FUNCTION rag.action_ttl() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT interval '24 hours' $$;

-- The log writers: SECURITY DEFINER (analysts write no table), each row the
-- caller's own, a step only into the caller's own running run.
CREATE OR REPLACE FUNCTION rag._agent_start(goal text, tenant text, max_steps int, max_seconds int, model text)
RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO rag.agent_runs (goal, tenant, started_by, model, max_steps, max_seconds)
    VALUES (goal, tenant, rag.caller(), model, max_steps, max_seconds)
    RETURNING id
$$;

CREATE OR REPLACE FUNCTION rag._agent_check_run(run_id bigint) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM rag.agent_runs r WHERE r.id = run_id AND r.started_by = rag.caller()
                                                    AND r.status = 'running') THEN
        RAISE EXCEPTION 'agent run % is not a running run of role %', run_id, rag.caller() USING ERRCODE = '42501';
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION rag._agent_log_step(run_id bigint, n int, thought text, tool text, arguments jsonb,
                                               result jsonb, error text, tokens_in int, tokens_out int, ms float8)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM rag._agent_check_run(run_id);
    INSERT INTO rag.agent_steps (run_id, n, started_by, thought, tool, arguments, result, error, tokens_in,
                                 tokens_out, ms)
    VALUES (run_id, n, rag.caller(), left(thought, 4000), tool, arguments, result, left(error, 2000), tokens_in,
            tokens_out, ms);
END;
$$;

CREATE OR REPLACE FUNCTION rag._agent_finish(run_id bigint, status text, answer text, error text, steps int,
                                             tokens_in int, tokens_out int)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM rag._agent_check_run(run_id);
    UPDATE rag.agent_runs r
       SET status = _agent_finish.status, answer = left(_agent_finish.answer, 8000),
           error = left(_agent_finish.error, 2000), steps = _agent_finish.steps,
           tokens_in = _agent_finish.tokens_in, tokens_out = _agent_finish.tokens_out, finished_at = now()
     WHERE r.id = run_id;
END;
$$;

-- A call the loop may not make itself: validated like any intent (an
-- unknown function or bad arguments are refused now, not at approval),
-- then queued. The same call proposed again while it waits returns the
-- waiting action.
CREATE OR REPLACE FUNCTION rag._agent_propose(run_id bigint, step_n int, fn text, args jsonb, reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
    v_args jsonb := coalesce(args, '{}');
BEGIN
    PERFORM rag._agent_check_run(run_id);
    INSERT INTO rag.pending_actions AS a (run_id, step_n, requested_by, function, arguments, reason, expires_at)
    VALUES (_agent_propose.run_id, step_n, rag.caller(), fn, v_args, left(reason, 2000), now() + rag.action_ttl())
    ON CONFLICT (requested_by, function, md5(arguments::text)) WHERE status = 'pending' DO NOTHING
    RETURNING a.id INTO v_id;
    IF v_id IS NULL THEN
        SELECT a.id INTO v_id FROM rag.pending_actions a
         WHERE a.requested_by = rag.caller() AND a.function = fn AND md5(a.arguments::text) = md5(v_args::text)
           AND a.status = 'pending';
    END IF;
    RETURN v_id;
END;
$$;

CREATE OR REPLACE FUNCTION rag.expire_actions() RETURNS int
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH e AS (UPDATE rag.pending_actions a SET status = 'expired', decided_at = now()
                WHERE a.status = 'pending' AND a.expires_at <= now() RETURNING 1)
    SELECT count(*)::int FROM e
$$;

-- The read-only SQL tool: the query runs on a connection of its own, as
-- rag_agent_reader (SELECT on what a DBA grants it, nothing else), in a
-- read-only transaction under its own statement_timeout, one statement
-- only (prepared), at most row_limit rows. Its own session: a query cannot
-- reach the caller's role, settings or transaction.
-- Where the tool connects: this server's own socket and database (an
-- analyst may not read unix_socket_directories itself).
CREATE OR REPLACE FUNCTION rag._agent_sql_target(OUT host text, OUT port int, OUT dbname text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), current_setting('port')::int,
           current_database()
$$;

CREATE OR REPLACE FUNCTION rag._agent_sql(query text, row_limit int DEFAULT 200, timeout_ms int DEFAULT 5000)
RETURNS jsonb
LANGUAGE plpython3u VOLATILE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import agent
return agent.read_only_sql(plpy, query, row_limit, timeout_ms)
$py$;

CREATE OR REPLACE FUNCTION rag._agent_run(goal text, tenant text, max_steps int, max_seconds int, tools text[],
                                          endpoint text)
RETURNS text
LANGUAGE plpython3u VOLATILE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import agent
return agent.run_agent(plpy, goal, tenant, max_steps, max_seconds, tools, endpoint)
$py$;

-- tools: the names the agent may use (default: all it is allowed);
-- endpoint: a registered chat endpoint (default: the session's, else the
-- default one). Returns the run: id, status, answer, steps, pending actions.
CREATE OR REPLACE FUNCTION rag.agent_run(goal text, tenant text DEFAULT NULL, max_steps int DEFAULT 8,
                                         max_seconds int DEFAULT 120, tools text[] DEFAULT NULL,
                                         endpoint text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_state text; v_msg text; v_detail text; v_hint text;
BEGIN
    RETURN rag._agent_run(goal, tenant, max_steps, max_seconds, tools, endpoint)::jsonb;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL,
                            v_hint = PG_EXCEPTION_HINT;
    PERFORM rag._raise_clean(v_state, v_msg, v_detail, v_hint);
END;
$$;
