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


def load_intent(text):
    """(intent, errors) from an intent's JSON text (jsonb output: valid JSON,
    duplicate keys already resolved to the last one). The size and depth
    limits are checked before the text is decoded."""
    import json
    if text is None:
        return None, ['intent is NULL: expected a JSON object {"funcion": ..., "parametros": {...}}']
    if len(text) > MAX_INTENT_CHARS:
        return None, [f"intent is too large: {len(text)} characters of JSON, the limit is {MAX_INTENT_CHARS}"]
    depth = json_depth(text)
    if depth > MAX_INTENT_DEPTH:
        return None, [f"intent is nested too deeply: {depth} levels of objects/arrays, the limit is {MAX_INTENT_DEPTH}"]
    try:
        return json.loads(text, parse_int=_parse_int), []
    except (ValueError, RecursionError) as exc:
        return None, [f"intent is not valid JSON ({type(exc).__name__})"]


def _name_errors(name, fn, known):
    if name is None:
        return ["funcion is null: name a registered function"]
    if not isinstance(name, str):
        return [f"funcion must be a string, got {json_kind(name)}"]
    if not name.strip():
        return ["funcion is empty"]
    if len(name) > MAX_NAME_CHARS:
        return [f"funcion is too long: {len(name)} characters, the limit is {MAX_NAME_CHARS}"]
    if _CONTROL.search(name):
        return [f"funcion contains control characters: {_show(name)}"]
    if fn is None:
        same = [k for k in known if k.casefold() == name.casefold()]
        hint = f" (names are case-sensitive: did you mean {same[0]!r}?)" if same else ""
        return [f"unknown function {_show(name)}{hint}"]
    return []


def _value_errors(k, v, spec, catalogs):
    """Errors of one parameter value against its JSON Schema property."""
    t = spec.get("type")
    if isinstance(v, (dict, list)) and t not in ("object", "array"):
        return [f"{k} must be {'an' if t == 'integer' else 'a'} {t or 'scalar'}, got {json_kind(v)}"]
    if isinstance(v, HugeNumber) or (isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_INTEGER):
        digits = v.digits if isinstance(v, HugeNumber) else len(str(abs(v)))
        return [f"{k} is out of range: a number of {digits} digits"]
    if isinstance(v, float) and not math.isfinite(v):
        return [f"{k} must be a finite number"]
    if t == "string" and not isinstance(v, str):
        return [f"{k} must be a string, got {json_kind(v)} {_show(v)}"]
    if t == "integer" and (not isinstance(v, int) or isinstance(v, bool)):
        return [f"{k} must be an integer, got {json_kind(v)} {_show(v)}"]
    if t == "number" and (not isinstance(v, (int, float)) or isinstance(v, bool)):
        return [f"{k} must be a number, got {json_kind(v)} {_show(v)}"]
    if t == "boolean" and not isinstance(v, bool):
        return [f"{k} must be a boolean, got {json_kind(v)} {_show(v)}"]
    if isinstance(v, str):
        if len(v) > MAX_STRING_CHARS:
            return [f"{k} is too long: {len(v)} characters, the limit is {MAX_STRING_CHARS}"]
        if _CONTROL.search(v):
            return [f"{k} contains control characters: {_show(v)}"]
    errors = []
    if spec.get("format") == "date" and not _is_date(v):
        errors.append(f"{k} must be a date YYYY-MM-DD, got {_show(v)}")
    if "enum" in spec and v not in spec["enum"]:
        errors.append(f"{k} must be one of {spec['enum']}, got {_show(v)}")
    if "x-catalog" in spec and v not in catalogs.get(k, []):
        errors.append(f"{k} {_show(v)} is not in {spec['x-catalog']['table']}")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in spec and v < spec["minimum"]:
            errors.append(f"{k} must be >= {spec['minimum']}")
        if "maximum" in spec and v > spec["maximum"]:
            errors.append(f"{k} must be <= {spec['maximum']}")
    return errors


def validate(intent, fn, catalogs, caller_allowed, known=()):
    """Errors (strings) for an intent against its registry row; [] when valid.
    `intent` may be any JSON value (decoded, e.g. by load_intent); `fn` is the
    registry row named by intent["funcion"] (None when there is none);
    `known`: the registered names, to point out one that differs only in case.
    Extra top-level keys are accepted and ignored."""
    if not isinstance(intent, dict):
        return [f"intent must be a JSON object, got {json_kind(intent)}"]
    if "funcion" not in intent:
        return ["funcion is missing"]
    name = intent["funcion"]
    errors = _name_errors(name, fn, known)
    if errors:
        return errors
    if not fn["enabled"]:
        errors.append(f"function {name!r} is disabled")
    if not caller_allowed:
        errors.append(f"the current role may not call {name!r}")
    params = intent.get("parametros")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return errors + [f"parametros must be a JSON object, got {json_kind(params)}"]
    schema = fn["parameters"]
    props = schema.get("properties", {})
    for r in schema.get("required", []):
        if r not in params or params[r] is None:
            errors.append(f"missing required parameter {r!r}")
    for k, v in params.items():
        spec = props.get(k)
        if spec is None:
            errors.append(f"unexpected parameter {_show(k)}")
        elif v is not None:
            errors += _value_errors(k, v, spec, catalogs)
    dates = [(k, params[k]) for k, s in props.items() if s.get("format") == "date" and _is_date(params.get(k))]
    starts = [v for k, v in dates if "inicio" in k.lower() or "start" in k.lower()]
    ends = [v for k, v in dates if "fin" in k.lower() or "end" in k.lower()]
    if starts and ends and starts[0] > ends[0]:
        errors.append(f"date range is inverted: {starts[0]} > {ends[0]}")
    return errors

