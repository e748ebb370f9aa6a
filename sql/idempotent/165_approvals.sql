-- Deciding on the actions agents proposed (160_agents.sql). Approval runs
-- the function exactly once: the claim locks the action's row until the
-- approver's transaction ends, so a concurrent approval waits and then
-- finds it decided; a rolled-back approval leaves it pending. The function
-- runs with the approver's rights (rag.approve_action is SECURITY INVOKER):
-- an approver who may not call it cannot run it by approving.

-- The approver may decide on action `id` now: a member of rag_approver, not
-- the one who asked (four eyes), the action pending and not expired.
-- Returns the action, its row locked.
CREATE OR REPLACE FUNCTION rag._claim_action(id bigint) RETURNS rag.pending_actions
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a rag.pending_actions;
BEGIN
    IF NOT pg_has_role(rag.caller(), 'rag_approver', 'MEMBER') THEN
        RAISE EXCEPTION 'role % may not decide on proposed actions', rag.caller()
            USING ERRCODE = '42501', HINT = 'a DBA grants rag_approver to the people who approve';
    END IF;
    SELECT * INTO a FROM rag.pending_actions p WHERE p.id = _claim_action.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no proposed action %', id USING ERRCODE = '22023';
    END IF;
    IF a.status <> 'pending' THEN
        RAISE EXCEPTION 'action % is already %', id, a.status
            USING ERRCODE = '55000', DETAIL = format('decided by %s at %s', a.decided_by, a.decided_at);
    END IF;
    IF a.expires_at <= now() THEN  -- rag.expire_actions() marks it (this error rolls back any write)
        RAISE EXCEPTION 'action % expired at %', id, a.expires_at
            USING ERRCODE = '55000', HINT = 'the agent (or a person) proposes it again';
    END IF;
    IF a.requested_by = rag.caller() THEN
        RAISE EXCEPTION 'action % was proposed by %: another approver decides on it', id, a.requested_by
            USING ERRCODE = '42501';
    END IF;
    RETURN a;
END;
$$;

CREATE OR REPLACE FUNCTION rag._settle_action(id bigint, status text, result jsonb, error text, decision text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE rag.pending_actions p
       SET status = _settle_action.status, result = _settle_action.result, error = left(_settle_action.error, 2000),
           decision = left(_settle_action.decision, 2000), decided_by = rag.caller(), decided_at = now()
     WHERE p.id = _settle_action.id AND p.status = 'pending'
$$;

CREATE OR REPLACE FUNCTION rag.approve_action(id bigint) RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a rag.pending_actions := rag._claim_action(id);
    v_result jsonb;
    v_error text;
BEGIN
    BEGIN
        v_result := rag.execute_intent(jsonb_build_object('funcion', a.function, 'parametros', a.arguments),
                                       confirm => true);
    EXCEPTION WHEN OTHERS THEN  -- what it changed is rolled back; the action is settled as failed
        v_error := SQLERRM;
    END;
    PERFORM rag._settle_action(a.id, CASE WHEN v_error IS NULL THEN 'executed' ELSE 'failed' END, v_result,
                               v_error, NULL);
    RETURN jsonb_build_object('action', a.id, 'function', a.function,
                              'status', CASE WHEN v_error IS NULL THEN 'executed' ELSE 'failed' END,
                              'result', v_result -> 'result', 'error', v_error);
END;
$$;

CREATE OR REPLACE FUNCTION rag.reject_action(id bigint, reason text) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a rag.pending_actions;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'a rejection needs a reason' USING ERRCODE = '22023',
            HINT = 'the reason is kept with the action for whoever proposed it';
    END IF;
    a := rag._claim_action(id);
    PERFORM rag._settle_action(a.id, 'rejected', NULL, NULL, reason);
END;
$$;

-- The seed's open_jira tool, in the database: an incident for a person to
-- follow. It changes data, so an agent can only propose it.
CREATE OR REPLACE FUNCTION rag.open_incident(summary text, owner text, severity text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF severity IS NULL OR severity NOT IN ('P0', 'P1', 'P2', 'P3') THEN
        RAISE EXCEPTION 'severity must be P0, P1, P2 or P3, got %', coalesce(severity, 'NULL')
            USING ERRCODE = '22023', HINT = 'P0: stop everything … P3: when convenient';
    END IF;
    INSERT INTO rag.incidents (summary, owner, severity, created_by)
    VALUES (btrim(summary), btrim(owner), severity, rag.caller()) RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;
