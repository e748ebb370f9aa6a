"""Natural language -> intent JSON {"funcion", "parametros", "resumen"}.

A hybrid parser with no model call on the hot path:
- the function is chosen by the registry's own keywords and by embedding
  similarity of the question to each function's description and examples,
  preferring functions whose required parameters can be filled; below a
  threshold the answer is "funcion": null with a reason, never a guess;
- slots are filled by rules: relative and absolute dates (Spanish and
  English) resolved against a reference date, catalog values (branch names)
  matched accent- and case-insensitively with small typos tolerated, numbers.
Everything a function needs to be parsed comes from its registry row.
"""
import calendar
import difflib
import math
import re
from datetime import date, timedelta

from .textutil import fold

MONTHS = {"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
          "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
          "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
          "september": 9, "october": 10, "november": 11, "december": 12,
          "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
          "oct": 10, "nov": 11, "dec": 12}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
NUMBER_WORDS = {"uno": 1, "un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
                "ocho": 8, "nueve": 9, "diez": 10, "quince": 15, "veinte": 20, "treinta": 30,
                "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30}
_NUM = r"(\d{1,3}|" + "|".join(NUMBER_WORDS) + r")"


def _num(tok):
    return int(tok) if tok.isdigit() else NUMBER_WORDS[tok]


def _month_range(year, month):
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _year_for(month, ref, explicit):
    if explicit:
        return int(explicit)
    return ref.year if month <= ref.month else ref.year - 1  # "en diciembre" asked in July: last December


def resolve_dates(text, ref):
    """Returns {"start": date, "end": date, "single": bool, "phrase": str} or None.
    `text` is folded (lower-case, no accents)."""
    t = text
    monday = ref - timedelta(days=ref.weekday())

    def out(start, end, phrase, single=False):
        return {"start": start, "end": end, "single": single, "phrase": phrase}

    iso = re.findall(r"\b(\d{4})-(\d{2})-(\d{2})\b", t)
    try:
        if len(iso) >= 2:
            a, b = (date(int(y), int(m), int(d)) for y, m, d in iso[:2])
            return out(a, b, "iso")
        if len(iso) == 1:
            d = date(*map(int, iso[0]))
            return out(d, d, "iso", True)
    except ValueError:
        return {"invalid": "fecha inválida"}
    # "del 1 al 7 de julio [de 2024]", "entre el 1 y el 7 de julio", "from 1 to 7 july", "july 1 to 7"
    m = (re.search(rf"\b(?:del?|desde el|entre el|from|between)\s+(\d{{1,2}})\s+(?:al?|hasta el|y el|to|and)\s+"
                   rf"(\d{{1,2}})\s+(?:de\s+|of\s+)?({_MONTH_RE})\b(?:\s+(?:de\s+)?(\d{{4}}))?", t)
         or re.search(rf"\b({_MONTH_RE})\s+(\d{{1,2}})\s*(?:-|to|through|al)\s*(\d{{1,2}})\b(?:,?\s+(\d{{4}}))?", t))
    if m:
        g = m.groups()
        if g[0] in MONTHS:
            month, d1, d2, year = MONTHS[g[0]], int(g[1]), int(g[2]), g[3]
        else:
            d1, d2, month, year = int(g[0]), int(g[1]), MONTHS[g[2]], g[3]
        y = _year_for(month, ref, year)
        try:
            return out(date(y, month, d1), date(y, month, d2), "day range")
        except ValueError:
            return {"invalid": "fecha inválida"}
    m = re.search(rf"\b(?:ultimos|ultimas|last|past)\s+{_NUM}\s+(?:dias|days)\b", t)
    if m:
        n = _num(m.group(1))
        return out(ref - timedelta(days=n - 1), ref, "last n days")
    rules = [
        (r"\b(antes de ayer|anteayer|day before yesterday)\b", lambda: (ref - timedelta(2),) * 2, True),
        (r"\b(ayer|yesterday)\b", lambda: (ref - timedelta(1),) * 2, True),
        (r"\b(hoy|today|en el dia|del dia)\b", lambda: (ref, ref), True),
        (r"\b(semana pasada|semana anterior|ultima semana|last week|previous week)\b",
         lambda: (monday - timedelta(7), monday - timedelta(1)), False),
        (r"\b(esta semana|semana actual|this week|current week)\b", lambda: (monday, monday + timedelta(6)), False),
        (r"\b(mes pasado|mes anterior|ultimo mes|last month|previous month)\b",
         lambda: _month_range(*((ref.year, ref.month - 1) if ref.month > 1 else (ref.year - 1, 12))), False),
        (r"\b(este mes|mes actual|this month|current month)\b", lambda: _month_range(ref.year, ref.month), False),
        (r"\b(ano pasado|ano anterior|last year|previous year)\b",
         lambda: (date(ref.year - 1, 1, 1), date(ref.year - 1, 12, 31)), False),
        (r"\b(este ano|this year|current year)\b", lambda: (date(ref.year, 1, 1), date(ref.year, 12, 31)), False),
    ]
    for pattern, fn, single in rules:
        m = re.search(pattern, t)
        if m:
            a, b = fn()
            return out(a, b, m.group(1), single)
    # one day: "el 15 de julio", "15 de julio de 2024", "july 15", "on 15 july"
    m = (re.search(rf"\b(\d{{1,2}})\s+(?:de\s+)?({_MONTH_RE})\b(?:\s+(?:de\s+)?(\d{{4}}))?", t)
         or re.search(rf"\b({_MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", t))
    if m:
        g = m.groups()
        if g[0] in MONTHS:
            month, d, year = MONTHS[g[0]], int(g[1]), g[2]
        else:
            d, month, year = int(g[0]), MONTHS[g[1]], g[2]
        try:
            day = date(_year_for(month, ref, year), month, d)
        except ValueError:
            return {"invalid": "fecha inválida"}
        return out(day, day, "day", True)
    m = re.search(rf"\b(?:en|de|in|during|durante)\s+({_MONTH_RE})\b(?:\s+(?:de\s+)?(\d{{4}}))?", t) \
        or re.search(rf"\b({_MONTH_RE})\s+(\d{{4}})\b", t)
    if m and m.group(1) in MONTHS and not (m.group(1) == "may" and not m.group(0).startswith(("in", "en", "de"))):
        month = MONTHS[m.group(1)]
        a, b = _month_range(_year_for(month, ref, m.group(2)), month)
        return out(a, b, "month")
    return None


def match_catalog(text, values):
    """The catalog value named in `text` (folded), tolerating one or two typos;
    None when none is named. Never returns a value not in `values`."""
    words = re.findall(r"[a-z0-9]+", text)
    folded = {fold(v): v for v in values}
    for f, v in folded.items():
        if re.search(rf"\b{re.escape(f)}\b", text):
            return v
    best, best_ratio = None, 0.0
    for w in words:
        if len(w) < 4:
            continue
        for f, v in folded.items():
            r = difflib.SequenceMatcher(None, w, f).ratio()
            if r > best_ratio:
                best, best_ratio = v, r
    return best if best_ratio >= 0.8 else None


def extract_limit(text):
    m = re.search(rf"\b(?:top|los|las|the)\s+{_NUM}\s+(?:productos|products|mas|most|best|primeros)", text) \
        or re.search(rf"\btop\s*{_NUM}\b", text) or re.search(rf"\b{_NUM}\s+(?:productos|products)\b", text)
    return _num(m.group(1)) if m else None


def keyword_hits(text, keywords):
    hits = 0
    for kw in keywords:
        k = fold(kw)
        if " " in k:
            hits += bool(re.search(rf"\b{re.escape(k)}\b", text))
        else:
            hits += bool(re.search(rf"\b{re.escape(k)}", text))  # prefix: vendio -> vendio/vendiò, etc.
    return hits


def fill_slots(fn, text, ref, catalogs):
    """Parameters of `fn` (a registry row) found in the question. Returns
    (params, problems)."""
    props = fn["parameters"].get("properties", {})
    params, problems = {}, []
    dates = resolve_dates(text, ref)
    if dates and "invalid" in dates:
        problems.append(dates["invalid"])
        dates = None
    date_params = [p for p, s in props.items() if s.get("format") == "date"]
    if dates and date_params:
        if len(date_params) == 1:
            if dates["single"]:
                params[date_params[0]] = dates["start"].isoformat()
            else:
                problems.append("la función pide un solo día y la pregunta da un rango")
        else:
            start, end = sorted(date_params, key=lambda p: (("fin" in p.lower() or "end" in p.lower()), p))[:2]
            params[start], params[end] = dates["start"].isoformat(), dates["end"].isoformat()
    for p, s in props.items():
        if "x-catalog" in s:
            v = match_catalog(text, catalogs.get(p, []))
            if v:
                params[p] = v
        elif s.get("type") == "integer" and p not in params:
            n = extract_limit(text)
            if n is not None:
                params[p] = n
    return params, problems


FOLLOW_UP = re.compile(r"^(y|e|and|what about|how about|y en|y para|and in|and for)\b")


def summary(fn, params, lang):
    desc = fn["description_es"] if lang == "es" else fn["description_en"]
    bits = [str(v) for v in params.values()]
    return f"{desc}: {', '.join(bits)}" if bits else desc


def parse(question, ref, functions, catalogs, similarity, history=None, lang="es", threshold=0.86):
    """functions: registry rows (dicts; parameters parsed). catalogs: param ->
    allowed values. similarity(fn_name) -> max cosine of the question to the
    function's description/examples. history: last intents, newest first."""
    text = fold(question)
    scored = []
    for fn in functions:
        params, problems = fill_slots(fn, text, ref, catalogs)
        required = fn["parameters"].get("required", [])
        fillable = all(r in params for r in required) and not problems
        kw = keyword_hits(text, fn["keywords"])
        sim = similarity(fn["name"])
        score = sim + 0.12 * min(kw, 2) + (0.08 if fillable else -0.1)
        scored.append((score, kw, sim, fn, params, problems, fillable))
    scored.sort(key=lambda r: r[0], reverse=True)
    best = scored[0] if scored else None
    is_follow_up = bool(FOLLOW_UP.match(text.strip(" ¿?¡!"))) and len(text.split()) <= 8
    if history and is_follow_up and (best is None or best[1] == 0):
        prev = history[0]
        fn = next((f for f in functions if f["name"] == prev.get("funcion")), None)
        if fn:
            params, problems = fill_slots(fn, text, ref, catalogs)
            merged = dict(prev.get("parametros") or {}, **params)
            return {"funcion": fn["name"], "parametros": merged, "resumen": summary(fn, merged, lang),
                    "confianza": 0.8, "parser": "rules+history"}
    # No call without evidence: keywords or a close example, and either the
    # required parameters or a very close example.
    if best is None or (best[2] < threshold and (best[1] == 0 or not best[6])):
        reason = "la pregunta no corresponde a ninguna función registrada" if lang == "es" \
            else "the question matches no registered function"
        return {"funcion": None, "parametros": {}, "resumen": reason, "razon": reason,
                "confianza": round(best[2], 4) if best else 0.0, "parser": "rules+embedding"}
    score, kw, sim, fn, params, problems, fillable = best
    out = {"funcion": fn["name"], "parametros": params, "resumen": summary(fn, params, lang),
           "confianza": round(min(1.0, score), 4), "parser": "rules+embedding"}
    if problems:
        out["problemas"] = problems
    return out


# ---- validation -------------------------------------------------------------------

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


# ---- LLM parser -------------------------------------------------------------------

PROMPT_VERSION = "intent_v1"
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def llm_messages(question, ref, functions, catalogs):
    """System prompt with the registry, few-shot turns from the registered examples."""
    from pathlib import Path
    import json
    described = "\n".join(
        f"- {f['name']}: {f['description_en']} / {f['description_es']}. Parameters (JSON Schema): "
        f"{json.dumps(f['parameters'].get('properties', {}), ensure_ascii=False)}; "
        f"required: {f['parameters'].get('required', [])}" for f in functions)
    values = sorted({v for vs in catalogs.values() for v in vs})
    system = (Path(__file__).parent / "prompts" / f"{PROMPT_VERSION}.txt").read_text().format(
        today=ref.isoformat(), weekday=_WEEKDAYS[ref.weekday()], functions=described, catalog=", ".join(values))
    messages = [{"role": "system", "content": system}]
    for f in functions:
        for ex in f["examples"][:2]:
            if "parametros" not in ex:
                continue
            messages.append({"role": "user", "content": f"(today {ex.get('reference_date', ref.isoformat())}) "
                                                        f"{ex['question']}"})
            messages.append({"role": "assistant", "content": json.dumps(
                {"funcion": f["name"], "parametros": ex["parametros"], "resumen": ex["question"]},
                ensure_ascii=False)})
    messages.append({"role": "user", "content": f"(today {ref.isoformat()}) {question}"})
    return messages


def parse_llm_reply(text):
    import json
    m = re.search(r"\{.*\}", text or "", re.S)
    if not m:
        raise ValueError("the model returned no JSON object")
    text = m.group(0)
    if len(text) > MAX_INTENT_CHARS or json_depth(text) > MAX_INTENT_DEPTH:  # json.loads recurses
        raise ValueError("the model's reply is too large or nested too deeply")
    out = json.loads(text)
    if not isinstance(out, dict):
        raise ValueError("the model returned JSON that is not an object")
    out.setdefault("parametros", {})
    out.setdefault("resumen", "")
    return out
