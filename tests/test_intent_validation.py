"""Validation of intents against their registry row (py_udfs.intent_validation):
every error message, the size and depth bounds checked before decoding, and
hostile JSON of every shape. Pure Python, no database."""
import pytest

from py_udfs import intent_validation as iv
from py_udfs.intent_validation import MAX_INTENT_CHARS, MAX_INTENT_DEPTH, json_depth, load_intent, validate
from py_udfs.intents import parse_llm_reply

from .intent_samples import BRANCH, CATALOGS, DAY

# ---- validate -------------------------------------------------------------------------

TYPED = {"name": "f", "enabled": True, "parameters": {
    "type": "object", "required": ["sucursal"],
    "properties": {"sucursal": BRANCH, "fechaInicio": DAY, "fechaFin": DAY,
                   "limite": {"type": "integer", "minimum": 1, "maximum": 100},
                   "factor": {"type": "number", "minimum": 0.5, "maximum": 2},
                   "activo": {"type": "boolean"},
                   "moneda": {"type": "string", "enum": ["ARS", "USD"]}}}}


def call(**params):
    return {"funcion": "f", "parametros": dict({"sucursal": "Abasto"}, **params)}


@pytest.mark.parametrize("intent,errors", [
    pytest.param(call(), [], id="valid"),
    pytest.param(call(fechaInicio="2024-07-01", fechaFin="2024-07-07", limite=100, factor=0.5, activo=False,
                      moneda="USD"), [], id="valid with every type"),
    pytest.param(call(fechaInicio="2024-07-02", fechaFin="2024-07-02"), [], id="one-day range"),
    pytest.param(call(limite=None), [], id="null optional parameter"),
    pytest.param(["f"], ["intent must be a JSON object, got array"], id="not an object"),
    pytest.param({"parametros": {}}, ["funcion is missing"], id="no funcion"),
    pytest.param({"funcion": ""}, ["funcion is empty"], id="empty funcion"),
    pytest.param({"funcion": 3}, ["funcion must be a string, got number"], id="funcion not a string"),
    pytest.param({"funcion": "f", "parametros": "Abasto"}, ["parametros must be a JSON object, got string"],
                 id="parametros not an object"),
    pytest.param({"funcion": "f"}, ["missing required parameter 'sucursal'"], id="no parametros"),
    pytest.param(call(sucursal=None), ["missing required parameter 'sucursal'"], id="null required parameter"),
    pytest.param(call(extra=1), ["unexpected parameter 'extra'"], id="unexpected"),
    pytest.param(call(sucursal=5), ["sucursal must be a string, got number 5"], id="string"),
    pytest.param(call(limite="5"), ["limite must be an integer, got string '5'"], id="integer given a string"),
    pytest.param(call(limite=5.0), ["limite must be an integer, got number 5.0"], id="integer given a float"),
    pytest.param(call(limite=True), ["limite must be an integer, got boolean true"],
                 id="integer given a boolean"),
    pytest.param(call(factor="1"), ["factor must be a number, got string '1'"], id="number given a string"),
    pytest.param(call(factor=True), ["factor must be a number, got boolean true"],
                 id="number given a boolean"),
    pytest.param(call(activo=1), ["activo must be a boolean, got number 1"], id="boolean"),
    pytest.param(call(fechaInicio="2024-7-1"), ["fechaInicio must be a date YYYY-MM-DD, got '2024-7-1'"],
                 id="date format"),
    pytest.param(call(fechaInicio="2024-02-30"), ["fechaInicio must be a date YYYY-MM-DD, got '2024-02-30'"],
                 id="impossible date"),
    pytest.param(call(fechaInicio=20240701), ["fechaInicio must be a string, got number 20240701"],
                 id="date not a string"),
    pytest.param(call(moneda="EUR"), ["moneda must be one of ['ARS', 'USD'], got 'EUR'"], id="enum"),
    pytest.param(call(sucursal="Narnia"), ["sucursal 'Narnia' is not in ventas.sucursales"], id="catalog"),
    pytest.param(call(sucursal="abasto"), ["sucursal 'abasto' is not in ventas.sucursales"],
                 id="catalog is exact"),
    pytest.param(call(limite=0), ["limite must be >= 1"], id="integer minimum"),
    pytest.param(call(limite=101), ["limite must be <= 100"], id="integer maximum"),
    pytest.param(call(factor=0.1), ["factor must be >= 0.5"], id="number minimum"),
    pytest.param(call(factor=2.5), ["factor must be <= 2"], id="number maximum"),
    pytest.param(call(fechaInicio="2024-07-09", fechaFin="2024-07-02"),
                 ["date range is inverted: 2024-07-09 > 2024-07-02"], id="inverted range"),
    pytest.param({"funcion": "f", "parametros": {"limite": "x", "extra": 1}},
                 ["missing required parameter 'sucursal'", "limite must be an integer, got string 'x'",
                  "unexpected parameter 'extra'"],
                 id="every error is reported"),
])
def test_validation_errors(intent, errors):
    assert validate(intent, TYPED, CATALOGS, True) == errors


