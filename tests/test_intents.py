"""Intent parsing, validation and execution against the sample sales domain."""
import json
from pathlib import Path

import psycopg
import pytest

from .conftest import use_endpoint

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden_intents.jsonl"
ABASTO_WEEK = {"funcion": "obtenerVentasSucursal", "resumen": "Ventas totales en la sucursal Abasto esta semana",
               "parametros": {"sucursal": "Abasto", "fechaInicio": "2024-07-22", "fechaFin": "2024-07-28"}}


def parse(conn, q, ref="2024-07-24", session=None, parser="auto"):
    return conn.execute("SELECT rag.parse_intent(%s, %s, %s, parser => %s) AS intent",
                        (q, ref, session, parser)).fetchone()["intent"]


def validate(conn, intent):
    return conn.execute("SELECT rag.validate_intent(%s::jsonb) AS errors", (json.dumps(intent),)).fetchone()["errors"]


def execute(conn, intent, confirm=False):
    return conn.execute("SELECT rag.execute_intent(%s::jsonb, %s) AS outcome",
                        (json.dumps(intent), confirm)).fetchone()["outcome"]


def sales_fingerprint(conn):
    return conn.execute("SELECT count(*) AS lines, sum(monto) AS amount,"
                        " (SELECT count(*) FROM ventas.sucursales) AS branches,"
                        " (SELECT count(*) FROM ventas.productos) AS products FROM ventas.lineas").fetchone()


def test_sales_question_parses_validates_and_executes(conn):
    intent = parse(conn, "¿Cuáles fueron las ventas totales de la sucursal Abasto esta semana?")
    assert intent["funcion"] == "obtenerVentasSucursal"
    assert intent["parametros"] == ABASTO_WEEK["parametros"]
    assert intent["parser"] == "rules+embedding" and 0 < intent["confianza"] <= 1
    assert validate(conn, intent) == []
    out = execute(conn, intent)
    want = conn.execute("SELECT sum(l.monto) AS total FROM ventas.lineas l"
                        " JOIN ventas.sucursales s ON s.id = l.sucursal_id WHERE s.nombre = 'Abasto'"
                        " AND l.fecha BETWEEN '2024-07-22' AND '2024-07-28'").fetchone()["total"]
    assert float(out["result"]) == float(want) > 0
    assert out["rows"] == 1 and out["funcion"] == "obtenerVentasSucursal"


def test_golden_set_meets_accuracy_coverage_and_rejection_targets(conn):
    """accuracy: in-scope questions parsed to exactly the expected function and
    parameters; coverage: in-scope questions parsed to an intent that validates
    and executes; rejection: out-of-scope questions parsed to "funcion": null."""
    cases = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line.strip()]
    in_scope = [c for c in cases if c["funcion"]]
    out_of_scope = [c for c in cases if not c["funcion"]]
    exact, covered, rejected, misses = 0, 0, 0, []
    for c in cases:
        intent = parse(conn, c["q"], c["ref"], parser="rules")
        runs = bool(intent["funcion"]) and validate(conn, intent) == []
        if runs:
            execute(conn, intent)
        if c["funcion"]:
            good = (intent["funcion"], intent["parametros"]) == (c["funcion"], c["parametros"])
            exact, covered = exact + good, covered + runs
        else:
            good = intent["funcion"] is None
            rejected += good
        if not good:
            misses.append((c["q"], c["ref"], intent["funcion"], intent["parametros"]))
    accuracy, coverage = exact / len(in_scope), covered / len(in_scope)
    rejection = rejected / len(out_of_scope)
    assert len(cases) >= 80
    assert accuracy >= 0.90 and coverage >= 0.95 and rejection >= 0.90, (accuracy, coverage, rejection, misses)


def test_top_products_returns_named_rows_sorted_by_units(conn):
    out = execute(conn, {"funcion": "topProductos", "parametros": {"fechaInicio": "2024-07-01",
                                                                  "fechaFin": "2024-07-31", "limite": 3}})
    assert out["rows"] == 3 and set(out["result"][0]) == {"producto", "unidades", "total"}
    units = [r["unidades"] for r in out["result"]]
    assert units == sorted(units, reverse=True)


