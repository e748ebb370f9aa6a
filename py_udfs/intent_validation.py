"""Validation of an intent against its registry row: any JSON value gets a
list of specific errors (empty when valid), with the size and depth of the
JSON bounded before it is decoded. Used on every intent, whoever wrote it
(the rules parser, an LLM, a caller of rag.execute_intent)."""
import math
import re
from datetime import date


def _is_date(v):
    if not isinstance(v, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v, re.ASCII):
        return False
    try:
        date.fromisoformat(v)
        return True
    except ValueError:
        return False


# What an intent may be. A valid intent is {"funcion": name, "parametros": {...}}
# plus any other top-level keys (the parsers add "resumen", "confianza",
# "parser", "razon", "problemas", "llm_errors"): those are accepted and
# ignored. The limits bound the work before anything is parsed: Python's
# JSON decoder recurses, so depth is counted on the text first.
MAX_INTENT_CHARS = 65536   # the intent's JSON text
MAX_INTENT_DEPTH = 8       # nested objects/arrays; a valid intent needs 2
MAX_NAME_CHARS = 128       # funcion
MAX_STRING_CHARS = 500     # a string parameter value
MAX_INTEGER_DIGITS = 19    # beyond this a number is refused before Python converts it
MAX_INTEGER = 2 ** 63 - 1  # bigint: the widest integer a target can declare

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Every error an intent can get, in English and Spanish: analysts read them in
# their question's language (rag.ask), or in the language of the intent's
# "resumen" (rag.execute_intent, rag.validate_intent).
MESSAGES = {
    "null": ('intent is NULL: expected a JSON object {{"funcion": ..., "parametros": {{...}}}}',
             'la intención es NULL: se espera un objeto JSON {{"funcion": ..., "parametros": {{...}}}}'),
    "too_large": ("intent is too large: {n} characters of JSON, the limit is {limit}",
                  "la intención es demasiado grande: {n} caracteres de JSON, el límite es {limit}"),
    "too_deep": ("intent is nested too deeply: {n} levels of objects/arrays, the limit is {limit}",
                 "la intención está anidada en exceso: {n} niveles de objetos/arreglos, el límite es {limit}"),
    "bad_json": ("intent is not valid JSON ({why})", "la intención no es JSON válido ({why})"),
    "not_object": ("intent must be a JSON object, got {kind}",
                   "la intención debe ser un objeto JSON, se recibió {kind}"),
    "no_name": ("funcion is missing", "falta funcion"),
    "null_name": ("funcion is null: name a registered function",
                  "funcion es null: indique una función registrada"),
    "name_type": ("funcion must be a string, got {kind}", "funcion debe ser un texto, se recibió {kind}"),
    "empty_name": ("funcion is empty", "funcion está vacía"),
    "long_name": ("funcion is too long: {n} characters, the limit is {limit}",
                  "funcion es demasiado larga: {n} caracteres, el límite es {limit}"),
    "control_name": ("funcion contains control characters: {value}",
                     "funcion contiene caracteres de control: {value}"),
    "unknown": ("unknown function {value}", "función desconocida {value}"),
    "case_hint": (" (names are case-sensitive: did you mean {name!r}?)",
                  " (los nombres distinguen mayúsculas: ¿quiso decir {name!r}?)"),
    "disabled": ("function {name!r} is disabled", "la función {name!r} está deshabilitada"),
    "not_allowed": ("the current role may not call {name!r}", "el rol actual no puede llamar a {name!r}"),
    "params_type": ("parametros must be a JSON object, got {kind}",
                    "parametros debe ser un objeto JSON, se recibió {kind}"),
    "missing": ("missing required parameter {key!r}", "falta el parámetro obligatorio {key!r}"),
    "unexpected": ("unexpected parameter {key}", "parámetro inesperado {key}"),
    "invalid": ("invalid intent: {errors}", "intención no válida: {errors}"),
    "inverted": ("date range is inverted: {start} > {end}", "el rango de fechas está invertido: {start} > {end}"),
    "not_scalar": ("{key} must be {article} {type}, got {kind}", "{key} debe ser {type_es}, se recibió {kind}"),
    "out_of_range": ("{key} is out of range: a number of {n} digits",
                     "{key} está fuera de rango: un número de {n} dígitos"),
    "not_finite": ("{key} must be a finite number", "{key} debe ser un número finito"),
    "wrong_type": ("{key} must be {article} {type}, got {kind} {value}",
                   "{key} debe ser {type_es}, se recibió {kind} {value}"),
    "long_value": ("{key} is too long: {n} characters, the limit is {limit}",
                   "{key} es demasiado largo: {n} caracteres, el límite es {limit}"),
    "control_value": ("{key} contains control characters: {value}", "{key} contiene caracteres de control: {value}"),
    "not_date": ("{key} must be a date YYYY-MM-DD, got {value}",
                 "{key} debe ser una fecha AAAA-MM-DD, se recibió {value}"),
    "not_in_enum": ("{key} must be one of {allowed}, got {value}", "{key} debe ser uno de {allowed}, se recibió {value}"),
    "not_in_catalog": ("{key} {value} is not in {table}", "{key} {value} no está en {table}"),
    "below": ("{key} must be >= {limit}", "{key} debe ser >= {limit}"),
    "above": ("{key} must be <= {limit}", "{key} debe ser <= {limit}"),
}
_TYPE_ES = {"string": "un texto", "integer": "un entero", "number": "un número", "boolean": "un booleano",
            "scalar": "un escalar"}