def test_unknown_function_is_the_only_error():
    assert validate({"funcion": "borrarTodo", "parametros": {"x": 1}}, None, CATALOGS, True) == [
        "unknown function 'borrarTodo'"]


@pytest.mark.parametrize("enabled,allowed,errors", [
    pytest.param(False, True, ["function 'f' is disabled"], id="disabled"),
    pytest.param(True, False, ["the current role may not call 'f'"], id="role not allowed"),
    pytest.param(False, False, ["function 'f' is disabled", "the current role may not call 'f'"], id="both"),
])
def test_disabled_or_forbidden_functions_are_refused(enabled, allowed, errors):
    assert validate(call(), dict(TYPED, enabled=enabled), CATALOGS, allowed) == errors


# ---- hostile intents: any JSON value gets a clear error -----------------------------------

KNOWN = ["f", "obtenerVentasSucursal"]


def nested(depth, leaf=None):
    """`depth` arrays around `leaf`, built without recursion."""
    v = leaf
    for _ in range(depth):
        v = [v]
    return v


@pytest.mark.parametrize("intent,error", [
    pytest.param(None, "intent must be a JSON object, got null", id="null"),
    pytest.param("f", "intent must be a JSON object, got string", id="string"),
    pytest.param(3, "intent must be a JSON object, got number", id="number"),
    pytest.param(2.5, "intent must be a JSON object, got number", id="float"),
    pytest.param(True, "intent must be a JSON object, got boolean", id="boolean"),
    pytest.param([], "intent must be a JSON object, got array", id="empty array"),
    pytest.param([{"funcion": "f"}], "intent must be a JSON object, got array", id="array of an intent"),
    pytest.param({}, "funcion is missing", id="empty object"),
    pytest.param({"funcion": None}, "funcion is null", id="funcion null"),
    pytest.param({"funcion": 7}, "funcion must be a string, got number", id="funcion number"),
    pytest.param({"funcion": True}, "funcion must be a string, got boolean", id="funcion boolean"),
    pytest.param({"funcion": ["f"]}, "funcion must be a string, got array", id="funcion array"),
    pytest.param({"funcion": {"a": 1}}, "funcion must be a string, got object", id="funcion object"),
    pytest.param({"funcion": ""}, "funcion is empty", id="funcion empty"),
    pytest.param({"funcion": "   "}, "funcion is empty", id="funcion blank"),
    pytest.param({"funcion": "f" * 129}, "funcion is too long: 129 characters, the limit is 128", id="funcion long"),
    pytest.param({"funcion": "f\x00"}, "funcion contains control characters: 'f\\x00'", id="funcion NUL"),
    pytest.param({"funcion": "f\n"}, "funcion contains control characters", id="funcion newline"),
    pytest.param({"funcion": "f\x1b[2J"}, "funcion contains control characters", id="funcion escape"),
    pytest.param({"funcion": "borrarTodo"}, "unknown function 'borrarTodo'", id="outside the registry"),
    pytest.param({"funcion": "F"}, "unknown function 'F' (names are case-sensitive: did you mean 'f'?)",
                 id="case differs"),
    pytest.param({"funcion": "OBTENERVENTASSUCURSAL"}, "did you mean 'obtenerVentasSucursal'?", id="upper case"),
    pytest.param({"funcion": "f", "parametros": []}, "parametros must be a JSON object, got array",
                 id="parametros array"),
    pytest.param({"funcion": "f", "parametros": "x"}, "parametros must be a JSON object, got string",
                 id="parametros string"),
    pytest.param({"funcion": "f", "parametros": 1}, "parametros must be a JSON object, got number",
                 id="parametros number"),
    pytest.param({"funcion": "f", "parametros": False}, "parametros must be a JSON object, got boolean",
                 id="parametros boolean"),
    pytest.param({"funcion": "f", "parametros": None}, "missing required parameter 'sucursal'",
                 id="parametros null is no parameters"),
    pytest.param(call(sucursal={"a": 1}), "sucursal must be a string, got object", id="object for a string"),
    pytest.param(call(sucursal=["Abasto"]), "sucursal must be a string, got array", id="array for a string"),
    pytest.param(call(limite=[5]), "limite must be an integer, got array", id="array for an integer"),
    pytest.param(call(limite={"v": 5}), "limite must be an integer, got object", id="object for an integer"),
    pytest.param(call(limite=5.5), "limite must be an integer, got number 5.5", id="float for an integer"),
    pytest.param(call(limite=10 ** 30), "limite is out of range: a number of 31 digits", id="huge integer"),
    pytest.param(call(limite=-10 ** 30), "limite is out of range: a number of 31 digits", id="huge negative"),
    pytest.param(call(factor=float("inf")), "factor must be a finite number", id="infinite number"),
    pytest.param(call(factor=float("nan")), "factor must be a finite number", id="nan"),
    pytest.param(call(activo="true"), "activo must be a boolean, got string 'true'", id="string for a boolean"),
    pytest.param(call(sucursal=True), "sucursal must be a string, got boolean true", id="boolean for a string"),
    pytest.param(call(sucursal="A" * 501), "sucursal is too long: 501 characters, the limit is 500",
                 id="long string"),
    pytest.param(call(sucursal="Abasto\x00"), "sucursal contains control characters", id="NUL in a value"),
    pytest.param(call(sucursal="Aba\tsto"), "sucursal contains control characters", id="tab in a value"),
    pytest.param(call(sucursal="Abasto\u0085"), "sucursal contains control characters", id="C1 control"),
    pytest.param(call(fechaInicio="２０２４-07-01"), "fechaInicio must be a date YYYY-MM-DD", id="non-ASCII digits"),
    pytest.param(call(fechaInicio=nested(10_000)), "fechaInicio must be a string, got array",
                 id="deeply nested value"),
    pytest.param(call(**{"x" * 1000: 1}), "unexpected parameter 'xxxxxxxxx", id="long parameter name"),
    pytest.param(call(**{"a\x00": 1}), "unexpected parameter 'a\\x00'", id="NUL in a parameter name"),
])
def test_hostile_intents_get_a_clear_error(intent, error):
    errors = validate(intent, TYPED if isinstance(intent, dict) and intent.get("funcion") == "f" else None,
                      CATALOGS, True, KNOWN)
    assert errors and any(error in e for e in errors), errors
    for e in errors:  # short, printable, no Python internals
        assert len(e) < 200 and e.isprintable() and "Traceback" not in e, e


