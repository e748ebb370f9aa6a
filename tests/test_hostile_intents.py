"""Hostile intents through rag.execute_intent, rag.validate_intent and
rag._run_intent: each gets SQLSTATE 22023 (execute, _run) or a non-empty
list of errors (validate), a message that says what is wrong and no Python
traceback, and nothing changes. Bad questions to every form of rag.ask too.

The cases are generated from tables (top-level shapes, function names,
`parametros` shapes, wrong values x parameter positions, sizes, nesting,
control characters, duplicate keys) and sent as raw JSON text, so
duplicate keys and escapes reach the server as written.

What the rules are (py_udfs/intent_validation.py, sql/idempotent/120_intents.sql):
- extra top-level keys are accepted and ignored (the parsers add "resumen",
  "confianza", "parser", "razon", "problemas", "llm_errors");
- duplicate keys: jsonb keeps the last one, so the last one is validated
  and executed;
- an intent's JSON text may be 65,536 characters and nested 8 levels deep; beyond that
  it is refused before it is decoded;
- a NUL (JSON "\\u0000") never reaches the functions: jsonb refuses it on
  input with 22P05 (unsupported Unicode escape sequence).
"""
import json

import psycopg
import pytest

SALES = {"sucursal": "Abasto", "fechaInicio": "2024-07-01", "fechaFin": "2024-07-07"}
TOP = {"fechaInicio": "2024-07-01", "fechaFin": "2024-07-07", "limite": 3}
PROFIT = {"fecha": "2024-07-01"}
VALID = {"obtenerVentasSucursal": SALES, "obtenerGananciaTotal": PROFIT,
         "ventasPorSucursal": {"fechaInicio": "2024-07-01", "fechaFin": "2024-07-07"}, "topProductos": TOP}


def intent_text(funcion, params, **extra):
    return json.dumps(dict({"funcion": funcion, "parametros": params}, **extra))


def nest(depth, open_="[", close="]", leaf="1"):
    return open_ * depth + leaf + close * depth


# (id, JSON text or None for SQL NULL, structural): `structural` cases are
# refused by rag._run_intent too (shape, names, parameters that cannot be
# passed); the others are value rules (catalog, date format, ranges, length,
# control characters) that only validation knows.
CASES = []


def case(id_, text, structural=True):
    CASES.append(pytest.param(text, structural, id=id_))


# -- the intent itself is not an object
case("SQL NULL", None)
for name, text in [("json null", "null"), ("true", "true"), ("false", "false"), ("zero", "0"),
                   ("negative", "-1"), ("float", "3.5"), ("empty string", '""'),
                   ("name as string", '"obtenerVentasSucursal"'), ("empty array", "[]"),
                   ("array of intent", "[" + intent_text("topProductos", TOP) + "]"),
                   ("array of name", '["topProductos"]'), ("array of nulls", "[null, null]")]:
    case(f"top-level {name}", text)

# -- funcion: missing, wrong type, empty, long, control characters, unknown, case
case("funcion missing", json.dumps({"parametros": TOP}))
case("empty object", "{}")
for name, value in [("null", None), ("number", 7), ("float", 1.5), ("true", True), ("array", ["topProductos"]),
                    ("empty array", []), ("object", {"a": 1}), ("object with name", {"funcion": "topProductos"}),
                    ("empty", ""), ("blank", "   "), ("129 chars", "f" * 129), ("10000 chars", "f" * 10_000),
                    ("SOH", "topProductos\u0001"), ("newline", "topProductos\n"), ("tab", "top\tProductos"),
                    ("escape", "\u001b[2JtopProductos"), ("DEL", "topProductos\u007f"),
                    ("C1", "topProductos\u0085"),
                    ("unknown", "borrarTodo"), ("table name", "ventas.lineas"), ("sql function", "pg_sleep"),
                    ("sql text", "topProductos'; DROP TABLE ventas.lineas; --"),
                    ("target name", "ventas.top_productos"), ("trailing space", "topProductos "),
                    ("lower case", "topproductos"), ("upper case", "TOPPRODUCTOS"),
                    ("lower case sales", "obtenerventassucursal"), ("capitalised", "ObtenerGananciaTotal"),
                    ("case ventasPorSucursal", "VentasPorSucursal")]:
    case(f"funcion {name}", intent_text(value, TOP))

