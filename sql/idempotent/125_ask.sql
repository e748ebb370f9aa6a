-- Questions to the registered functions, as analysts and programs read the
-- answers: rag.ask (jsonb, for programs: the path, the intent, the result
-- and the sentence), rag.ask_text (the sentence and a small table, for
-- psql) and rag.ask_rows (one row per result row in fixed columns, for BI
-- tools). The sentence is in the question's language; its dates come
-- written out from the parse (py_udfs/intent_replies.py), its amounts are
-- formatted here once the function has run.

-- es: $ 477.400 / 1.234,50; en: $477,400 / 1,234.50. kind: 'money' or any
-- other (a plain number).
CREATE OR REPLACE FUNCTION rag._format_amount(v numeric, lang text, kind text DEFAULT 'number') RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN kind = 'money' THEN CASE WHEN lang = 'es' THEN '$ ' ELSE '$' END ELSE '' END
           || CASE WHEN lang = 'es' THEN translate(s, ',.', '.,') ELSE s END
      FROM (SELECT to_char(v, CASE WHEN v = trunc(v) THEN 'FM999,999,999,999,999,990'
                                   ELSE 'FM999,999,999,999,999,990.00' END) AS s) x
     WHERE v IS NOT NULL
$$;

-- A table result's columns: its label column, its value column (the
-- registry's "x-reply": label, value; else the first text and the first
-- number), then the others by name.
CREATE OR REPLACE FUNCTION rag._result_columns(reply jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH f AS (SELECT reply -> 'result' -> 0 AS first, coalesce(reply -> 'formato', '{}') AS fmt),
    lv AS (SELECT f.first,
                  coalesce(f.fmt ->> 'label', (SELECT k FROM jsonb_each(f.first) AS x(k, v)
                                                WHERE jsonb_typeof(v) = 'string' ORDER BY k LIMIT 1)) AS lk,
                  coalesce(f.fmt ->> 'value', (SELECT k FROM jsonb_each(f.first) AS x(k, v)
                                                WHERE jsonb_typeof(v) = 'number' ORDER BY k LIMIT 1)) AS vk
             FROM f WHERE jsonb_typeof(f.first) = 'object')
    SELECT ARRAY[lk, vk] || ARRAY(SELECT k FROM jsonb_object_keys(first) AS k
                                  WHERE k IS DISTINCT FROM lk AND k IS DISTINCT FROM vk ORDER BY k)
      FROM lv
$$;

-- A result as rows: one per row of a table result (its label, its value
-- and the whole row), one for a single value, one carrying the message
-- when nothing ran.
CREATE OR REPLACE FUNCTION rag._result_rows(reply jsonb)
RETURNS TABLE (fila int, etiqueta text, valor numeric, valor_texto text, detalle jsonb)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH f AS (SELECT coalesce(reply -> 'formato', '{}') AS fmt, reply ->> 'idioma' AS lang,
                      reply -> 'result' AS result, rag._result_columns(reply) AS cols)
    SELECT r.n::int, r.e ->> f.cols[1], (r.e ->> f.cols[2])::numeric,
           rag._format_amount((r.e ->> f.cols[2])::numeric, f.lang, f.fmt ->> 'result'), r.e
      FROM f, jsonb_array_elements(CASE WHEN jsonb_typeof(f.result) = 'array' THEN f.result END)
              WITH ORDINALITY AS r(e, n)
    UNION ALL
    SELECT 1, coalesce(reply -> 'intent' -> 'parametros' ->> (f.fmt ->> 'label'), f.fmt ->> 'titulo'),
           (f.result #>> '{}')::numeric, rag._format_amount((f.result #>> '{}')::numeric, f.lang, f.fmt ->> 'result'),
           jsonb_build_object('respuesta', reply -> 'respuesta')
      FROM f WHERE jsonb_typeof(f.result) = 'number'
    UNION ALL
    SELECT 1, reply ->> 'path', NULL, reply ->> 'respuesta', reply - 'result'
      FROM f WHERE f.result IS NULL OR jsonb_typeof(f.result) NOT IN ('array', 'number')
    ORDER BY 1
$$;

-- The reply sentence: the parse's template with the result in it
-- ({resultado}: a single value; {filas}, {total}, {primero}: a table's row
-- count, the sum of its value column and its first row's label).
CREATE OR REPLACE FUNCTION rag._fill_reply(template text, reply jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT replace(replace(replace(replace(template,
               '{resultado}', coalesce(CASE WHEN jsonb_typeof(reply -> 'result') = 'number'
                                            THEN rag._format_amount((reply ->> 'result')::numeric, reply ->> 'idioma',
                                                                    reply -> 'formato' ->> 'result')
                                            ELSE reply ->> 'result' END, '–')),
               '{filas}', coalesce((reply ->> 'rows'), '0')),
               '{total}', coalesce((SELECT rag._format_amount(sum(r.valor), reply ->> 'idioma',
                                                               reply -> 'formato' ->> 'result')
                                      FROM rag._result_rows(reply) r), '–')),
               '{primero}', coalesce((SELECT r.etiqueta FROM rag._result_rows(reply) r WHERE r.fila = 1), '–'))
$$;

-- Question in, answer out: parse -> validate -> execute; when no function
-- matches, the documents answer (rag.answer). It asks back instead of
-- guessing (path 'clarify': an unknown catalog value, a missing parameter),
-- refuses a request to change data no registered function covers
-- ('refused'), and runs a function that changes data only with confirm
-- ('needs_confirmation' without it). The session (for follow-up questions)
-- is session_id, else the setting rag.session_id, else this connection:
-- behind a transaction pooler (pgbouncer) pass session_id, a SET does not
-- follow the client to its next server connection. tenant: the documents'
-- tenant for rag.answer and the log (default: the caller's only tenant).
DROP FUNCTION IF EXISTS rag.ask(text, date);
CREATE OR REPLACE FUNCTION rag.ask(question text, reference_date date DEFAULT current_date,
                                   session_id text DEFAULT NULL, confirm boolean DEFAULT false,
                                   tenant text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_session text := coalesce(nullif(session_id, ''), nullif(current_setting('rag.session_id', true), ''),
                               'backend-' || pg_backend_pid());
    v_tenants text[] := rag.caller_tenants();
    v_tenant text := coalesce(tenant, CASE WHEN cardinality(v_tenants) = 1 THEN v_tenants[1] END);
    v_t0 timestamptz := clock_timestamp();
    v_t timestamptz;
    v_timings jsonb;
    p record;
    v_out jsonb;
    v_path text;
    v_reply text;
    v_answer jsonb;
BEGIN
    -- The question's checks (as rag.parse_intent's), here so the error
    -- carries no Python frames.
    IF question IS NULL OR btrim(question) = '' THEN
        RAISE EXCEPTION 'question must not be empty' USING ERRCODE = '22023',
            HINT = 'pass the question in words, in Spanish or English';
    ELSIF length(question) > rag.max_query_chars() THEN
        RAISE EXCEPTION 'question is % characters long; the limit is %', length(question), rag.max_query_chars()
            USING ERRCODE = '22023', HINT = 'ask with the key sentence, not the whole text';
    END IF;
    reference_date := coalesce(reference_date, current_date);
    SELECT * INTO p FROM rag._parse_intent_checked(question, reference_date, v_session, rag._production_parser()) x;
    -- Stages: the parse (rules, the LLM when one is asked and the reply's
    -- template) and the validation of the intent(s) it produced share one
    -- crossing into Python, which times validation apart; then whatever the
    -- path runs.
    v_timings := coalesce(p.timings, '{}');
    v_timings := v_timings || jsonb_build_object(
        'parse_ms', round((rag._ms_since(v_t0) - coalesce((v_timings ->> 'validate_ms')::float8, 0))::numeric, 2));
    v_t := clock_timestamp();
    v_out := jsonb_build_object('idioma', p.language, 'intent', p.intent);
    IF p.intent ? 'rechazo' THEN
        v_path := 'refused';
        v_reply := p.intent ->> 'razon';
    ELSIF p.intent ? 'aclaracion' THEN
        v_path := 'clarify';
        v_reply := p.intent -> 'aclaracion' ->> 'pregunta';
        v_out := v_out || jsonb_build_object('aclaracion', p.intent -> 'aclaracion');
    ELSIF p.intent ->> 'funcion' IS NULL THEN
        v_path := 'rag_answer';
        v_answer := rag.answer(question, tenant => v_tenant);
        v_timings := v_timings || jsonb_build_object('answer_ms', rag._ms_since(v_t));
        v_reply := v_answer ->> 'answer';
        v_out := v_out || jsonb_build_object('answer', v_answer);
    ELSIF cardinality(p.errors) > 0 THEN
        v_path := 'rejected';
        v_reply := CASE WHEN p.language = 'es' THEN 'No puedo ejecutar esa consulta: ' ELSE 'I cannot run that query: ' END
                   || array_to_string(p.errors, '; ') || '.';
        v_out := v_out || jsonb_build_object('errors', to_jsonb(p.errors));
    ELSIF p.reply_format ? 'confirmacion' AND NOT coalesce(confirm, false) THEN
        v_path := 'needs_confirmation';
        v_reply := p.reply_format ->> 'confirmacion';
    ELSE
        v_path := 'intent';
        v_out := v_out || rag._run_intent(p.intent, confirm) || jsonb_build_object('formato', p.reply_format);
        v_timings := v_timings || jsonb_build_object('execute_ms', rag._ms_since(v_t));
        v_t := clock_timestamp();
        v_reply := rag._fill_reply(p.reply_template, v_out);
        v_timings := v_timings || jsonb_build_object('reply_ms', rag._ms_since(v_t));
    END IF;
    v_out := v_out || jsonb_build_object('path', v_path, 'respuesta', v_reply);
    PERFORM rag._log_intent_call(v_session, p.logged_question, reference_date, p.intent, p.errors, v_path,
                                 (v_out ->> 'rows')::int, rag._ms_since(v_t0), p.guardrails, v_tenant,
                                 v_timings || jsonb_build_object('total_ms', rag._ms_since(v_t0)), p.llm);
    RETURN v_out;
END;
$$;

-- The conversation's and the intent log's one writer (analysts cannot write
-- the tables): the turn (what a follow-up question builds on) and the log
-- row, always the caller's own; the tenant only when the caller may see it.
DROP FUNCTION IF EXISTS rag._log_intent_call(text, text, date, jsonb, text[], text, int, float8, jsonb);
DROP FUNCTION IF EXISTS rag._log_intent_call(text, text, date, jsonb, text[], text, int, float8, jsonb, text);
CREATE OR REPLACE FUNCTION rag._log_intent_call(session_id text, question text, reference_date date, intent jsonb,
                                                errors text[], path text, row_count int, duration_ms float8,
                                                guardrails jsonb, tenant text DEFAULT NULL,
                                                timings_ms jsonb DEFAULT NULL, llm jsonb DEFAULT NULL)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO rag.conversation_turns (asked_by, session_id, question, intent)
    VALUES (rag.caller(), session_id, question, intent);
    INSERT INTO rag.intent_log (asked_by, session_id, question, reference_date, intent, parser, confidence,
                                validation_errors, executed_function, row_count, path, duration_ms, guardrails,
                                tenant, timings_ms, llm_provider, llm_model, tokens_in, tokens_out,
                                tokens_counted_by)
    VALUES (rag.caller(), session_id, question, reference_date, intent, intent ->> 'parser',
            (intent ->> 'confianza')::float8, coalesce(errors, '{}'),
            CASE WHEN path = 'intent' THEN intent ->> 'funcion' END, row_count, path, duration_ms,
            coalesce(guardrails, '{}'),
            CASE WHEN tenant = ANY (rag.caller_tenants()) OR rag.caller_is_dba() THEN tenant END,
            coalesce(timings_ms, '{}'), llm ->> 'provider', llm ->> 'model', (llm ->> 'tokens_in')::int,
            (llm ->> 'tokens_out')::int, llm ->> 'counted_by');
$$;

-- Rows for psql and BI tools, no column definition list: one row per
-- result row (fila, etiqueta, valor, valor_texto, detalle = the whole row).
CREATE OR REPLACE FUNCTION rag.ask_rows(question text, reference_date date DEFAULT current_date,
                                        session_id text DEFAULT NULL, confirm boolean DEFAULT false,
                                        tenant text DEFAULT NULL)
RETURNS TABLE (fila int, etiqueta text, valor numeric, valor_texto text, detalle jsonb)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM rag._result_rows(rag.ask(question, reference_date, session_id, confirm, tenant)) $$;

-- The sentence, and below it a table result as aligned text (a header,
-- at most 20 rows, numbers right-aligned; amounts for the columns the
-- registry's "x-reply" lists in "money"): what an analyst reads in psql.
CREATE OR REPLACE FUNCTION rag.ask_text(question text, reference_date date DEFAULT current_date,
                                        session_id text DEFAULT NULL, confirm boolean DEFAULT false,
                                        tenant text DEFAULT NULL)
RETURNS text
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH a AS (SELECT rag.ask(question, reference_date, session_id, confirm, tenant) AS reply),
    c AS (SELECT rag._result_columns(a.reply) AS cols, a.reply ->> 'idioma' AS lang,
                 coalesce(a.reply -> 'formato' -> 'money', '[]') AS money FROM a),
    r AS (SELECT x.* FROM a, rag._result_rows(a.reply) x WHERE jsonb_typeof(a.reply -> 'result') = 'array'
           ORDER BY x.fila LIMIT 20),
    cells AS (SELECT 0 AS fila, u.i, u.col AS cell, false AS num FROM c, unnest(c.cols) WITH ORDINALITY AS u(col, i)
              WHERE EXISTS (SELECT 1 FROM r)
              UNION ALL
              SELECT r.fila, u.i,
                     CASE WHEN u.i = 2 THEN r.valor_texto
                          WHEN jsonb_typeof(r.detalle -> u.col) = 'number'
                          THEN rag._format_amount((r.detalle ->> u.col)::numeric, c.lang,
                                                  CASE WHEN c.money ? u.col THEN 'money' END)
                          ELSE r.detalle ->> u.col END,
                     jsonb_typeof(r.detalle -> u.col) = 'number'
                FROM r, c, unnest(c.cols) WITH ORDINALITY AS u(col, i)),
    w AS (SELECT i, max(length(coalesce(cell, ''))) AS width, bool_or(num) AS num FROM cells GROUP BY i),
    lines AS (SELECT cells.fila, rtrim(string_agg(CASE WHEN w.num THEN lpad(coalesce(cell, ''), w.width)
                                                       ELSE rpad(coalesce(cell, ''), w.width) END,
                                                  '  ' ORDER BY cells.i)) AS line
                FROM cells JOIN w USING (i) GROUP BY cells.fila)
    SELECT CASE WHEN a.reply ->> 'path' = 'rag_answer' THEN rag.format_answer(a.reply -> 'answer') ELSE
           (a.reply ->> 'respuesta')
           || coalesce(E'\n\n' || (SELECT line FROM lines WHERE fila = 0)
                       || E'\n' || (SELECT string_agg(repeat('-', width), '  ' ORDER BY i) FROM w)
                       || E'\n' || (SELECT string_agg(line, E'\n' ORDER BY fila) FROM lines WHERE fila > 0), '') END
      FROM a
$$;

-- The public shortcuts. rag_ask keeps returning rag.ask's jsonb (programs
-- read it); rag_ask_text and rag_ask_rows are the forms to read.
DROP FUNCTION IF EXISTS public.rag_ask(text);
CREATE OR REPLACE FUNCTION public.rag_ask(question text, session_id text DEFAULT NULL, confirm boolean DEFAULT false)
RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT rag.ask(question, current_date, session_id, confirm) $$;

CREATE OR REPLACE FUNCTION public.rag_ask_text(question text, session_id text DEFAULT NULL,
                                               confirm boolean DEFAULT false)
RETURNS text
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT rag.ask_text(question, current_date, session_id, confirm) $$;

CREATE OR REPLACE FUNCTION public.rag_ask_rows(question text, session_id text DEFAULT NULL,
                                               confirm boolean DEFAULT false)
RETURNS TABLE (fila int, etiqueta text, valor numeric, valor_texto text, detalle jsonb)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM rag.ask_rows(question, current_date, session_id, confirm) $$;
