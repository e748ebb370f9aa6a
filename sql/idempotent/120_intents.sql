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
from py_udfs.pg import intents
return intents.parse_intent(plpy, question, reference_date or str(plpy.execute("SELECT current_date AS d")[0]["d"]),
                            session_id, parser)
$py$;

CREATE OR REPLACE FUNCTION rag.validate_intent(intent jsonb) RETURNS text[]
LANGUAGE plpython3u STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import intents
return intents.validate_intent(plpy, intent)
$py$;

-- rag.execute_intent's check: NULL when the intent is valid, else the error
-- message, in the language of the intent's "resumen".
CREATE OR REPLACE FUNCTION rag._intent_problem(intent jsonb) RETURNS text
LANGUAGE plpython3u STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import intents
return intents.intent_problem(plpy, intent)
$py$;

-- What rag.ask needs in one crossing into Python: the parsed intent, its
-- validation errors, the question as it may be logged (masked under a PII
-- policy) and what the guardrails found in it.
-- Also the language to answer in, and for an intent that can run the
-- sentence of its reply (its dates written out, the result left for
-- rag._fill_reply) and how to show the result, and the milliseconds spent
-- validating (timings: rag.ask logs them apart from the parse).
DROP FUNCTION IF EXISTS rag._parse_intent_checked(text, date, text, text);
CREATE OR REPLACE FUNCTION rag._parse_intent_checked(question text, reference_date date, session_id text,
                                                     parser text DEFAULT 'auto',
                                                     OUT intent jsonb, OUT errors text[],
                                                     OUT logged_question text, OUT guardrails jsonb,
                                                     OUT language text, OUT reply_template text,
                                                     OUT reply_format jsonb, OUT llm jsonb, OUT timings jsonb)
LANGUAGE plpython3u VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import intents
return intents.parse_intent_checked(plpy, question, reference_date, session_id, parser)
$py$;

-- rag.warm_up's share: the registry, its catalog values and the embeddings
-- of its examples cached in this backend. Returns the functions registered.
CREATE OR REPLACE FUNCTION rag._warm_up_intents() RETURNS int
LANGUAGE plpython3u VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import intents
return intents.warm_up(plpy)
$py$;