# -- parametros of every wrong type, for each registered function (all have required parameters,
#    so null or missing parametros is an error too)
for fn in VALID:
    for name, params in [("array", []), ("array of values", list(VALID[fn].values())), ("string", "Abasto"),
                         ("number", 1), ("boolean", True), ("null", None)]:
        case(f"{fn} parametros {name}", intent_text(fn, params))
    case(f"{fn} parametros missing", json.dumps({"funcion": fn}))

# -- wrong values x parameter positions
STRING_POSITIONS = [("obtenerVentasSucursal", "sucursal"), ("obtenerVentasSucursal", "fechaInicio"),
                    ("obtenerGananciaTotal", "fecha"), ("topProductos", "sucursal")]
WRONG_FOR_STRING = [("object", {"a": "Abasto"}, True), ("array", ["Abasto"], True),
                    ("number", 5, False), ("float", 5.5, False), ("boolean", True, False),
                    ("huge integer", 10 ** 40, False), ("long string", "A" * 10_000, False),
                    ("control characters", "Abasto\u0001\u0002", False), ("newline", "2024-07-01\n", False),
                    ("nested 10000", "NEST", True)]
for fn, param in STRING_POSITIONS:
    for name, value, structural in WRONG_FOR_STRING:
        params = dict(VALID[fn])
        if value == "NEST":
            text = intent_text(fn, dict(params, **{param: 0})).replace(f'"{param}": 0', f'"{param}": ' + nest(10_000))
        else:
            params[param] = value
            text = intent_text(fn, params)
        case(f"{fn}.{param} {name}", text, structural)
WRONG_FOR_INTEGER = [("string", "5", False), ("float", 5.5, True), ("float .0", 5.0, False),
                     ("exponent", "EXP", False), ("boolean", True, True), ("object", {"n": 5}, True),
                     ("array", [5], True), ("zero", 0, False), ("negative", -3, False), ("above maximum", 101, False),
                     ("int32 overflow", 2 ** 31, True), ("huge integer", 10 ** 40, False),
                     ("5000 digits", "DIGITS", False), ("long string", "9" * 10_000, True),
                     ("control characters", "5\u0001", True)]
for name, value, structural in WRONG_FOR_INTEGER:
    base = intent_text("topProductos", dict(TOP, limite=0))
    if value == "EXP":
        text = base.replace('"limite": 0', '"limite": 1e400')
    elif value == "DIGITS":
        text = base.replace('"limite": 0', '"limite": ' + "9" * 5000)
    else:
        text = intent_text("topProductos", dict(TOP, limite=value))
    case(f"topProductos.limite {name}", text, structural)

# -- unexpected and oddly named parameters
for name, key in [("unknown", "extra"), ("sql", "limite; DROP TABLE ventas.lineas"), ("empty", ""),
                  ("control", "limite\u0001"), ("long", "k" * 5000), ("case", "Limite")]:
    case(f"parameter name {name}", intent_text("topProductos", dict(TOP, **{key: 1})))
case("required parameter null", intent_text("obtenerGananciaTotal", {"fecha": None}))
case("inverted date range", intent_text("ventasPorSucursal", {"fechaInicio": "2024-07-09", "fechaFin": "2024-07-01"}),
     structural=False)
case("impossible date", intent_text("obtenerGananciaTotal", {"fecha": "2024-02-30"}))
case("catalog value outside the table", intent_text("obtenerVentasSucursal", dict(SALES, sucursal="Narnia")),
     structural=False)
case("catalog value in another case", intent_text("obtenerVentasSucursal", dict(SALES, sucursal="ABASTO")),
     structural=False)

# -- nesting and size
for name, open_, close in [("arrays", "[", "]"), ("objects", '{"a":', "}")]:
    for depth in (9, 100, 10_000):
        case(f"extra key nested {depth} {name}", intent_text("topProductos", TOP, resumen=0).replace(
            '"resumen": 0', '"resumen": ' + nest(depth, open_, close)), structural=False)
case("parametros nested 10000 arrays", json.dumps({"funcion": "topProductos"})[:-1] + ', "parametros": '
     + nest(10_000) + "}")
case("intent larger than 64 KB", intent_text("topProductos", TOP, resumen="x" * 70_000), structural=False)
case("parameter value larger than 64 KB", intent_text("obtenerGananciaTotal", {"fecha": "2" * 70_000}))

