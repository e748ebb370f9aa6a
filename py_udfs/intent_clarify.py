"""How the intent parser (py_udfs.intents) tells what a question names
and what it asks for: a catalog value, known (typos tolerated) or not; the
catalog nouns it uses for one unnamed item ("la sucursal"); whether it asks
to change data. Text arrives folded unless said otherwise."""
import difflib
import re

from .intent_dates import MONTHS
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



# Asking to change data: Spanish imperatives and infinitives (not the
# participles of a read, "ventas anuladas"), English verbs followed by what
# they act on, and SQL.
DESTRUCTIVE = re.compile(
    r"\b(borr(a|ar|e|en|ame)|elimin(a|ar|e|en|ame)|anul(a|ar|e|en)|modific(a|ar|ame)|modifiqu(e|en)"
    r"|actualiz(a|ar)|actualic(e|en)|insert(a|ar|e|en)|agreg(a|ar)|agregu(e|en)|cambi(a|ar|e|en|ale)"
    r"|pone|poner|ponga|vacia|vaciar|reset(ea|ear)?|truncate|drop\s+table|delete\s+from)\b"
    r"|\b(delete|remove|erase|wipe|purge|void|update|modify|alter|change|insert|add|drop|truncate|reset|cancel"
    r"|set)\s+(the|all|every|each|a|an|this|that|these|those|table|sales?|profit|today|yesterday|\w+\s+sales)\b"
    # An English request that opens with one of those verbs is an imperative
    # whatever follows ("remove last week's sales", "insert 50 units").
    r"|^\W*(please\s+)?(delete|remove|erase|wipe|purge|void|update|modify|alter|insert|add|drop|truncate|reset"
    r"|set|record|register)\b")

# A Spanish (voseo) imperative opening the request, "Quitá …", "Corregí …",
# asks to do something. A verb of reading reads; any other verb whose object
# is data ("Sacá las ventas …", "Subí el precio …") is a change, refused
# rather than read (the safe side); any other verb acts on something no
# function holds ("Llamá al gerente", "Escribí un poema"): out of scope.
_OPENING_IMPERATIVE = re.compile(r"^[^\w¿]*([a-zñ]{3,})([áéí])\b(.*)$")
# What a change acts on: the verb's object, after at most a few small words
# ("Bajá a cero las ventas", "Descontá 5 unidades").
_DATA_OBJECT = re.compile(r"^\W*(?:(?:a|al|en|de|del|cero|mas|menos|todo|toda|todos|todas|\d+)\s+){0,3}"
                          r"(?:las?|los?|el|una?|unos|unas|esas?|esos?|estas?|estos?)?\s*"
                          r"(ventas?|registros?|datos?|precios?|costos?|ganancias?|montos?|unidades|tablas?|"
                          r"facturas?|importes?|cantidad(?:es)?|stock|tickets?|filas?|productos?|devolucion(?:es)?|"
                          r"pedidos?|compras?|pagos?|cobros?|movimientos?|operacion(?:es)?|transaccion(?:es)?|total(?:es)?)\b")
_READ_IMPERATIVES = ("mostr", "list", "calcul", "compar", "busc", "cont", "sum", "inform", "indic", "tra", "pas",
                     "mir", "fij", "dec", "averigu", "revis", "cheque", "consult", "analiz", "grafic", "resum",
                     "explic", "orden", "agrup", "filtr", "estim", "proyect", "verific", "control", "detall",
                     "desglos", "export", "promedi", "total", "ranke", "ve", "ten", "prepar", "arm")
_NOT_IMPERATIVE = {"est", "segu", "despu", "adem", "tambi", "quiz", "ac", "all", "aqu", "ah", "as", "ojal"}


def asks_to_change(question, folded):
    """A request to change data: a verb that changes data (DESTRUCTIVE, on
    the folded text), or an opening imperative that is not one of reading.
    Read requests as imperatives carry no accent in their clitic forms
    ("Mostrame", "Decime"), so only the bare voseo form is looked at."""
    if DESTRUCTIVE.search(folded):
        return True
    m = opening_imperative(question)
    return bool(m) and bool(_DATA_OBJECT.match(fold(m.group(3))))