-- Calls the registered function of an intent that has been validated
-- (rag.execute_intent, rag.ask): the arguments are cast to the target's
-- declared types, and a function that writes runs only with confirm. The
-- boundaries are checked here too, in SQL, for a caller that skips the
-- validation: the intent's shape, its parameters (registered,
-- scalar, required ones present, each castable to its argument's type) are
-- 22023; a function that is disabled or not allowed to the caller's role is
-- 42501.
CREATE OR REPLACE FUNCTION rag._run_intent(intent jsonb, confirm boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    f rag.intent_functions;
    v_args text;
    v_result jsonb;
    v_scalar boolean;
    v_t0 timestamptz := clock_timestamp();
    v_ms float8;
    v_problem text;
    v_param record;
BEGIN
    -- Shape first: nothing below may meet a NULL or a non-object. (Size and depth
    -- matter to Python's decoder: rag.validate_intent bounds them.)
    v_problem := CASE
        WHEN intent IS NULL THEN 'intent is NULL: expected a JSON object'
        WHEN jsonb_typeof(intent) <> 'object' THEN format('intent must be a JSON object, got %s', jsonb_typeof(intent))
        WHEN NOT intent ? 'funcion' THEN 'funcion is missing'
        WHEN jsonb_typeof(intent -> 'funcion') <> 'string' THEN
            format('funcion must be a string, got %s', jsonb_typeof(intent -> 'funcion'))
        WHEN coalesce(jsonb_typeof(intent -> 'parametros'), 'null') NOT IN ('object', 'null') THEN
            format('parametros must be a JSON object, got %s', jsonb_typeof(intent -> 'parametros'))
        END;
    IF v_problem IS NULL THEN
        SELECT * INTO f FROM rag.intent_functions r WHERE r.name = intent ->> 'funcion';
        IF NOT FOUND THEN
            v_problem := format('unknown function %s', left((intent -> 'funcion')::text, 60));
        END IF;
    END IF;
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid intent: %', v_problem
            USING ERRCODE = '22023', HINT = 'SELECT rag.validate_intent(intent) says why';
    END IF;
    IF NOT f.enabled OR NOT pg_has_role(current_user, f.allowed_role, 'MEMBER') THEN
        RAISE EXCEPTION 'function % is not registered, enabled and allowed to the current role', f.name
            USING ERRCODE = '42501', HINT = 'SELECT rag.validate_intent(intent) says why';
    END IF;
    -- Parameters: registered, scalar, the required ones given, each castable.
    SELECT string_agg(problem, '; ') INTO v_problem FROM (
        SELECT format('unexpected parameter %s', left(to_jsonb(p.key)::text, 60)) AS problem
          FROM jsonb_each(coalesce(intent -> 'parametros', '{}')) AS p(key, value)
         WHERE NOT f.arg_names ? p.key
        UNION ALL
        SELECT format('%s must be a scalar, got %s', p.key, jsonb_typeof(p.value))
          FROM jsonb_each(coalesce(intent -> 'parametros', '{}')) AS p(key, value)
         WHERE f.arg_names ? p.key AND jsonb_typeof(p.value) IN ('object', 'array')
        UNION ALL
        SELECT format('missing required parameter %s', quote_literal(r.key))
          FROM jsonb_array_elements_text(coalesce(f.parameters -> 'required', '[]')) AS r(key)
         WHERE coalesce(jsonb_typeof(intent -> 'parametros' -> r.key), 'null') = 'null') problems;
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid intent: %', v_problem
            USING ERRCODE = '22023', HINT = 'SELECT rag.validate_intent(intent) says why';
    END IF;
    FOR v_param IN
        SELECT p.key, format_type(a.argtype, NULL) AS argtype, intent -> 'parametros' ->> p.key AS value
          FROM jsonb_each_text(f.arg_names) AS p(key, sqlname)
          JOIN LATERAL (SELECT t AS argtype
                          FROM unnest((SELECT proargnames FROM pg_proc WHERE oid = f.target),
                                      (SELECT proargtypes::oid[] FROM pg_proc WHERE oid = f.target)) AS u(n, t)
                         WHERE n = p.sqlname) a ON true
         WHERE coalesce(jsonb_typeof(intent -> 'parametros' -> p.key), 'null') <> 'null'
    LOOP
        BEGIN
            EXECUTE format('SELECT $1::%s', v_param.argtype) USING v_param.value;
        EXCEPTION WHEN data_exception THEN
            RAISE EXCEPTION 'invalid intent: % does not fit its argument type %: %', v_param.key, v_param.argtype,
                                                                                   left(SQLERRM, 200)
                USING ERRCODE = '22023', HINT = 'SELECT rag.validate_intent(intent) says why';
        END;
    END LOOP;
    IF NOT f.read_only AND NOT coalesce(confirm, false) THEN  -- NULL is not a confirmation
        RAISE EXCEPTION 'function % changes data: call again with confirm => true', f.name
            USING ERRCODE = '42501', HINT = 'rag.execute_intent(intent, confirm => true) or rag.ask(question, confirm => true)';
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

CREATE OR REPLACE FUNCTION rag.execute_intent(intent jsonb, confirm boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_problem text := rag._intent_problem(intent);
    v_text text := coalesce(intent::text, 'NULL');
BEGIN
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION '%', v_problem
            USING ERRCODE = '22023',
                  DETAIL = CASE WHEN length(v_text) <= 300 THEN v_text
                                ELSE format('%s... (%s characters)', left(v_text, 300), length(v_text)) END;
    END IF;
    RETURN rag._run_intent(intent, confirm);
END;
$$;

-- Parse quality over time for BI: per day and parser, which path questions
-- took (new columns go last: CREATE OR REPLACE VIEW only appends).
CREATE OR REPLACE VIEW rag.intent_parse_stats WITH (security_invoker = true) AS
SELECT date_trunc('day', asked_at) AS day, parser, count(*) AS questions,
       avg((path = 'intent')::int) AS executed_rate,
       avg((path = 'rejected')::int) AS rejected_rate,
       avg((path = 'rag_answer')::int) AS document_answer_rate,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50_ms,
       avg((path = 'clarify')::int) AS clarify_rate,
       avg((path IN ('refused', 'needs_confirmation'))::int) AS change_request_rate
FROM rag.intent_log
GROUP BY 1, 2;

-- The registry version (schema 0004): bumped by any change to the registry
-- and to the catalog tables its parameters name ("x-catalog"), so each
-- backend's cached registry, catalog values and example embeddings stay
-- current. SECURITY DEFINER: whoever may write a catalog table bumps it
-- without a grant on the version row.
CREATE OR REPLACE FUNCTION rag.bump_intent_registry_version() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE rag.intent_registry_version SET version = nextval('rag.intent_registry_version_seq');
    RETURN NULL;
END;
$$;

-- After a registry change: every catalog table it names gets the trigger
-- that bumps the version (creating it needs the table's owner, as
-- registering a function does).
CREATE OR REPLACE FUNCTION rag.watch_intent_catalogs() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_table regclass;
BEGIN
    UPDATE rag.intent_registry_version SET version = nextval('rag.intent_registry_version_seq');
    FOR v_table IN
        SELECT DISTINCT (p.spec -> 'x-catalog' ->> 'table')::regclass
          FROM rag.intent_functions f, jsonb_each(f.parameters -> 'properties') AS p(name, spec)
         WHERE p.spec ? 'x-catalog'
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = v_table AND t.tgname = 'rag_intent_catalog_version') THEN
            EXECUTE format('CREATE TRIGGER rag_intent_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE'
                           ' ON %s FOR EACH STATEMENT EXECUTE FUNCTION rag.bump_intent_registry_version()', v_table);
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER intent_registry_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON rag.intent_functions FOR EACH STATEMENT EXECUTE FUNCTION rag.watch_intent_catalogs();

-- A registry function's parameters as a tool's input schema for an agent
-- or an MCP client: the JSON Schema without ragsql's own "x-" keys (reply
-- templates, labels, the catalog tables behind a parameter).
CREATE OR REPLACE FUNCTION rag.tool_schema(parameters jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE jsonb_typeof(parameters)
        WHEN 'object' THEN (SELECT coalesce(jsonb_object_agg(e.key, rag.tool_schema(e.value)), '{}')
                              FROM jsonb_each(parameters) e WHERE e.key NOT LIKE 'x-%')
        WHEN 'array' THEN (SELECT coalesce(jsonb_agg(rag.tool_schema(a.value) ORDER BY a.o), '[]')
                             FROM jsonb_array_elements(parameters) WITH ORDINALITY a(value, o))
        ELSE parameters END
$$;