# -- duplicate keys, as raw text: jsonb keeps the last one
case("duplicate funcion, last unknown",
     '{"funcion": "topProductos", "funcion": "borrarTodo", "parametros": ' + json.dumps(TOP) + "}")
case("duplicate funcion, last an array",
     '{"funcion": "topProductos", "parametros": ' + json.dumps(TOP) + ', "funcion": ["topProductos"]}')
case("duplicate parametros, last an array",
     '{"funcion": "topProductos", "parametros": ' + json.dumps(TOP) + ', "parametros": []}')
case("duplicate parameter, last an object",
     '{"funcion": "topProductos", "parametros": {"fechaInicio": "2024-07-01", "fechaFin": "2024-07-07",'
     ' "limite": 3, "limite": {"a": 1}}}')
case("duplicate parameter, last a bad date",
     '{"funcion": "ventasPorSucursal", "parametros": {"fechaInicio": "2024-07-01", "fechaInicio": "ayer",'
     ' "fechaFin": "2024-07-07"}}')


def fingerprint(conn):
    """What no rejected intent may change."""
    return conn.execute(
        "SELECT (SELECT count(*) FROM ventas.lineas) AS lines, (SELECT sum(monto) FROM ventas.lineas) AS amount,"
        " (SELECT count(*) FROM ventas.sucursales) AS branches, (SELECT count(*) FROM ventas.productos) AS products,"
        " (SELECT count(*) FROM rag.intent_log) AS log, (SELECT count(*) FROM rag.conversation_turns) AS turns,"
        " (SELECT version FROM rag.intent_registry_version) AS registry_version,"
        " (SELECT md5(string_agg(f::text, '|' ORDER BY f.name)) FROM rag.intent_functions f) AS registry"
    ).fetchone()


def assert_clean(err):
    """No Python traceback or frame in what the caller sees."""
    d = err.diag
    for text in (d.message_primary, d.message_detail, d.message_hint):
        assert "Traceback" not in (text or "") and "line " not in (text or "") and 'File "' not in (text or ""), text
    assert "Traceback" not in (d.context or "") and "PL/Python" not in (d.context or ""), d.context
    assert len(d.message_primary) < 2000, d.message_primary


def call(conn, fn, text):
    return conn.execute(f"SELECT rag.{fn}(%s::jsonb) AS out", (text,)).fetchone()["out"]


def test_there_are_at_least_100_hostile_intents():
    assert len(CASES) >= 100, len(CASES)


@pytest.mark.parametrize("text,structural", CASES)
def test_hostile_intent_is_refused_clearly_and_changes_nothing(conn, text, structural):
    before = fingerprint(conn)
    errors = call(conn, "validate_intent", text)
    assert errors, "validate_intent found nothing wrong"
    for e in errors:
        assert "Traceback" not in e and "line " not in e and len(e) < 300, e
    with pytest.raises(psycopg.Error) as exc:
        call(conn, "execute_intent", text)
    assert exc.value.sqlstate == "22023", (exc.value.sqlstate, str(exc.value))
    assert exc.value.diag.message_primary.startswith("invalid intent: ")
    assert_clean(exc.value)
    if structural:
        with pytest.raises(psycopg.Error) as exc:
            call(conn, "_run_intent", text)
        assert exc.value.sqlstate == "22023", (exc.value.sqlstate, str(exc.value))
        assert_clean(exc.value)
    assert fingerprint(conn) == before


@pytest.mark.parametrize("position", [
    pytest.param('{"funcion": "topProductos\\u0000", "parametros": {}}', id="in funcion"),
    pytest.param('{"funcion": "obtenerVentasSucursal", "parametros": {"sucursal": "Abasto\\u0000",'
                 ' "fechaInicio": "2024-07-01", "fechaFin": "2024-07-07"}}', id="in a value"),
    pytest.param('{"funcion": "obtenerGananciaTotal", "parametros": {"fecha\\u0000": "2024-07-01"}}', id="in a key"),
    pytest.param('{"funcion": "obtenerGananciaTotal", "parametros": {"fecha": "2024-07-01"}, "resumen": "\\u0000"}',
                 id="in an extra key"),
])
@pytest.mark.parametrize("fn", ["validate_intent", "execute_intent", "_run_intent"])
def test_a_nul_escape_is_refused_by_jsonb_before_any_function_runs(conn, position, fn):
    """A NUL cannot be sent as text at all; as the JSON escape it reaches
    jsonb's input, which refuses it: 22P05, untranslatable character."""
    before = fingerprint(conn)
    with pytest.raises(psycopg.errors.UntranslatableCharacter, match="unsupported Unicode escape sequence") as exc:
        call(conn, fn, position)
    assert exc.value.sqlstate == "22P05"
    assert_clean(exc.value)
    assert fingerprint(conn) == before


