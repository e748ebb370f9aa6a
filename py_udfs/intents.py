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
import difflib
import re

from .intent_dates import extract_limit, resolve_dates
from .intent_validation import MAX_INTENT_CHARS, MAX_INTENT_DEPTH, json_depth
from .textutil import fold


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
