"""Natural language -> intent JSON {"funcion", "parametros", "resumen"}.

A hybrid parser with no model call on the hot path:
- the function is chosen by the registry's own keywords and by embedding
  similarity of the question to each function's description and examples,
  preferring functions whose required parameters can be filled; below a
  threshold the answer is "funcion": null with a reason, never a guess;
- slots are filled by rules: relative and absolute dates (Spanish and
  English) resolved against a reference date, catalog values (branch names)
  matched accent- and case-insensitively with small typos tolerated, numbers;
- it asks instead of guessing: a catalog value the catalog does not have
  ("sucursal Once") or a required parameter the question does not give gets
  an "aclaracion" in the question's language, never a call without it;
- a request to change data is only ever matched to a registered function
  that changes data (read_only = false), which runs with confirm; when none
  fits it is refused ("rechazo": "destructiva"), never mapped to a read.
Everything a function needs to be parsed comes from its registry row.
"""
import re

from . import intent_replies as replies
from .intent_clarify import (DESTRUCTIVE, asks_to_change, catalog_nouns, match_catalog, opening_imperative,
                             speaks_of_one, unknown_catalog_value)
from .intent_dates import extract_limit, resolve_dates
from .intent_validation import MAX_INTENT_CHARS, MAX_INTENT_DEPTH, json_depth
from .textutil import fold


def keyword_hits(text, keywords):
    hits = 0
    for kw in keywords:
        k = fold(kw)
        if " " in k:
            hits += bool(re.search(rf"\b{re.escape(k)}\b", text))
        else:
            hits += bool(re.search(rf"\b{re.escape(k)}", text))  # prefix: vendio -> vendio/vendiò, etc.
    return hits


