"""What analysts read back from an intent question, in the question's
language: the clarification of an unknown catalog value or a missing
parameter, the refusal of a request to change data, the confirmation a
function that writes asks for, and the sentence of a result with its dates
written out. Amounts are formatted in SQL (rag._format_amount) once the
registered function has run; everything else is written here, in the one
crossing into Python of rag.ask.

The human names come from the registry: a function's description_es /
description_en, a parameter's "x-label" ({"es": [singular, plural], "en":
[...]}) and the function's "x-reply" templates in its parameters' JSON
Schema. Nothing here names a function of the demo domain."""
import re
from datetime import date

from .textutil import detect_language, fold

MONTHS_ES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
             "noviembre", "diciembre"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
_ORD_ES = ["primer", "segundo", "tercer", "cuarto"]

# Words of the sales questions themselves: a short question ("Top 5
# productos", "Sales by branch") has too few stop words to tell.
_DOMAIN_ES = {"ventas", "venta", "vendio", "vendimos", "productos", "producto", "sucursal", "sucursales",
              "ganancia", "ganancias", "ganamos", "facturo", "trimestre", "ayer", "hoy", "semana", "mes", "ano",
              "borra", "borrar", "elimina", "eliminar", "anula", "anular", "cuanto", "cual"}
_DOMAIN_EN = {"sales", "sold", "sell", "products", "product", "branch", "branches", "profit", "earnings",
              "quarter", "yesterday", "today", "week", "month", "year", "delete", "remove", "update", "how",
              "which", "what", "best", "selling", "revenue"}


def question_language(question):
    """'es' or 'en': the language to answer an intent question in."""
    words = re.findall(r"[a-z]+", fold(question or ""))
    es = sum(w in _DOMAIN_ES for w in words)
    en = sum(w in _DOMAIN_EN for w in words)
    lang = detect_language(question or "")
    es += 2 * (lang == "es") + 2 * bool(re.search(r"[¿¡ñáéíóú]", question or ""))
    en += 2 * (lang == "en")
    return "es" if es > en or (es == en and lang != "en") else "en"


def format_date(d, lang):
    """es: 1 de marzo de 2025; en: March 1, 2025."""
    return f"{d.day} de {MONTHS_ES[d.month - 1]} de {d.year}" if lang == "es" \
        else f"{MONTHS_EN[d.month - 1]} {d.day}, {d.year}"


def _month_end(d):
    nxt = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def format_period(start, end, lang):
    """A date or a range as a phrase: "el 1 de marzo de 2025", "en marzo de
    2025", "en el primer trimestre de 2025", "del 1 al 15 de marzo de 2025";
    "on March 1, 2025", "in March 2025", "in Q1 2025", "from March 1 to 15, 2025"."""
    es = lang == "es"
    if start == end:
        return ("el " if es else "on ") + format_date(start, lang)
    whole_months = start.day == 1 and end == _month_end(end)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if whole_months and months == 12 and start.month == 1:
        return f"en {start.year}" if es else f"in {start.year}"
    if whole_months and months == 3 and start.month % 3 == 1:
        q = start.month // 3
        return f"en el {_ORD_ES[q]} trimestre de {start.year}" if es else f"in Q{q + 1} {start.year}"
    if whole_months and months == 1:
        return f"en {MONTHS_ES[start.month - 1]} de {start.year}" if es \
            else f"in {MONTHS_EN[start.month - 1]} {start.year}"
    if start.year == end.year and start.month == end.month:
        return f"del {start.day} al {format_date(end, lang)}" if es \
            else f"from {MONTHS_EN[start.month - 1]} {start.day} to {end.day}, {end.year}"
    if start.year == end.year:
        return f"del {start.day} de {MONTHS_ES[start.month - 1]} al {format_date(end, lang)}" if es \
            else f"from {MONTHS_EN[start.month - 1]} {start.day} to {format_date(end, lang)}"
    return f"del {format_date(start, lang)} al {format_date(end, lang)}" if es \
        else f"from {format_date(start, lang)} to {format_date(end, lang)}"


def join_words(values, lang):
    """A, B y C / A, B and C."""
    values = list(values)
    if len(values) <= 1:
        return "".join(values)
    return f"{', '.join(values[:-1])} {'y' if lang == 'es' else 'and'} {values[-1]}"


def label(spec, param, lang, plural=False):
    """A parameter's human name from its "x-label", else its name."""
    names = (spec.get("x-label") or {}).get(lang)
    if isinstance(names, list) and names:
        return names[min(len(names) - 1, int(plural))]
    return param


def function_name(fn, lang):
    """A function as analysts know it: its description, not its identifier."""
    desc = fn["description_es"] if lang == "es" else fn["description_en"]
    return desc[:1].lower() + desc[1:]


def _cap(text):
    return text[:1].upper() + text[1:]


def unknown_value(lang, spec, param, value, valid):
    """"No existe la sucursal Once; las sucursales son Abasto, ... y Recoleta." """
    one, many = label(spec, param, lang), label(spec, param, lang, plural=True)
    listed = join_words(sorted(valid, key=fold), lang)
    if lang == "es":
        return _cap(f"no existe {one} {value}; {many} son {listed}.")
    return f"There is no {one} {value}; the {many} are {listed}."