def test_nesting_beyond_the_server_stack_is_refused_by_jsonb_input(conn):
    """100,000 nested arrays never reach a function: jsonb's parser stops at
    the server's stack limit (54001) while reading the argument."""
    with pytest.raises(psycopg.errors.StatementTooComplex):
        call(conn, "execute_intent", intent_text("topProductos", TOP, resumen=0).replace(
            '"resumen": 0', '"resumen": ' + nest(100_000)))


def test_messages_say_what_is_wrong(conn):
    def errors(text):
        return call(conn, "validate_intent", text)
    assert errors(None) == ['intent is NULL: expected a JSON object {"funcion": ..., "parametros": {...}}']
    assert errors("[1]") == ["intent must be a JSON object, got array"]
    assert errors('{"funcion": {"a": 1}}') == ["funcion must be a string, got object"]
    assert errors(intent_text("topproductos", TOP)) == [
        "unknown function 'topproductos' (names are case-sensitive: did you mean 'topProductos'?)"]
    assert errors(intent_text("topProductos", dict(TOP, limite=5.5))) == ["limite must be an integer, got number 5.5"]
    assert errors(intent_text("topProductos", TOP, resumen=0).replace('"resumen": 0', '"resumen": ' + nest(10_000))) \
        == ["intent is nested too deeply: 10001 levels of objects/arrays, the limit is 8"]
    assert errors(intent_text("topProductos", TOP, resumen="x" * 70_000))[0].startswith("intent is too large: ")
    with pytest.raises(psycopg.errors.InvalidParameterValue) as exc:
        call(conn, "execute_intent", None)
    assert exc.value.diag.message_detail == "NULL"
    with pytest.raises(psycopg.errors.InvalidParameterValue) as exc:
        call(conn, "execute_intent", intent_text("topProductos", TOP, resumen="x" * 70_000))
    assert exc.value.diag.message_detail.endswith(" characters)") and len(exc.value.diag.message_detail) < 400


def test_extra_top_level_keys_are_accepted_and_ignored(conn):
    text = intent_text("topProductos", TOP, resumen="top 3", confianza=0.9, parser="rules+embedding", razon="r",
                       problemas=["p"], llm_errors=[], otra={"cosa": [1, 2]})
    assert call(conn, "validate_intent", text) == []
    out = call(conn, "execute_intent", text)
    assert out["funcion"] == "topProductos" and out["rows"] == 3 and out["resumen"] == "top 3"


def test_duplicate_keys_the_last_one_is_validated_and_executed(conn):
    text = '{"funcion": "borrarTodo", "funcion": "topProductos", "parametros": [], "parametros": ' + json.dumps(TOP) + "}"
    assert conn.execute("SELECT %s::jsonb = %s::jsonb AS same", (text, intent_text("topProductos", TOP))
                        ).fetchone()["same"]
    assert call(conn, "validate_intent", text) == []
    assert call(conn, "execute_intent", text)["funcion"] == "topProductos"


@pytest.mark.parametrize("call", ["SELECT rag.ask(%s)", "SELECT * FROM rag_ask_rows(%s)", "SELECT rag_ask_text(%s)"])
@pytest.mark.parametrize("question,message", [(None, "question must not be empty"), ("  ", "question must not be empty"),
                                              ("a" * 4001, "the limit is 4000")])
def test_every_ask_form_refuses_a_bad_question_plainly(conn, call, question, message):
    with pytest.raises(psycopg.errors.InvalidParameterValue) as exc:
        conn.execute(call, (question,))
    diag = exc.value.diag
    assert message in diag.message_primary and diag.message_hint
    assert "Traceback" not in (diag.context or "") and "Python" not in (diag.context or "")