@pytest.mark.parametrize("intent,error", [
    pytest.param({"funcion": "borrarTodo", "parametros": {}}, "unknown function 'borrarTodo'",
                 id="unknown function"),
    pytest.param({"parametros": {}}, "funcion is missing", id="no function"),
    pytest.param({"funcion": "obtenerVentasSucursal",
                  "parametros": {"sucursal": "Abasto", "fechaInicio": "2024-07-01"}},
                 "missing required parameter 'fechaFin'", id="missing required parameter"),
    pytest.param({"funcion": "obtenerVentasSucursal",
                  "parametros": {"sucursal": 5, "fechaInicio": "2024-07-01", "fechaFin": "2024-07-02"}},
                 "sucursal must be a string", id="wrong type"),
    pytest.param({"funcion": "obtenerVentasSucursal",
                  "parametros": {"sucursal": "Narnia", "fechaInicio": "2024-07-01", "fechaFin": "2024-07-02"}},
                 "sucursal 'Narnia' is not in ventas.sucursales", id="value not in catalog"),
    pytest.param({"funcion": "obtenerVentasSucursal",
                  "parametros": {"sucursal": "Abasto", "fechaInicio": "2024-02-30", "fechaFin": "2024-07-02"}},
                 "fechaInicio must be a date", id="impossible date"),
    pytest.param({"funcion": "obtenerVentasSucursal",
                  "parametros": {"sucursal": "Abasto", "fechaInicio": "2024-07-09", "fechaFin": "2024-07-02"}},
                 "date range is inverted", id="inverted date range"),
    pytest.param({"funcion": "obtenerVentasSucursal",
                  "parametros": {"sucursal": "Abasto", "fechaInicio": "2024-07-01", "fechaFin": "2024-07-02",
                                 "extra": 1}},
                 "unexpected parameter 'extra'", id="unexpected parameter"),
    pytest.param({"funcion": "topProductos",
                  "parametros": {"fechaInicio": "2024-07-01", "fechaFin": "2024-07-02", "limite": "5"}},
                 "limite must be an integer", id="string for an integer"),
    pytest.param({"funcion": "topProductos",
                  "parametros": {"fechaInicio": "2024-07-01", "fechaFin": "2024-07-02", "limite": 1000}},
                 "limite must be <= 100", id="above maximum"),
    pytest.param({"funcion": "obtenerVentasSucursal", "parametros": "Abasto"}, "parametros must be a JSON object",
                 id="parameters not an object"),
    pytest.param(["obtenerVentasSucursal"], "intent must be a JSON object", id="intent not an object"),
])
def test_invalid_intents_are_rejected_and_nothing_runs(conn, intent, error):
    before = sales_fingerprint(conn)
    assert any(error in e for e in validate(conn, intent)), validate(conn, intent)
    with pytest.raises(psycopg.Error, match="invalid intent"):
        execute(conn, intent)
    assert sales_fingerprint(conn) == before


@pytest.mark.parametrize("value", [
    pytest.param("Abasto'; DROP TABLE ventas.lineas; --", id="drop table"),
    pytest.param("Abasto\" OR 1=1 --", id="or 1=1"),
    pytest.param("'); DELETE FROM ventas.lineas; SELECT ('", id="delete"),
])
def test_injection_in_values_is_data_not_sql(conn, value):
    before = sales_fingerprint(conn)
    intent = {"funcion": "obtenerVentasSucursal",
              "parametros": {"sucursal": value, "fechaInicio": "2024-07-01", "fechaFin": "2024-07-02"}}
    assert any("is not in ventas.sucursales" in e for e in validate(conn, intent))
    with pytest.raises(psycopg.Error, match="invalid intent"):
        execute(conn, intent)
    # even a parse of a hostile question cannot produce it
    parsed = parse(conn, f"ventas de la sucursal {value} esta semana")
    assert parsed["parametros"].get("sucursal") in (None, "Abasto")
    assert sales_fingerprint(conn) == before


def test_malformed_json_and_empty_or_overlong_questions_are_errors(conn):
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        conn.execute("SELECT rag.execute_intent('{\"funcion\": ')")
    for q, msg in [(None, "question must not be empty"), ("  ", "question must not be empty"),
                   ("ventas " * 700, "the limit is 4000")]:
        with pytest.raises(psycopg.Error, match=msg):
            conn.execute("SELECT rag.parse_intent(%s)", (q,))


def test_out_of_scope_question_gets_null_function_and_a_reason(conn):
    intent = parse(conn, "¿Cuál es la capital de Francia?")
    assert intent["funcion"] is None and intent["razon"]