def keyword_words(text, keywords):
    """How many of the question's words the keywords cover (a word two
    keywords match, "productos" for producto/productos, counts once)."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    covered = set()
    for kw in keywords:
        k = fold(kw)
        for m in re.finditer(rf"\b{re.escape(k)}" + (r"\b" if " " in k else ""), text):
            covered.update(i for i, (a, b) in enumerate(words) if a < m.end() and m.start() < b)
    return len(covered)


def fill_slots(fn, text, ref, catalogs, question="", lang="es"):
    """Parameters of `fn` (a registry row) found in the question. Returns
    (params, problems, unknown): unknown maps a catalog parameter to the
    value the question names that the catalog does not have."""
    props = fn["parameters"].get("properties", {})
    params, problems, unknown = {}, [], {}
    dates = resolve_dates(text, ref, lang)
    if dates and "invalid" in dates:
        problems.append(dates["invalid"] if lang == "es" else "invalid date")
        dates = None
    date_params = [p for p, s in props.items() if s.get("format") == "date"]
    if dates and date_params:
        if len(date_params) == 1:
            if dates["single"]:
                params[date_params[0]] = dates["start"].isoformat()
            else:
                problems.append("la función pide un solo día y la pregunta da un rango" if lang == "es"
                                else "the function takes one day and the question gives a range")
        else:
            start, end = sorted(date_params, key=lambda p: (("fin" in p.lower() or "end" in p.lower()), p))[:2]
            params[start], params[end] = dates["start"].isoformat(), dates["end"].isoformat()
    for p, s in props.items():
        if "x-catalog" in s:
            v = match_catalog(text, catalogs.get(p, []))
            if v:
                params[p] = v
            elif question:
                named = unknown_catalog_value(question, s, catalogs.get(p, []))
                if named:
                    unknown[p] = named
        elif s.get("type") == "integer" and p not in params:
            n = extract_limit(text)
            if n is not None:
                params[p] = n
    return params, problems, unknown


FOLLOW_UP = re.compile(r"^(y|e|and|what about|how about|y en|y para|and in|and for)\b")


def summary(fn, params, lang):
    desc = fn["description_es"] if lang == "es" else fn["description_en"]
    bits = [str(v) for v in params.values()]
    return f"{desc}: {', '.join(bits)}" if bits else desc


def _clarify(fn, params, unknown, ref_lang, catalogs, missing, base):
    """An intent that asks before it runs: an unknown catalog value first
    (the analyst named something that is not there), then what is missing."""
    props = fn["parameters"].get("properties", {})
    if unknown:
        p, value = next(iter(unknown.items()))
        text = replies.unknown_value(ref_lang, props[p], p, value, catalogs.get(p, []))
        ask = {"tipo": "valor_desconocido", "parametro": p, "valor": value,
               "validos": sorted(catalogs.get(p, []), key=replies.fold), "pregunta": text}
        params = dict(params, **{p: value})  # kept: validation refuses it, nothing runs without it
    else:
        text = replies.missing_question(ref_lang, fn, missing, catalogs)
        ask = {"tipo": "falta_parametro", "faltan": missing, "pregunta": text}
    return dict(base, funcion=fn["name"], parametros=params, resumen=text, aclaracion=ask)


# When the question has no keyword of any function, only an example this
# close chooses one: a question that merely names a branch ("¿A qué hora
# abre la sucursal Palermo?") is as close as 0.87–0.91 to the sales examples.
NO_KEYWORD_THRESHOLD = 0.92


def _no_function(lang, base):
    reason = "la pregunta no corresponde a ninguna función registrada" if lang == "es" \
        else "the question matches no registered function"
    return dict(base, funcion=None, parametros={}, resumen=reason, razon=reason)


def parse(question, ref, functions, catalogs, similarity, history=None, lang="es", threshold=0.86):
    """functions: registry rows (dicts; parameters parsed). catalogs: param ->
    allowed values. similarity(fn_name) -> max cosine of the question to the
    function's description/examples. history: last intents, newest first."""
    text = fold(question)
    destructive = asks_to_change(question, text)
    if not destructive and opening_imperative(question):
        # An action on something no function holds ("Llamá al gerente").
        return _no_function(lang, {"confianza": 0.0, "parser": "rules"})
    # A request to change data is matched only to functions that change
    # data; a function that changes data only to such a request or to its
    # own keywords ("registrar una nota").
    functions = [f for f in functions if (not destructive if f.get("read_only", True)
                                          else destructive or keyword_hits(text, f["keywords"]))]
    scored = []
    one_of = speaks_of_one(text, functions)
    for fn in functions:
        params, problems, unknown = fill_slots(fn, text, ref, catalogs, question, lang)
        # "la sucursal" with no name: the function's parameter is wanted, even
        # an optional one (running it over every branch would drop the filter).
        wanted = [p for p, spec in fn["parameters"].get("properties", {}).items()
                  if "x-catalog" in spec and p not in params and p not in unknown and one_of & catalog_nouns(
                      {"parameters": {"properties": {p: spec}}})]
        required = fn["parameters"].get("required", []) + [p for p in wanted if p not in
                                                            fn["parameters"].get("required", [])]
        fillable = all(r in params or r in unknown for r in required) and not problems
        kw = keyword_hits(text, fn["keywords"])
        sim = similarity(fn["name"])
        score = sim + 0.12 * min(kw, 2) + (0.08 if fillable else -0.1) - (0.15 if one_of - catalog_nouns(fn) else 0)
        scored.append((score, kw, sim, fn, params, problems, fillable, unknown, required))
    scored.sort(key=lambda r: r[0], reverse=True)
    best = scored[0] if scored else None
    base = {"confianza": round(best[2], 4) if best else 0.0, "parser": "rules+embedding"}
    if destructive and (best is None or best[1] == 0 or best[5]):
        reason = replies.destructive_refusal(lang) + ("" if best is None or not best[5] else f" ({'; '.join(best[5])})")
        return dict(base, funcion=None, parametros={}, resumen=reason, razon=reason, rechazo="destructiva")
    is_follow_up = bool(FOLLOW_UP.match(text.strip(" ¿?¡!"))) and len(text.split()) <= 8
    if history and is_follow_up and not destructive and (best is None or best[1] == 0):
        prev = history[0]
        fn = next((f for f in functions if f["name"] == prev.get("funcion")), None)
        if fn:
            params, problems, unknown = fill_slots(fn, text, ref, catalogs, question, lang)
            merged = dict(prev.get("parametros") or {}, **params)
            if unknown:
                return _clarify(fn, merged, unknown, lang, catalogs, [], dict(base, parser="rules+history"))
            return {"funcion": fn["name"], "parametros": merged, "resumen": summary(fn, merged, lang),
                    "confianza": 0.8, "parser": "rules+history"}
    named = next((r for r in scored if r[1] >= 1), None)  # the best function the question names
    if named is not None and named[5] and not destructive and (named is best or best[1] == 0):
        # The function the question names cannot take what it gives ("ganancia
        # de la semana pasada": profit is per day): say so, not another function.
        fn, problems = named[3], named[5]
        text = replies.problem_question(lang, fn, problems)
        return dict(base, funcion=fn["name"], parametros=named[4], resumen=text, problemas=problems,
                    aclaracion={"tipo": "problema", "problemas": problems, "pregunta": text})
    if best is not None and not best[6] and not best[5] and best[1] >= 1:
        # The function is named but a required parameter is not given: ask for
        # it, when the evidence is more than one shared word.
        score, kw, sim, fn, params, problems, fillable, unknown, required = best
        missing = [r for r in required if r not in params and r not in unknown]
        if destructive or keyword_words(text, fn["keywords"]) >= 2 or params or unknown or sim >= 0.87:
            return _clarify(fn, params, unknown, lang, catalogs, missing, base)
    # No call without evidence: keywords or a close example, and either the
    # required parameters or a very close example.
    unnamed = all(r[1] == 0 for r in scored)  # not one function's keyword
    if best is None or (unnamed and best[2] < NO_KEYWORD_THRESHOLD) or (best[2] < threshold and not best[6]):
        if destructive:
            reason = replies.destructive_refusal(lang)
            return dict(base, funcion=None, parametros={}, resumen=reason, razon=reason, rechazo="destructiva")
        return _no_function(lang, base)
    score, kw, sim, fn, params, problems, fillable, unknown, required = best
    missing = [r for r in required if r not in params and r not in unknown]
    if unknown or (missing and not problems):
        # chosen by a very close example alone: still asked, never sent half-filled
        return _clarify(fn, params, unknown, lang, catalogs, missing, base)
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