def test_extra_top_level_keys_are_accepted_and_ignored():
    """The parsers add keys of their own; a caller's extra keys are ignored too."""
    intent = dict(call(), resumen="x", confianza=0.9, parser="rules+embedding", razon="r", problemas=["p"],
                  llm_errors=[], cualquier={"otra": ["cosa"]})
    assert validate(intent, TYPED, CATALOGS, True, KNOWN) == []


@pytest.mark.parametrize("text,error", [
    pytest.param(None, "intent is NULL", id="NULL"),
    pytest.param("[" * 10_000 + "]" * 10_000, "intent is nested too deeply: 10000 levels", id="10000 arrays"),
    pytest.param('{"a":' * 9 + "1" + "}" * 9, f"the limit is {MAX_INTENT_DEPTH}", id="objects one too deep"),
    pytest.param('{"funcion": "' + "f" * MAX_INTENT_CHARS + '"}', "intent is too large", id="too large"),
])
def test_load_intent_bounds_size_and_depth_before_decoding(text, error):
    intent, errors = load_intent(text)
    assert intent is None and len(errors) == 1 and error in errors[0], errors


def test_load_intent_decodes_within_the_limits():
    assert load_intent('{"a":' * 7 + "[1]" + "}" * 7)[1] == []
    assert load_intent('{"funcion": "f", "parametros": {"sucursal": "[[[[[[[[[[{{{{{{"}}') == (
        {"funcion": "f", "parametros": {"sucursal": "[[[[[[[[[[{{{{{{"}}, [])  # brackets in strings do not count
    intent, errors = load_intent('{"funcion": "f", "parametros": {"limite": ' + "9" * 5000 + "}}")
    assert errors == []  # Python would refuse to convert it; it stays a marker for validate
    assert validate(intent, TYPED, CATALOGS, True) == ["missing required parameter 'sucursal'",
                                                      "limite is out of range: a number of 5000 digits"]