_KIND_ES = {"null": "null", "boolean": "un booleano", "number": "un número", "string": "un texto",
            "array": "un arreglo", "object": "un objeto"}


def message(language, error, **values):
    """The text of one `error` (a key of MESSAGES) in `language` ('es', or
    anything else: English)."""
    es = language == "es"
    if "kind" in values and es:
        values["kind"] = _KIND_ES.get(values["kind"], values["kind"])
    if "type" in values:
        t = values["type"] or "scalar"
        values.update(type=t, article="an" if t == "integer" else "a", type_es=_TYPE_ES.get(t, t))
    return MESSAGES[error][1 if es else 0].format(**values)


class HugeNumber:
    """A JSON integer with too many digits to be converted (load_intent)."""

    def __init__(self, digits):
        self.digits = digits


def json_kind(v):
    """The JSON name of a value's type, for messages."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float, HugeNumber)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _show(v, width=60):
    """A scalar for a message: repr (control characters escaped), cut to
    `width`; a container or a huge number by its kind only."""
    if isinstance(v, (dict, list, HugeNumber)):
        return json_kind(v)
    if v is None or isinstance(v, bool):
        return {None: "null", True: "true", False: "false"}[v]
    r = repr(v)
    return r if len(r) <= width else f"{r[:width]}... ({len(v) if isinstance(v, str) else len(r)} characters)"


def json_depth(text):
    """Deepest nesting of objects and arrays in JSON text, without recursion."""
    depth = deepest = 0
    for ch in re.sub(r"[^\[\]{}]", "", _JSON_STRING.sub("", text)):
        depth += 1 if ch in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _parse_int(s):
    return int(s) if len(s.lstrip("-")) <= MAX_INTEGER_DIGITS else HugeNumber(len(s.lstrip("-")))


def load_intent(text, language="en"):
    """(intent, errors) from an intent's JSON text (jsonb output: valid JSON,
    duplicate keys already resolved to the last one). The size and depth
    limits are checked before the text is decoded."""
    import json
    if text is None:
        return None, [message(language, "null")]
    if len(text) > MAX_INTENT_CHARS:
        return None, [message(language, "too_large", n=len(text), limit=MAX_INTENT_CHARS)]
    depth = json_depth(text)
    if depth > MAX_INTENT_DEPTH:
        return None, [message(language, "too_deep", n=depth, limit=MAX_INTENT_DEPTH)]
    try:
        return json.loads(text, parse_int=_parse_int), []
    except (ValueError, RecursionError) as exc:
        return None, [message(language, "bad_json", why=type(exc).__name__)]


def _name_errors(name, fn, known, lang):
    if name is None:
        return [message(lang, "null_name")]
    if not isinstance(name, str):
        return [message(lang, "name_type", kind=json_kind(name))]
    if not name.strip():
        return [message(lang, "empty_name")]
    if len(name) > MAX_NAME_CHARS:
        return [message(lang, "long_name", n=len(name), limit=MAX_NAME_CHARS)]
    if _CONTROL.search(name):
        return [message(lang, "control_name", value=_show(name))]
    if fn is None:
        same = [k for k in known if k.casefold() == name.casefold()]
        hint = message(lang, "case_hint", name=same[0]) if same else ""
        return [message(lang, "unknown", value=_show(name)) + hint]
    return []


def _value_errors(k, v, spec, catalogs, lang):
    """Errors of one parameter value against its JSON Schema property."""
    t = spec.get("type")
    if isinstance(v, (dict, list)) and t not in ("object", "array"):
        return [message(lang, "not_scalar", key=k, type=t, kind=json_kind(v))]
    if isinstance(v, HugeNumber) or (isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_INTEGER):
        digits = v.digits if isinstance(v, HugeNumber) else len(str(abs(v)))
        return [message(lang, "out_of_range", key=k, n=digits)]
    if isinstance(v, float) and not math.isfinite(v):
        return [message(lang, "not_finite", key=k)]
    fits = {"string": lambda x: isinstance(x, str),
            "integer": lambda x: isinstance(x, int) and not isinstance(x, bool),
            "number": lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
            "boolean": lambda x: isinstance(x, bool)}
    if t in fits and not fits[t](v):
        return [message(lang, "wrong_type", key=k, type=t, kind=json_kind(v), value=_show(v))]
    if isinstance(v, str):
        if len(v) > MAX_STRING_CHARS:
            return [message(lang, "long_value", key=k, n=len(v), limit=MAX_STRING_CHARS)]
        if _CONTROL.search(v):
            return [message(lang, "control_value", key=k, value=_show(v))]
    errors = []
    if spec.get("format") == "date" and not _is_date(v):
        errors.append(message(lang, "not_date", key=k, value=_show(v)))
    if "enum" in spec and v not in spec["enum"]:
        errors.append(message(lang, "not_in_enum", key=k, allowed=spec["enum"], value=_show(v)))
    if "x-catalog" in spec and v not in catalogs.get(k, []):
        errors.append(message(lang, "not_in_catalog", key=k, value=_show(v), table=spec["x-catalog"]["table"]))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in spec and v < spec["minimum"]:
            errors.append(message(lang, "below", key=k, limit=spec["minimum"]))
        if "maximum" in spec and v > spec["maximum"]:
            errors.append(message(lang, "above", key=k, limit=spec["maximum"]))
    return errors


def validate(intent, fn, catalogs, caller_allowed, known=(), language="en"):
    """Errors (strings, in `language`: 'es' or English) for an intent against
    its registry row; [] when valid. `intent` may be any JSON value (decoded,
    e.g. by load_intent); `fn` is the registry row named by intent["funcion"]
    (None when there is none); `known`: the registered names, to point out
    one that differs only in case. Extra top-level keys are accepted and
    ignored."""
    lang = language
    if not isinstance(intent, dict):
        return [message(lang, "not_object", kind=json_kind(intent))]
    if "funcion" not in intent:
        return [message(lang, "no_name")]
    name = intent["funcion"]
    errors = _name_errors(name, fn, known, lang)
    if errors:
        return errors
    if not fn["enabled"]:
        errors.append(message(lang, "disabled", name=name))
    if not caller_allowed:
        errors.append(message(lang, "not_allowed", name=name))
    params = intent.get("parametros")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return errors + [message(lang, "params_type", kind=json_kind(params))]
    schema = fn["parameters"]
    props = schema.get("properties", {})
    for r in schema.get("required", []):
        if r not in params or params[r] is None:
            errors.append(message(lang, "missing", key=r))
    for k, v in params.items():
        spec = props.get(k)
        if spec is None:
            errors.append(message(lang, "unexpected", key=_show(k)))
        elif v is not None:
            errors += _value_errors(k, v, spec, catalogs, lang)
    dates = [(k, params[k]) for k, s in props.items() if s.get("format") == "date" and _is_date(params.get(k))]
    starts = [v for k, v in dates if "inicio" in k.lower() or "start" in k.lower()]
    ends = [v for k, v in dates if "fin" in k.lower() or "end" in k.lower()]
    if starts and ends and starts[0] > ends[0]:
        errors.append(message(lang, "inverted", start=starts[0], end=ends[0]))
    return errors

