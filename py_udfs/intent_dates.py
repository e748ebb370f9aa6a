"""Dates, months and counts in Spanish and English questions, resolved
against a reference date: the slot-filling rules the intent parser uses
(py_udfs.intents). Text arrives folded (lower-case, no accents).

Numeric dates are day/month/year in Spanish (1/3/2025, 01-03-2025: the 1st
of March) and month/day/year in English (3/1/2025: March 1), the way each
language's readers write them; an English date whose first number is above
12 can only be day/month and is read so. ISO dates (2025-03-01) are the same
in both. A date or month without a year is the latest one not after the
reference month (asked in July, "en diciembre" is last December); a quarter
without a year likewise."""
import calendar
import re
from datetime import date, timedelta

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


_ORDINAL = {"primer": 1, "primero": 1, "1er": 1, "1ro": 1, "1o": 1, "segundo": 2, "2do": 2, "2o": 2,
            "tercer": 3, "tercero": 3, "3er": 3, "3ro": 3, "3o": 3, "cuarto": 4, "4to": 4, "4o": 4,
            "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_ORD_RE = "|".join(sorted(_ORDINAL, key=len, reverse=True))
# "de este año", "del año pasado", "of last year", "last year", "de 2024"
_YEAR_TAIL = r"(?:\s+(?:del?|of)?\s*(?:el\s+)?(\d{4}|ano pasado|ano anterior|este ano|last year|previous year|this year))?"
_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})[/-](\d{1,2})(?:[/-](\d{4}|\d{2}))?(?![\d/-])")


def _year_word(word, ref):
    """A year from its digits or a relative phrase; None when there is neither."""
    if not word:
        return None
    if word.isdigit():
        return int(word)
    return ref.year - 1 if word.split()[-1] in ("pasado", "anterior", "year") and "this" not in word \
        and "este" not in word else ref.year


def _quarter(year, q):
    return date(year, 3 * q - 2, 1), _month_range(year, 3 * q)[1]


def _numeric_dates(t, ref, lang):
    """Every d/m[/y] (Spanish) or m/d[/y] (English) date in the text, in order."""
    found = []
    for m in _NUMERIC.finditer(t):
        if re.search(rf"\b(?:{_MONTH_RE})\s*$", t[max(0, m.start() - 12):m.start()]):
            continue  # "july 1-7": days of a named month
        a, b, y = int(m.group(1)), int(m.group(2)), m.group(3)
        day, month = (a, b) if lang == "es" or a > 12 else (b, a)
        year = (2000 + int(y) if len(y) == 2 else int(y)) if y else _year_for(month, ref, None)
        found.append(date(year, month, day))
    return found


def _quarter_dates(t, ref):
    current = (ref.month - 1) // 3 + 1
    if re.search(r"\b(trimestre pasado|trimestre anterior|ultimo trimestre|last quarter|previous quarter)\b", t):
        q, y = (current - 1, ref.year) if current > 1 else (4, ref.year - 1)
        return _quarter(y, q)
    if re.search(r"\b(este trimestre|trimestre actual|this quarter|current quarter)\b", t):
        return _quarter(ref.year, current)
    m = (re.search(rf"\b({_ORD_RE})\s+(?:trimestre|quarter){_YEAR_TAIL}", t)
         or re.search(rf"\bq([1-4])\b{_YEAR_TAIL}", t))
    if not m:
        return None
    q = _ORDINAL.get(m.group(1)) or int(m.group(1))
    year = _year_word(m.group(2), ref) or (ref.year if q <= current else ref.year - 1)
    return _quarter(year, q)


def resolve_dates(text, ref, lang="es"):
    """Returns {"start": date, "end": date, "single": bool, "phrase": str} or None.
    `text` is folded (lower-case, no accents); `lang` decides the order of
    numeric dates ('es': day/month, otherwise month/day)."""
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
    try:
        numeric = _numeric_dates(t, ref, lang)
    except ValueError:
        return {"invalid": "fecha inválida"}
    if len(numeric) >= 2:
        return out(numeric[0], numeric[1], "numeric range")
    if numeric:
        return out(numeric[0], numeric[0], "numeric", True)
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
    quarter = _quarter_dates(t, ref)
    if quarter:
        return out(*quarter, "quarter")
    # "diciembre del año pasado", "enero de este año", "March last year", "December of last year"
    m = re.search(rf"\b({_MONTH_RE})\s+(?:del?\s+|of\s+)?(ano pasado|ano anterior|este ano|last year|previous year"
                  rf"|this year)\b", t)
    if m:
        a, b = _month_range(_year_word(m.group(2), ref), MONTHS[m.group(1)])
        return out(a, b, "month of a relative year")
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
    m = (re.search(rf"\b(\d{{1,2}})\s+(?:de\s+)?({_MONTH_RE})\b(?:\s+(?:del?\s+)?(\d{{4}}))?", t)
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
    m = re.search(rf"\b(?:en|de|in|during|durante)\s+({_MONTH_RE})\b(?:\s+(?:del?\s+|of\s+)?(\d{{4}}))?", t) \
        or re.search(rf"\b({_MONTH_RE})\s+(\d{{4}})\b", t)
    if m and m.group(1) in MONTHS and not (m.group(1) == "may" and not m.group(0).startswith(("in", "en", "de"))):
        month = MONTHS[m.group(1)]
        a, b = _month_range(_year_for(month, ref, m.group(2)), month)
        return out(a, b, "month")
    m = re.search(r"\b(?:en|in|del|de|durante|during|ano|year)\s+(?:el\s+)?(\d{4})\b", t)
    if m and 2000 <= int(m.group(1)) <= 2100:
        return out(date(int(m.group(1)), 1, 1), date(int(m.group(1)), 12, 31), "year")
    return None



def extract_limit(text):
    m = re.search(rf"\b(?:top|los|las|the)\s+{_NUM}\s+(?:productos|products|mas|most|best|primeros)", text) \
        or re.search(rf"\btop\s*{_NUM}\b", text) or re.search(rf"\b{_NUM}\s+(?:productos|products)\b", text)
    return _num(m.group(1)) if m else None