@pytest.mark.parametrize("text,depth", [("1", 0), ("[]", 1), ('{"a": [1, {"b": 2}]}', 3),
                                        ('["]]]]", "\\"[[["]', 1), ('{"a": "\\\\"}', 1)])
def test_json_depth_ignores_brackets_inside_strings(text, depth):
    assert json_depth(text) == depth


def test_duplicate_keys_keep_the_last_like_jsonb():
    """jsonb keeps the last of duplicate keys; Python's decoder does the same,
    so the intent validated is the intent executed."""
    intent, _ = load_intent('{"funcion": "f", "funcion": "borrarTodo"}')
    assert intent == {"funcion": "borrarTodo"}


def test_an_llm_reply_nested_too_deeply_is_refused_not_decoded():
    with pytest.raises(ValueError, match="too large or nested too deeply"):
        parse_llm_reply('{"funcion": ' + "[" * 10_000 + "]" * 10_000 + "}")


def test_every_error_reads_in_english_and_in_spanish():
    values = dict(n=3, limit=2, why="ValueError", kind="array", value="'x'", name="f", key="k", type="integer",
                  allowed=["a"], table="t", start="2024-02-01", end="2024-01-01", errors="e")
    for error, (english, spanish) in iv.MESSAGES.items():
        en, es = iv.message("en", error, **values), iv.message("es", error, **values)
        assert en and es and en != es, error
        assert "{" not in en.replace('{"', "").replace("{...", "") and "{" not in es.replace('{"', "").replace(
            "{...", ""), (error, en, es)


def test_a_spanish_caller_reads_the_errors_in_spanish():
    fn = {"name": "topProductos", "enabled": True,
          "parameters": {"type": "object", "required": ["fechaInicio"],
                         "properties": {"fechaInicio": {"type": "string", "format": "date"},
                                        "limite": {"type": "integer", "maximum": 100}}}}
    intent = {"funcion": "topProductos", "parametros": {"limite": 500, "extra": 1}}
    en = iv.validate(intent, fn, {}, True, language="en")
    es = iv.validate(intent, fn, {}, True, language="es")
    assert en == ["missing required parameter 'fechaInicio'", "limite must be <= 100", "unexpected parameter 'extra'"]
    assert es == ["falta el parámetro obligatorio 'fechaInicio'", "limite debe ser <= 100",
                  "parámetro inesperado 'extra'"]
    assert iv.validate({"funcion": ["x"]}, None, {}, True, language="es") == [
        "funcion debe ser un texto, se recibió un arreglo"]