def test_disabled_function_is_never_chosen_and_a_restricted_role_fails_validation(conn):
    conn.execute("UPDATE rag.intent_functions SET enabled = false WHERE name = 'ventasPorSucursal'")
    try:
        errs = validate(conn, {"funcion": "ventasPorSucursal",
                               "parametros": {"fechaInicio": "2024-07-01", "fechaFin": "2024-07-02"}})
        assert "function 'ventasPorSucursal' is disabled" in errs
        assert parse(conn, "Ventas por sucursal de la semana pasada")["funcion"] != "ventasPorSucursal"
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not registered, enabled and allowed"):
            conn.execute("SELECT rag._run_intent(%s::jsonb)", (json.dumps({"funcion": "ventasPorSucursal", "parametros": {
                "fechaInicio": "2024-07-01", "fechaFin": "2024-07-02"}}),))
    finally:
        conn.execute("UPDATE rag.intent_functions SET enabled = true WHERE name = 'ventasPorSucursal'")
    conn.execute("CREATE ROLE ragsql_test_gerencia")
    conn.execute("UPDATE rag.intent_functions SET allowed_role = 'ragsql_test_gerencia' WHERE name = 'obtenerGananciaTotal'")
    try:
        errs = validate(conn, {"funcion": "obtenerGananciaTotal", "parametros": {"fecha": "2024-07-01"}})
        assert errs == []  # superuser is a member of every role
        conn.execute("CREATE ROLE ragsql_test_cajero IN ROLE rag_user")
        conn.execute("SET ROLE ragsql_test_cajero")
        errs = validate(conn, {"funcion": "obtenerGananciaTotal", "parametros": {"fecha": "2024-07-01"}})
        assert "the current role may not call 'obtenerGananciaTotal'" in errs
        # skipping the validation does not skip the boundary
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not registered, enabled and allowed"):
            conn.execute("SELECT rag._run_intent(%s::jsonb)",
                         (json.dumps({"funcion": "obtenerGananciaTotal", "parametros": {"fecha": "2024-07-01"}}),))
    finally:
        conn.execute("RESET ROLE")
        conn.execute("UPDATE rag.intent_functions SET allowed_role = 'rag_user' WHERE name = 'obtenerGananciaTotal'")
        conn.execute("DROP ROLE IF EXISTS ragsql_test_cajero")
        conn.execute("DROP ROLE ragsql_test_gerencia")


def test_registering_a_function_is_one_insert_and_writes_need_confirmation(conn):
    conn.execute("CREATE TABLE IF NOT EXISTS ventas.notas (id serial PRIMARY KEY, sucursal text, texto text)")
    conn.execute("""CREATE OR REPLACE FUNCTION ventas.registrar_nota(sucursal text, texto text) RETURNS int
                    LANGUAGE sql AS $$ INSERT INTO ventas.notas (sucursal, texto) VALUES (sucursal, texto)
                    RETURNING id $$""")
    conn.execute("""INSERT INTO rag.intent_functions (name, description_es, description_en, parameters, target,
                    arg_names, keywords, examples, read_only) VALUES ('registrarNota',
                    'Registrar una nota o comentario para una sucursal', 'Write a note for a branch',
                    '{"type": "object", "additionalProperties": false, "required": ["sucursal", "texto"],
                      "properties": {"sucursal": {"type": "string", "x-catalog": {"table": "ventas.sucursales",
                      "column": "nombre"}}, "texto": {"type": "string"}}}',
                    'ventas.registrar_nota(text,text)', '{"sucursal": "sucursal", "texto": "texto"}',
                    '{nota,anotar,registrar}', '[{"question": "Anotar una nota para Flores"}]', false)""")
    try:
        parsed = parse(conn, "Registrar una nota para la sucursal Flores")
        assert parsed["funcion"] == "registrarNota" and parsed["parametros"] == {"sucursal": "Flores"}
        intent = {"funcion": "registrarNota", "parametros": {"sucursal": "Flores", "texto": "revisar heladera"}}
        with pytest.raises(psycopg.Error, match="changes data: call again with confirm => true"):
            execute(conn, intent)
        assert conn.execute("SELECT count(*) AS notes FROM ventas.notas").fetchone()["notes"] == 0
        out = execute(conn, intent, confirm=True)
        assert out["result"] == 1
        assert conn.execute("SELECT sucursal, texto FROM ventas.notas").fetchall() == [
            {"sucursal": "Flores", "texto": "revisar heladera"}]
    finally:
        conn.execute("DELETE FROM rag.intent_functions WHERE name = 'registrarNota'")
        conn.execute("DROP TABLE ventas.notas")
        conn.execute("DROP FUNCTION ventas.registrar_nota(text, text)")