def missing_question(lang, fn, missing, catalogs):
    """The question for the parameters a function still needs: "¿Qué
    período?", "Which day?", "¿Qué sucursal? Las sucursales son ..."."""
    props = fn["parameters"].get("properties", {})
    dates = [m for m in missing if props.get(m, {}).get("format") == "date"]
    asks = []
    if len(dates) >= 2:
        asks.append("¿Qué período? (por ejemplo «en marzo de 2025», «del 1/3 al 15/3» o «el primer trimestre»)"
                    if lang == "es" else "Which period? (for example “in March 2025”, “from 3/1 to 3/15” or “Q1”)")
    elif dates:
        asks.append("¿Qué día? (por ejemplo «ayer» o «el 1/3/2025»)" if lang == "es"
                    else "Which day? (for example “yesterday” or “3/1/2025”)")
    for m in missing:
        if m in dates:
            continue
        spec = props.get(m, {})
        one = label(spec, m, lang)
        noun = re.sub(r"^(el|la|los|las|the)\s+", "", one)
        if "x-catalog" in spec and catalogs.get(m):
            many = label(spec, m, lang, plural=True)
            listed = join_words(sorted(catalogs[m], key=fold), lang)
            asks.append(f"¿Qué {noun}? {_cap(many)} son {listed}." if lang == "es"
                        else f"Which {noun}? The {many} are {listed}.")
        else:
            asks.append(f"¿Qué {noun}?" if lang == "es" else f"Which {noun}?")
    lead = f"Para responder sobre {function_name(fn, lang)} falta un dato. " if lang == "es" \
        else f"To answer about {function_name(fn, lang)} I need one more detail. "
    return lead + " ".join(asks)


def problem_question(lang, fn, problems):
    """What stops a function the question names, and what to ask."""
    props = fn["parameters"].get("properties", {})
    one_day = sum(s.get("format") == "date" for s in props.values()) == 1
    ask = (" ¿Qué día?" if lang == "es" else " Which day?") if one_day else ""
    lead = f"Para responder sobre {function_name(fn, lang)}: " if lang == "es" \
        else f"To answer about {function_name(fn, lang)}: "
    return lead + "; ".join(problems) + "." + ask


def destructive_refusal(lang):
    if lang == "es":
        return ("No puedo cambiar ni borrar datos: respondo consultas. Ninguna función registrada que modifique "
                "datos corresponde a este pedido; pedíselo a quien administra los datos.")
    return ("I cannot change or delete data: I answer questions. No registered function that changes data "
            "matches this request; ask whoever administers the data.")


def fill_template(template, fn, params, lang):
    """A reply template with the intent's values written out: {periodo} (the
    date range or date), each parameter by name; "[...]" parts whose values
    are missing are dropped. Placeholders filled after the call ({resultado},
    {total}, {filas}, {primero}) are kept for SQL."""
    props = fn["parameters"].get("properties", {})
    values = {}
    dates = sorted((k for k, s in props.items() if s.get("format") == "date" and params.get(k)),
                   key=lambda k: (("fin" in k.lower() or "end" in k.lower()), k))
    try:
        ds = [date.fromisoformat(params[k]) for k in dates]
    except (TypeError, ValueError):
        ds = []
    if ds:
        values["periodo"] = format_period(ds[0], ds[-1], lang)
    for k, v in params.items():
        if v is None:
            continue
        if k in dates and ds:
            values[k] = format_date(date.fromisoformat(v), lang)
        else:
            values[k] = str(v)
    later = {"resultado", "total", "filas", "primero"}

    def part(m):
        names = set(re.findall(r"\{(\w+)\}", m.group(1)))
        return m.group(1) if all(n in values or n in later for n in names) else ""
    text = re.sub(r"\[([^\]]*)\]", part, template)
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def reply(fn, params, lang):
    """(template, format) of a result: the function's "x-reply" template
    filled with the parameters, or its description and values; format tells
    SQL how to show the result ({"result": "money"|"count"|..., "label",
    "value", "titulo"})."""
    spec = fn["parameters"].get("x-reply") or {}
    template = spec.get(lang) or (f"{_cap(function_name(fn, lang))} {{periodo}}: {{resultado}}.")
    fmt = {k: spec[k] for k in ("result", "label", "value", "money") if k in spec}
    fmt["titulo"] = _cap(function_name(fn, lang))
    return fill_template(template, fn, params, lang), fmt


def confirmation(fn, params, lang):
    """What a function that changes data would do, and how to go ahead."""
    spec = fn["parameters"].get("x-reply") or {}
    what = fill_template(spec.get(f"confirm_{lang}") or f"{_cap(function_name(fn, lang))} {{periodo}}",
                         fn, params, lang)
    if lang == "es":
        return f"{what}. Esto cambia datos: para hacerlo, repetí la pregunta con confirm => true."
    return f"{what}. This changes data: to go ahead, ask again with confirm => true."


def humanize_errors(errors, fn, lang):
    """Validation errors with the function's and parameters' human names in
    place of their identifiers."""
    if not fn:
        return errors
    props = fn["parameters"].get("properties", {})
    out = []
    for e in errors:
        for k, spec in props.items():
            if "x-label" in spec:
                e = re.sub(rf"(?<![\w'])'?{re.escape(k)}'?(?![\w'])", label(spec, k, lang), e)
        out.append(e.replace(repr(fn["name"]), f"«{function_name(fn, lang)}»"))
    return out