def opening_imperative(question):
    """The opening voseo imperative that is not a verb of reading (a match:
    stem, accented vowel, the rest), or None."""
    m = _OPENING_IMPERATIVE.match(question.strip().lower())
    if m and m.group(1) not in _NOT_IMPERATIVE and not m.group(1).startswith(_READ_IMPERATIVES):
        return m
    return None


_NOT_A_NAME = {"sucursal", "sucursales", "branch", "branches", "store", "local", "tienda", "la", "el", "los", "las",
               "de", "del", "the", "que", "en", "y", "mas", "por", "con", "ayer", "hoy", "today", "yesterday",
               "este", "esta", "this", "last", "week", "semana", "mes", "month", "ano", "year", "total", "todas",
               "todos", "all", "each", "cada", "ventas", "sales", "ganancia", "profit", "top", "q", "trimestre",
               "quarter", "anteayer", "manana", "lunes", "martes", "miercoles", "jueves", "viernes", "sabado",
               "domingo", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "on",
               "in", "at", "for", "of", "a", "to", "un", "una", "mi", "my", "our", "nuestra", "nuestras"}
_VERB_PREFIXES = ("vend", "gan", "factur", "sell", "sold", "tuv", "hub", "fue", "abr", "cerr", "tien", "had", "did",
                  "was", "were", "open", "clos", "made", "make")
_CAP = r"[A-ZÁÉÍÓÚÑ][^\W\d_]+"


def _plausible_name(word, cased):
    w = fold(word.split()[0])
    return not (w in _NOT_A_NAME or w in MONTHS or w.startswith(_VERB_PREFIXES) or (cased and not word[:1].isupper()))


def unknown_catalog_value(question, spec, values):
    """A value the question names for a catalog parameter ("la sucursal
    Once", "the Once branch", "en Almagro") that is not in the catalog;
    None when it names none or a known one."""
    q = question.strip(" ¿?¡!")
    cased = any(c.isupper() for c in q[1:]) and not q.isupper()  # else capitals tell nothing
    nouns = {"store", "local", "tienda"}
    for names in (spec.get("x-label") or {}).values():
        nouns.update(re.sub(r"^(el|la|los|las|the)\s+", "", n) for n in names)
    noun_re = "|".join(sorted(map(re.escape, nouns), key=len, reverse=True))
    found = []
    for m in re.finditer(rf"(?i:\b(?:{noun_re}))\s+(?:(?i:de|of|called|llamada)\s+)?([^\W\d_]+(?:\s+{_CAP})?)", q):
        found.append(m.group(1))
    if cased:
        found += re.findall(rf"\b(?:the)\s+({_CAP}(?:\s+{_CAP})?)\s+(?i:{noun_re})\b", q)
        found += re.findall(rf"\b(?:en|de|in|at|for|of)\s+({_CAP}(?:\s+{_CAP})?)", q)
    for word in found:
        word = " ".join(w for w in word.split() if fold(w) not in _NOT_A_NAME)
        if word and _plausible_name(word, cased) and match_catalog(fold(word), values) is None:
            return word
    return None


def catalog_nouns(fn):
    """The singular names of a function's catalog parameters ("sucursal", "branch")."""
    nouns = set()
    for spec in fn["parameters"].get("properties", {}).values():
        if "x-catalog" in spec:
            for names in (spec.get("x-label") or {}).values():
                if names:
                    nouns.add(fold(re.sub(r"^(el|la|los|las|the)\s+", "", names[0])))
    return nouns


def speaks_of_one(text, functions):
    """The catalog nouns the question uses for one unnamed item ("la
    sucursal", "the branch"): a function without that parameter does not fit."""
    nouns = set().union(*(catalog_nouns(f) for f in functions)) if functions else set()
    return {n for n in nouns if re.search(rf"\b(la|el|una|un|esa|esta|the|a|that|this)\s+{re.escape(n)}\b", text)}