def test_ask_takes_the_intent_or_document_path_keeps_follow_ups_and_logs_every_call(conn):
    conn.execute("SET rag.session_id = 'test-ask'")
    try:
        out = conn.execute("SELECT rag.ask('¿Cuánto vendió Palermo la semana pasada?', '2024-07-24') AS reply"
                           ).fetchone()["reply"]
        assert out["path"] == "intent" and out["funcion"] == "obtenerVentasSucursal" and float(out["result"]) > 0
        follow = conn.execute("SELECT rag.ask('¿y en Abasto?', '2024-07-24') AS reply").fetchone()["reply"]
        assert follow["path"] == "intent" and follow["intent"]["parser"] == "rules+history"
        assert follow["parametros"] == {"sucursal": "Abasto", "fechaInicio": "2024-07-15", "fechaFin": "2024-07-21"}
        docs = conn.execute("SELECT rag.ask('¿Quién ganó el mundial de 1986?') AS reply").fetchone()["reply"]
        assert docs["path"] == "rag_answer" and "answer" in docs["answer"]
        log = conn.execute("SELECT path, executed_function, row_count FROM rag.intent_log"
                           " WHERE session_id = 'test-ask' ORDER BY id").fetchall()
        assert log == [{"path": "intent", "executed_function": "obtenerVentasSucursal", "row_count": 1},
                       {"path": "intent", "executed_function": "obtenerVentasSucursal", "row_count": 1},
                       {"path": "rag_answer", "executed_function": None, "row_count": None}]
        assert conn.execute("SELECT count(*) AS n FROM rag.intent_parse_stats").fetchone()["n"] >= 1
        short = conn.execute("SELECT rag_ask('ventas por sucursal ayer') AS reply").fetchone()["reply"]
        assert short["path"] == "intent"
    finally:
        conn.execute("RESET rag.session_id")


def test_llm_parser_output_is_validated_and_falls_back_to_the_rules(conn):
    from ragsql.loopback_llm import FakeOpenAI
    replies = []

    with FakeOpenAI() as server:
        server.responder = lambda body: replies.pop(0)
        use_endpoint(conn, "fake-parser", server.base_url)
        try:
            replies.append(json.dumps({"funcion": "obtenerVentasSucursal", "resumen": "ventas",
                                       "parametros": {"sucursal": "Abasto", "fechaInicio": "2024-07-22",
                                                      "fechaFin": "2024-07-28"}}))
            got = parse(conn, "¿Cuáles fueron las ventas totales de la sucursal Abasto esta semana?")
            assert got["parser"] == "llm" and got["parametros"]["sucursal"] == "Abasto"
            req = server.requests[-1]["body"]
            assert req["response_format"] == {"type": "json_object"}
            assert "obtenerVentasSucursal" in req["messages"][0]["content"]
            assert any(m["role"] == "assistant" for m in req["messages"])  # few-shot from the registry
            # an invented branch fails validation: the rules' intent stands
            replies.append(json.dumps({"funcion": "obtenerVentasSucursal", "parametros": {
                "sucursal": "Narnia", "fechaInicio": "2024-07-22", "fechaFin": "2024-07-28"}}))
            got = parse(conn, "¿Cuánto vendió Palermo la semana pasada?")
            assert got["parser"] == "rules+embedding (llm fallback)" and got["parametros"]["sucursal"] == "Palermo"
            assert any("Narnia" in e for e in got["llm_errors"])
            replies.append("no JSON here")
            got = parse(conn, "Ventas de Belgrano este mes")
            assert got["parser"] == "rules+embedding (llm fallback)" and got["funcion"] == "obtenerVentasSucursal"
            server.mode = "error"
            got = parse(conn, "Ventas de Belgrano este mes")
            assert got["parser"] == "rules+embedding (llm fallback)" and "HTTP 500" in got["llm_errors"][0]
            got = parse(conn, "Ventas de Belgrano este mes", parser="rules")
            assert got["parser"] == "rules+embedding"
        finally:
            conn.execute("RESET rag.llm_endpoint")
            conn.execute("SELECT rag.unregister_endpoint('fake-parser')")


def test_an_analyst_reads_why_an_intent_is_invalid_in_the_intents_language(conn):
    bad = {"funcion": "topProductos", "parametros": {"fechaInicio": "2024-07-01", "fechaFin": "2024-07-02",
                                                     "limite": 1000}}
    for summary, expected in (("Los productos más vendidos de julio", "intención no válida: limite debe ser <= 100"),
                              ("Best-selling products in July", "invalid intent: limite must be <= 100"),
                              (None, "invalid intent: limite must be <= 100")):
        intent = dict(bad, **({"resumen": summary} if summary else {}))
        with pytest.raises(psycopg.errors.InvalidParameterValue) as err:
            execute(conn, intent)
        assert err.value.diag.message_primary == expected
        assert validate(conn, intent) == [expected.split(": ", 1)[1]]


def test_a_rejected_spanish_question_is_explained_in_spanish(conn):
    out = conn.execute("SELECT rag.ask('los 500 productos más vendidos de julio de 2024') AS r").fetchone()["r"]
    assert out["path"] == "rejected", out
    assert out["errors"] == ["la cantidad de productos debe ser <= 100"], out  # the parameter's x-label
    out = conn.execute("SELECT rag.ask('the 500 best-selling products in July 2024') AS r").fetchone()["r"]
    assert out["path"] == "rejected", out
    assert out["errors"] == ["number of products must be <= 100"], out
