-- requires: rag.intent_functions, rag.intent_log, rag.conversation_turns, rag.intent_eval_runs
-- Intent execution: question -> intent JSON -> validation against the
-- registry -> a typed call of the registered SQL function. No SQL text is
-- ever built from user input: the function comes from the registry, the
-- values travel as one bound jsonb parameter and are cast to the target's
-- declared argument types.

-- parser: 'rules' (no model call), 'llm' (the configured OpenAI-compatible
-- endpoint, validated, rules as fallback) or 'auto' (llm when configured).
CREATE OR REPLACE FUNCTION rag.parse_intent(question text, reference_date date DEFAULT current_date,
                                            session_id text DEFAULT NULL, parser text DEFAULT 'auto')
RETURNS jsonb
LANGUAGE plpython3u VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs import pg
return pg.parse_intent(plpy, question, reference_date or str(plpy.execute("SELECT current_date AS d")[0]["d"]),
                       session_id, parser)
$py$;

CREATE OR REPLACE FUNCTION rag.validate_intent(intent jsonb) RETURNS text[]
LANGUAGE plpython3u STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs import pg
return pg.validate_intent(plpy, intent)
$py$;

CREATE OR REPLACE FUNCTION rag.execute_intent(intent jsonb, confirm boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_errors text[];
    f rag.intent_functions;
    v_args text;
    v_result jsonb;
    v_scalar boolean;
    v_t0 timestamptz := clock_timestamp();
    v_ms float8;
BEGIN
    v_errors := rag.validate_intent(intent);
    IF cardinality(v_errors) > 0 THEN
        RAISE EXCEPTION 'invalid intent: %', array_to_string(v_errors, '; ')
            USING ERRCODE = '22023', DETAIL = intent::text;
    END IF;
    SELECT * INTO f FROM rag.intent_functions r WHERE r.name = intent ->> 'funcion';
    IF NOT f.read_only AND NOT confirm THEN
        RAISE EXCEPTION 'function % changes data: call again with confirm => true', f.name
            USING ERRCODE = '42501';
    END IF;
    -- Named arguments, each cast to the type the target declares.
    SELECT string_agg(format('%I => ($1 -> ''parametros'' ->> %L)::%s', a.argname, p.key,
                             format_type(a.argtype, NULL)), ', ')
      INTO v_args
      FROM jsonb_each_text(f.arg_names) AS p(key, sqlname)
      JOIN LATERAL (SELECT n AS argname, t AS argtype
                      FROM unnest((SELECT proargnames FROM pg_proc WHERE oid = f.target),
                                  (SELECT proargtypes::oid[] FROM pg_proc WHERE oid = f.target)) AS u(n, t)
                     WHERE n = p.sqlname) a ON true
     WHERE intent -> 'parametros' ? p.key AND jsonb_typeof(intent -> 'parametros' -> p.key) <> 'null';
    SELECT NOT p.proretset AND t.typtype <> 'c' INTO v_scalar
      FROM pg_proc p JOIN pg_type t ON t.oid = p.prorettype WHERE p.oid = f.target;
    EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(r)), ''[]'') FROM %s(%s) AS r',
                   f.target::regproc, coalesce(v_args, ''))
       INTO v_result USING intent;
    v_ms := extract(epoch FROM clock_timestamp() - v_t0) * 1000;
    RETURN jsonb_build_object(
        'funcion', f.name, 'parametros', intent -> 'parametros', 'resumen', intent -> 'resumen',
        'result', CASE WHEN v_scalar THEN v_result -> 0 ELSE v_result END,
        'rows', jsonb_array_length(v_result), 'duration_ms', round(v_ms::numeric, 2));
END;
$$;

-- Question in, answer out: parse -> validate -> execute; when no function
-- matches, the documents answer (rag.answer). Says which path it took, and
-- logs every call. The session (for follow-up questions) is the setting
-- rag.session_id, or this connection.
CREATE OR REPLACE FUNCTION rag.ask(question text, reference_date date DEFAULT current_date)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_session text := coalesce(nullif(current_setting('rag.session_id', true), ''), 'backend-' || pg_backend_pid());
    v_t0 timestamptz := clock_timestamp();
    v_intent jsonb;
    v_errors text[] := '{}';
    v_out jsonb;
    v_path text;
BEGIN
    v_intent := rag.parse_intent(question, reference_date, v_session);
    IF v_intent ->> 'funcion' IS NULL THEN
        v_path := 'rag_answer';
        v_out := jsonb_build_object('path', v_path, 'intent', v_intent, 'answer', rag.answer(question));
    ELSE
        v_errors := rag.validate_intent(v_intent);
        IF cardinality(v_errors) > 0 THEN
            v_path := 'rejected';
            v_out := jsonb_build_object('path', v_path, 'intent', v_intent, 'errors', to_jsonb(v_errors));
        ELSE
            v_path := 'intent';
            v_out := jsonb_build_object('path', v_path, 'intent', v_intent) || rag.execute_intent(v_intent);
        END IF;
    END IF;
    INSERT INTO rag.conversation_turns (session_id, question, intent) VALUES (v_session, question, v_intent);
    INSERT INTO rag.intent_log (session_id, question, reference_date, intent, parser, confidence, validation_errors,
                                executed_function, row_count, path, duration_ms)
    VALUES (v_session, question, reference_date, v_intent, v_intent ->> 'parser',
            (v_intent ->> 'confianza')::float8, v_errors,
            CASE WHEN v_path = 'intent' THEN v_intent ->> 'funcion' END,
            (v_out ->> 'rows')::int, v_path, extract(epoch FROM clock_timestamp() - v_t0) * 1000);
    RETURN v_out;
END;
$$;

CREATE OR REPLACE FUNCTION public.rag_ask(question text) RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT rag.ask(question) $$;

-- Parse quality over time for BI: per day and parser, which path questions took.
CREATE OR REPLACE VIEW rag.intent_parse_stats AS
SELECT date_trunc('day', asked_at) AS day, parser, count(*) AS questions,
       avg((path = 'intent')::int) AS executed_rate,
       avg((path = 'rejected')::int) AS rejected_rate,
       avg((path = 'rag_answer')::int) AS document_answer_rate,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50_ms
FROM rag.intent_log
GROUP BY 1, 2;

DROP POLICY IF EXISTS own_rows ON rag.intent_log;
CREATE POLICY own_rows ON rag.intent_log USING (asked_by = current_user) WITH CHECK (asked_by = current_user);
DROP POLICY IF EXISTS own_rows ON rag.conversation_turns;
CREATE POLICY own_rows ON rag.conversation_turns USING (asked_by = current_user) WITH CHECK (asked_by = current_user);
GRANT SELECT ON rag.intent_functions, rag.intent_parse_stats, rag.intent_eval_runs TO rag_user;
GRANT SELECT, INSERT ON rag.intent_log, rag.conversation_turns TO rag_user;
REVOKE INSERT, UPDATE, DELETE ON rag.intent_functions FROM PUBLIC;
