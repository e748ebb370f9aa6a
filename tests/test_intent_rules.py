"""The rules behind rag.parse_intent and rag.validate_intent (py_udfs.intents,
intent_dates, intent_validation):
dates, catalog values, limits, keywords, slot filling, validation, parsing
and reading an LLM reply. Pure Python, no database.

The module works on folded text (lower-case, no accents): these tests fold
each question the way rag.parse_intent does before calling a rule.
"""
from datetime import date

import pytest

from py_udfs.intent_dates import extract_limit, resolve_dates
from py_udfs.intent_validation import MAX_INTENT_CHARS, MAX_INTENT_DEPTH, json_depth, load_intent, validate
from py_udfs.intents import fill_slots, keyword_hits, match_catalog, parse, parse_llm_reply
from py_udfs.textutil import fold

REF = date(2024, 7, 24)  # a Wednesday; its week is Monday 22 to Sunday 28
BRANCHES = ["Abasto", "Palermo", "Belgrano", "Caballito", "Flores", "Recoleta"]
CATALOGS = {"sucursal": BRANCHES}
INVALID = {"invalid": "fecha inválida"}

# The sample registry rows (sql/schema/003_intents.sql), as parse() receives them.
BRANCH = {"type": "string", "x-catalog": {"table": "ventas.sucursales", "column": "nombre"}}
DAY = {"type": "string", "format": "date"}
BRANCH_SALES = {
    "name": "obtenerVentasSucursal", "enabled": True, "keywords": ["ventas", "vend", "factur", "sales", "sold"],
    "description_es": "Ventas totales de una sucursal", "description_en": "Total sales of one branch",
    "parameters": {"type": "object", "required": ["sucursal", "fechaInicio", "fechaFin"],
                   "properties": {"sucursal": BRANCH, "fechaInicio": DAY, "fechaFin": DAY}}}
DAY_PROFIT = {
    "name": "obtenerGananciaTotal", "enabled": True, "keywords": ["ganancia", "ganamos", "profit"],
    "description_es": "Ganancia total de un día", "description_en": "Total profit on one day",
    "parameters": {"type": "object", "required": ["fecha"], "properties": {"fecha": DAY, "sucursal": BRANCH}}}
SALES_BY_BRANCH = {
    "name": "ventasPorSucursal", "enabled": True, "keywords": ["por sucursal", "cada sucursal", "by branch"],
    "description_es": "Ventas de cada sucursal", "description_en": "Sales of every branch",
    "parameters": {"type": "object", "required": ["fechaInicio", "fechaFin"],
                   "properties": {"fechaInicio": DAY, "fechaFin": DAY}}}
TOP_PRODUCTS = {
    "name": "topProductos", "enabled": True, "keywords": ["productos", "mas vendidos", "top", "products"],
    "description_es": "Productos más vendidos", "description_en": "Best-selling products",
    "parameters": {"type": "object", "required": ["fechaInicio", "fechaFin"],
                   "properties": {"fechaInicio": DAY, "fechaFin": DAY, "sucursal": BRANCH,
                                  "limite": {"type": "integer", "minimum": 1, "maximum": 100}}}}
FUNCTIONS = [BRANCH_SALES, DAY_PROFIT, SALES_BY_BRANCH, TOP_PRODUCTS]


def d(iso):
    return date.fromisoformat(iso)


def dates(question, ref=REF):
    return resolve_dates(fold(question), ref)


def span(start, end, single, phrase):
    return {"start": d(start), "end": d(end), "single": single, "phrase": phrase}


# ---- resolve_dates -------------------------------------------------------------------

@pytest.mark.parametrize("question,start,end,single,phrase", [
    pytest.param("ventas de hoy", "2024-07-24", "2024-07-24", True, "hoy", id="hoy"),
    pytest.param("sales today", "2024-07-24", "2024-07-24", True, "today", id="today"),
    pytest.param("en el día de hoy", "2024-07-24", "2024-07-24", True, "en el dia", id="en el dia"),
    pytest.param("ayer", "2024-07-23", "2024-07-23", True, "ayer", id="ayer"),
    pytest.param("yesterday", "2024-07-23", "2024-07-23", True, "yesterday", id="yesterday"),
    pytest.param("anteayer", "2024-07-22", "2024-07-22", True, "anteayer", id="anteayer"),
    pytest.param("antes de ayer", "2024-07-22", "2024-07-22", True, "antes de ayer", id="antes de ayer"),
    pytest.param("the day before yesterday", "2024-07-22", "2024-07-22", True, "day before yesterday",
                 id="day before yesterday"),
    pytest.param("esta semana", "2024-07-22", "2024-07-28", False, "esta semana", id="esta semana"),
    pytest.param("this week", "2024-07-22", "2024-07-28", False, "this week", id="this week"),
    pytest.param("la semana pasada", "2024-07-15", "2024-07-21", False, "semana pasada", id="semana pasada"),
    pytest.param("la semana anterior", "2024-07-15", "2024-07-21", False, "semana anterior", id="semana anterior"),
    pytest.param("la última semana", "2024-07-15", "2024-07-21", False, "ultima semana", id="ultima semana"),
    pytest.param("last week", "2024-07-15", "2024-07-21", False, "last week", id="last week"),
    pytest.param("este mes", "2024-07-01", "2024-07-31", False, "este mes", id="este mes"),
    pytest.param("this month", "2024-07-01", "2024-07-31", False, "this month", id="this month"),
    pytest.param("el mes pasado", "2024-06-01", "2024-06-30", False, "mes pasado", id="mes pasado"),
    pytest.param("last month", "2024-06-01", "2024-06-30", False, "last month", id="last month"),
    pytest.param("este año", "2024-01-01", "2024-12-31", False, "este ano", id="este ano"),
    pytest.param("this year", "2024-01-01", "2024-12-31", False, "this year", id="this year"),
    pytest.param("el año pasado", "2023-01-01", "2023-12-31", False, "ano pasado", id="ano pasado"),
    pytest.param("last year", "2023-01-01", "2023-12-31", False, "last year", id="last year"),
    pytest.param("los últimos 7 días", "2024-07-18", "2024-07-24", False, "last n days", id="ultimos 7 dias"),
    pytest.param("los últimos siete días", "2024-07-18", "2024-07-24", False, "last n days", id="number word"),
    pytest.param("last 3 days", "2024-07-22", "2024-07-24", False, "last n days", id="last 3 days"),
    pytest.param("past thirty days", "2024-06-25", "2024-07-24", False, "last n days", id="past thirty days"),
])
def test_relative_dates_resolve_against_the_reference_date(question, start, end, single, phrase):
    assert dates(question) == span(start, end, single, phrase)


@pytest.mark.parametrize("question,start,end,single,phrase", [
    pytest.param("ventas del 2024-07-15", "2024-07-15", "2024-07-15", True, "iso", id="iso day"),
    pytest.param("entre 2024-07-01 y 2024-07-07", "2024-07-01", "2024-07-07", False, "iso", id="iso range"),
    pytest.param("2024-07-01, 2024-07-07, 2024-07-09", "2024-07-01", "2024-07-07", False, "iso",
                 id="iso: the first two dates"),
    pytest.param("ayer, 2024-07-01", "2024-07-01", "2024-07-01", True, "iso", id="iso wins over words"),
    pytest.param("del 1 al 7 de julio", "2024-07-01", "2024-07-07", False, "day range", id="del 1 al 7 de julio"),
    pytest.param("entre el 1 y el 7 de julio", "2024-07-01", "2024-07-07", False, "day range",
                 id="entre el 1 y el 7 de julio"),
    pytest.param("del 1 al 7 de julio de 2023", "2023-07-01", "2023-07-07", False, "day range", id="range with year"),
    pytest.param("from 1 to 7 july", "2024-07-01", "2024-07-07", False, "day range", id="from 1 to 7 july"),
    pytest.param("July 1 to 7", "2024-07-01", "2024-07-07", False, "day range", id="july 1 to 7"),
    pytest.param("July 1-7", "2024-07-01", "2024-07-07", False, "day range", id="july 1-7"),
    pytest.param("July 1 to 7, 2023", "2023-07-01", "2023-07-07", False, "day range", id="july 1 to 7, 2023"),
    pytest.param("el 15 de julio", "2024-07-15", "2024-07-15", True, "day", id="15 de julio"),
    pytest.param("15 de julio de 2023", "2023-07-15", "2023-07-15", True, "day", id="15 de julio de 2023"),
    pytest.param("on 15 July", "2024-07-15", "2024-07-15", True, "day", id="on 15 july"),
    pytest.param("July 15th", "2024-07-15", "2024-07-15", True, "day", id="july 15th"),
    pytest.param("10 jul", "2024-07-10", "2024-07-10", True, "day", id="abbreviated month"),
    pytest.param("sales in June", "2024-06-01", "2024-06-30", False, "month", id="in june"),
    pytest.param("durante marzo", "2024-03-01", "2024-03-31", False, "month", id="durante marzo"),
    pytest.param("en junio de 2023", "2023-06-01", "2023-06-30", False, "month", id="en junio de 2023"),
    pytest.param("June 2023", "2023-06-01", "2023-06-30", False, "month", id="june 2023"),
    pytest.param("in May", "2024-05-01", "2024-05-31", False, "month", id="in may"),
    pytest.param("en julio", "2024-07-01", "2024-07-31", False, "month", id="the reference month is this year"),
])
def test_absolute_dates_and_ranges(question, start, end, single, phrase):
    assert dates(question) == span(start, end, single, phrase)


@pytest.mark.parametrize("question,start,end", [
    pytest.param("el día 15 de julio", "2024-07-15", "2024-07-15", id="el dia 15 de julio"),
    pytest.param("ventas del día 15 de julio", "2024-07-15", "2024-07-15", id="del dia 15 de julio",
                 marks=pytest.mark.xfail(strict=True, reason="'del dia' is read as today before the day is seen")),
    pytest.param("del 28 de junio al 3 de julio", "2024-06-28", "2024-07-03", id="range across months",
                 marks=pytest.mark.xfail(strict=True, reason="a range naming two months resolves to its first day")),
    pytest.param("from July 1 to July 7", "2024-07-01", "2024-07-07", id="month named twice",
                 marks=pytest.mark.xfail(strict=True, reason="a range naming the month twice resolves to "
                                                             "its first day")),
    pytest.param("en mayo de 2023", "2023-05-01", "2023-05-31", id="mayo de 2023"),
    pytest.param("en mayo del 2023", "2023-05-01", "2023-05-31", id="mayo del 2023",
                 marks=pytest.mark.xfail(strict=True, reason="'del 2023' is not read as the year: May 2024 instead")),
    pytest.param("15 de julio del 2023", "2023-07-15", "2023-07-15", id="15 de julio del 2023",
                 marks=pytest.mark.xfail(strict=True, reason="'del 2023' is not read as the year: 2024 instead")),
    pytest.param("ventas durante mayo", "2024-05-01", "2024-05-31", id="durante mayo"),
    pytest.param("sales during May", "2024-05-01", "2024-05-31", id="during may",
                 marks=pytest.mark.xfail(strict=True, reason="the guard against the verb 'may' only accepts "
                                                             "in/en/de before it, not during/durante")),
])
def test_the_days_asked_for_are_the_days_resolved(question, start, end):
    got = dates(question) or {}
    assert (got.get("start"), got.get("end")) == (d(start), d(end))


@pytest.mark.parametrize("question,start,end", [
    pytest.param("en diciembre", "2023-12-01", "2023-12-31", id="month"),
    pytest.param("el 15 de agosto", "2023-08-15", "2023-08-15", id="day"),
    pytest.param("del 1 al 7 de diciembre", "2023-12-01", "2023-12-07", id="day range"),
])
def test_a_month_after_the_reference_month_means_last_year(question, start, end):
    got = dates(question)
    assert (got["start"], got["end"]) == (d(start), d(end))


@pytest.mark.parametrize("question,ref,start,end", [
    pytest.param("esta semana", "2024-07-28", "2024-07-22", "2024-07-28", id="this week on a Sunday"),
    pytest.param("esta semana", "2024-07-22", "2024-07-22", "2024-07-28", id="this week on a Monday"),
    pytest.param("semana pasada", "2024-07-22", "2024-07-15", "2024-07-21", id="last week on a Monday"),
    pytest.param("mes pasado", "2024-01-10", "2023-12-01", "2023-12-31", id="last month in January"),
    pytest.param("este mes", "2024-02-10", "2024-02-01", "2024-02-29", id="this month in a leap February"),
    pytest.param("ayer", "2024-03-01", "2024-02-29", "2024-02-29", id="yesterday across a leap day"),
    pytest.param("ultimos 7 dias", "2024-03-03", "2024-02-26", "2024-03-03", id="last 7 days across months"),
])
def test_relative_dates_at_calendar_edges(question, ref, start, end):
    got = dates(question, d(ref))
    assert (got["start"], got["end"]) == (d(start), d(end))


@pytest.mark.parametrize("question", [
    pytest.param("ventas del 2024-02-30", id="iso day"),
    pytest.param("2023-02-29 y 2023-03-01", id="iso range"),
    pytest.param("el 31 de junio", id="day"),
    pytest.param("29 de febrero de 2023", id="no leap day"),
    pytest.param("del 30 al 31 de junio", id="day range"),
])
def test_impossible_dates_are_reported_invalid(question):
    assert dates(question) == INVALID


@pytest.mark.parametrize("question", [
    pytest.param("ventas de Abasto", id="no date"),
    pytest.param("", id="empty"),
    pytest.param("top 5 productos", id="a number is not a date"),
    pytest.param("may I see the sales", id="the verb may is not May"),
    pytest.param("hace 3 días", id="unknown phrasing is not guessed"),
])
def test_questions_without_a_date_resolve_to_none(question):
    assert dates(question) is None


# ---- match_catalog --------------------------------------------------------------------

@pytest.mark.parametrize("question,value", [
    pytest.param("ventas de Abasto", "Abasto", id="exact"),
    pytest.param("VENTAS EN RECOLETA", "Recoleta", id="case folded"),
    pytest.param("abastos", "Abasto", id="plural"),
    pytest.param("palemro", "Palermo", id="swapped letters"),
    pytest.param("belgrno", "Belgrano", id="missing letter"),
    pytest.param("recolecta", "Recoleta", id="extra letter"),
    pytest.param("belgarno", "Belgrano", id="two typos"),
    pytest.param("cabayito", "Caballito", id="two typos, ll as y"),
    pytest.param("narnia", None, id="unknown"),
    pytest.param("balvanera", None, id="a neighbourhood is not a branch"),
    pytest.param("palermosoho", None, id="too far from any value"),
    pytest.param("la sucursal", None, id="no name"),
    pytest.param("flo", None, id="words under four letters are not fuzzy-matched"),
    pytest.param("", None, id="empty"),
])
def test_catalog_values_are_matched_tolerating_case_and_typos(question, value):
    assert match_catalog(fold(question), BRANCHES) == value


@pytest.mark.parametrize("question,values,value", [
    pytest.param("ventas de Núñez", ["Núñez"], "Núñez", id="accented question"),
    pytest.param("ventas de nunez", ["Núñez"], "Núñez", id="unaccented question"),
    pytest.param("ventas de san telmo", ["San Telmo"], "San Telmo", id="two words"),
    pytest.param("ventas de abasto", [], None, id="empty catalog"),
])
def test_the_catalog_spelling_is_returned(question, values, value):
    assert match_catalog(fold(question), values) == value


@pytest.mark.parametrize("question", [
    "ventas de abasto", "plaermo", "Abasto'; DROP TABLE ventas.lineas; --", "palermo y belgrano", "narnia",
    "florecita", "sucursal 5", "abastecimiento",
])
def test_catalog_match_is_never_outside_the_catalog(question):
    assert match_catalog(fold(question), BRANCHES) in BRANCHES + [None]


def test_two_named_branches_give_one_of_them():
    assert match_catalog("palermo y belgrano", BRANCHES) in {"Palermo", "Belgrano"}


# ---- extract_limit, keyword_hits ------------------------------------------------------

@pytest.mark.parametrize("question,limit", [
    pytest.param("top 5 productos", 5, id="top n"),
    pytest.param("top5", 5, id="top glued"),
    pytest.param("top diez", 10, id="top word"),
    pytest.param("los 3 productos más vendidos", 3, id="los n productos"),
    pytest.param("las tres más vendidas", 3, id="number word"),
    pytest.param("los diez primeros", 10, id="primeros"),
    pytest.param("the 10 best-selling products", 10, id="the n best"),
    pytest.param("the five most sold", 5, id="english number word"),
    pytest.param("5 productos", 5, id="n productos"),
    pytest.param("top productos", None, id="no number"),
    pytest.param("ventas de los últimos 7 días", None, id="a day count is not a limit"),
    pytest.param("top 1000", None, id="four digits are not read"),
])
def test_limit_is_read_from_top_n_phrasings(question, limit):
    assert extract_limit(fold(question)) == limit


@pytest.mark.parametrize("question,keywords,hits", [
    pytest.param("cuanto vendio palermo", ["vend"], 1, id="a word is a prefix"),
    pytest.param("topic", ["top"], 1, id="prefix of a longer word"),
    pytest.param("laptop", ["top"], 0, id="must start a word"),
    pytest.param("ventas por sucursal", ["por sucursal", "ventas"], 2, id="one hit per keyword"),
    pytest.param("ventas por sucursales", ["por sucursal"], 0, id="a phrase is whole words"),
    pytest.param("los mas vendidos", ["más vendidos"], 1, id="keyword accents folded"),
    pytest.param("ventas", ["Ventas"], 1, id="keyword case folded"),
    pytest.param("best-selling products", ["best-selling"], 1, id="hyphenated"),
    pytest.param("capital de francia", ["ventas", "vend"], 0, id="none"),
    pytest.param("ventas", [], 0, id="no keywords"),
])
def test_keyword_hits_count_keywords_found_in_the_question(question, keywords, hits):
    assert keyword_hits(question, keywords) == hits


# ---- fill_slots -----------------------------------------------------------------------

ONE_DAY = "la función pide un solo día y la pregunta da un rango"


@pytest.mark.parametrize("fn,question,params,problems", [
    pytest.param(BRANCH_SALES, "ventas de la sucursal Abasto esta semana",
                 {"sucursal": "Abasto", "fechaInicio": "2024-07-22", "fechaFin": "2024-07-28"}, [], id="all slots"),
    pytest.param(BRANCH_SALES, "ventas de palemro ayer",
                 {"sucursal": "Palermo", "fechaInicio": "2024-07-23", "fechaFin": "2024-07-23"}, [],
                 id="one day fills a range; typo in the branch"),
    pytest.param(BRANCH_SALES, "ventas de Narnia", {}, [], id="nothing to fill"),
    pytest.param(BRANCH_SALES, "ventas de Abasto del 2024-02-30", {"sucursal": "Abasto"}, ["fecha inválida"],
                 id="invalid date"),
    pytest.param(DAY_PROFIT, "ganancia de ayer en Flores", {"fecha": "2024-07-23", "sucursal": "Flores"}, [],
                 id="one day"),
    pytest.param(DAY_PROFIT, "ganancia de la semana pasada", {}, [ONE_DAY], id="range for a one-day function"),
    pytest.param(SALES_BY_BRANCH, "ventas por sucursal hoy", {"fechaInicio": "2024-07-24", "fechaFin": "2024-07-24"},
                 [], id="dates only"),
    pytest.param(TOP_PRODUCTS, "top 5 productos de Recoleta en junio",
                 {"fechaInicio": "2024-06-01", "fechaFin": "2024-06-30", "sucursal": "Recoleta", "limite": 5}, [],
                 id="limit"),
    pytest.param(TOP_PRODUCTS, "productos más vendidos este mes", {"fechaInicio": "2024-07-01",
                                                                  "fechaFin": "2024-07-31"}, [], id="no limit"),
])
def test_slots_are_filled_from_the_question(fn, question, params, problems):
    assert fill_slots(fn, fold(question), REF, CATALOGS) == (params, problems)


def test_the_end_date_is_the_parameter_named_fin_or_end_whatever_its_position():
    fn = {"parameters": {"properties": {"fechaFin": DAY, "fechaInicio": DAY}}}
    assert fill_slots(fn, "la semana pasada", REF, {}) == ({"fechaInicio": "2024-07-15", "fechaFin": "2024-07-21"}, [])
    fn = {"parameters": {"properties": {"endDate": DAY, "startDate": DAY}}}
    assert fill_slots(fn, "last week", REF, {}) == ({"startDate": "2024-07-15", "endDate": "2024-07-21"}, [])


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


# ---- parse ----------------------------------------------------------------------------

def similar(**scores):
    """A similarity(fn_name) that gives these scores and 0.3 to the others."""
    return lambda name: scores.get(name, 0.3)


OUT_OF_SCOPE_ES = "la pregunta no corresponde a ninguna función registrada"
OUT_OF_SCOPE_EN = "the question matches no registered function"
PALERMO_LAST_WEEK = {"funcion": "obtenerVentasSucursal",
                     "parametros": {"sucursal": "Palermo", "fechaInicio": "2024-07-15", "fechaFin": "2024-07-21"}}
PROFIT_YESTERDAY = {"funcion": "obtenerGananciaTotal", "parametros": {"fecha": "2024-07-23"}}


@pytest.mark.parametrize("question,sims,funcion,params", [
    pytest.param("¿Cuánto vendió Palermo la semana pasada?", {"obtenerVentasSucursal": 0.8}, "obtenerVentasSucursal",
                 PALERMO_LAST_WEEK["parametros"], id="keywords and slots"),
    pytest.param("Ventas por sucursal de ayer", {"ventasPorSucursal": 0.8, "obtenerVentasSucursal": 0.8},
                 "ventasPorSucursal", {"fechaInicio": "2024-07-23", "fechaFin": "2024-07-23"},
                 id="fillable function wins a tie"),
    pytest.param("¿Cuánto ganamos ayer en Flores?", {"obtenerGananciaTotal": 0.7}, "obtenerGananciaTotal",
                 {"fecha": "2024-07-23", "sucursal": "Flores"}, id="optional slot"),
    pytest.param("Abasto hoy", {"obtenerVentasSucursal": 0.9}, "obtenerVentasSucursal",
                 {"sucursal": "Abasto", "fechaInicio": "2024-07-24", "fechaFin": "2024-07-24"},
                 id="very close example without keywords"),
    pytest.param("Abasto hoy", {"obtenerVentasSucursal": 0.8}, None, {}, id="no keywords, not close enough"),
    pytest.param("ventas", {"obtenerVentasSucursal": 0.5}, None, {}, id="keyword but required slots missing"),
])
def test_parse_chooses_a_function_only_with_evidence(question, sims, funcion, params):
    got = parse(question, REF, FUNCTIONS, CATALOGS, similar(**sims))
    assert (got["funcion"], got["parametros"]) == (funcion, params)
    assert got["parser"] == "rules+embedding" and 0 <= got["confianza"] <= 1


def test_parse_names_the_chosen_function_and_parameters_in_the_summary():
    got = parse("ganancia de ayer en Flores", REF, FUNCTIONS, CATALOGS, similar(obtenerGananciaTotal=0.9))
    assert got["resumen"] == "Ganancia total de un día: 2024-07-23, Flores"
    got = parse("profit yesterday", REF, FUNCTIONS, CATALOGS, similar(obtenerGananciaTotal=0.9), lang="en")
    assert got["resumen"] == "Total profit on one day: 2024-07-23"


def test_parse_reports_problems_with_the_chosen_function():
    got = parse("ganancia de la semana pasada", REF, FUNCTIONS, CATALOGS, similar(obtenerGananciaTotal=0.9))
    assert got["funcion"] == "obtenerGananciaTotal" and got["parametros"] == {}
    assert got.get("problemas") == [ONE_DAY]


@pytest.mark.parametrize("question,lang,reason", [
    pytest.param("¿Cuál es la capital de Francia?", "es", OUT_OF_SCOPE_ES, id="es"),
    pytest.param("What is the capital of France?", "en", OUT_OF_SCOPE_EN, id="en"),
])
def test_out_of_scope_question_gets_null_function_and_a_reason(question, lang, reason):
    assert parse(question, REF, FUNCTIONS, CATALOGS, similar(), lang=lang) == {
        "funcion": None, "parametros": {}, "resumen": reason, "razon": reason, "confianza": 0.3,
        "parser": "rules+embedding"}


def test_no_registered_function_means_null_function():
    got = parse("ventas de Abasto hoy", REF, [], CATALOGS, similar())
    assert got["funcion"] is None and got["razon"] == OUT_OF_SCOPE_ES and got["confianza"] == 0.0


@pytest.mark.parametrize("question,history,funcion,params", [
    pytest.param("¿y en Abasto?", [PALERMO_LAST_WEEK], "obtenerVentasSucursal",
                 {"sucursal": "Abasto", "fechaInicio": "2024-07-15", "fechaFin": "2024-07-21"}, id="new branch"),
    pytest.param("¿y ayer?", [PALERMO_LAST_WEEK], "obtenerVentasSucursal",
                 {"sucursal": "Palermo", "fechaInicio": "2024-07-23", "fechaFin": "2024-07-23"}, id="new dates"),
    pytest.param("and in Flores?", [PROFIT_YESTERDAY, PALERMO_LAST_WEEK], "obtenerGananciaTotal",
                 {"fecha": "2024-07-23", "sucursal": "Flores"}, id="the newest intent is followed"),
])
def test_follow_up_question_reuses_the_last_intent(question, history, funcion, params):
    got = parse(question, REF, FUNCTIONS, CATALOGS, similar(), history=history)
    assert (got["funcion"], got["parametros"]) == (funcion, params)
    assert got["parser"] == "rules+history" and got["confianza"] == 0.8


@pytest.mark.parametrize("question,history", [
    pytest.param("¿y en Abasto?", None, id="no history"),
    pytest.param("Abasto", [PALERMO_LAST_WEEK], id="not phrased as a follow-up"),
    pytest.param("y entonces que paso con la sucursal de Abasto la semana pasada", [PALERMO_LAST_WEEK],
                 id="too long for a follow-up"),
])
def test_without_a_follow_up_the_history_is_not_used(question, history):
    assert parse(question, REF, FUNCTIONS, CATALOGS, similar(), history=history)["funcion"] is None


def test_a_follow_up_with_its_own_keywords_is_parsed_afresh():
    got = parse("¿y las ventas de Flores ayer?", REF, FUNCTIONS, CATALOGS, similar(obtenerVentasSucursal=0.7),
                history=[PROFIT_YESTERDAY])
    assert got["funcion"] == "obtenerVentasSucursal" and got["parser"] == "rules+embedding"
    assert got["parametros"] == {"sucursal": "Flores", "fechaInicio": "2024-07-23", "fechaFin": "2024-07-23"}


@pytest.mark.xfail(strict=True, reason="the follow-up path drops fill_slots problems: the previous day is kept "
                                       "silently for a question about a week")
def test_a_follow_up_the_function_cannot_take_reports_the_problem():
    got = parse("¿y la semana pasada?", REF, FUNCTIONS, CATALOGS, similar(), history=[PROFIT_YESTERDAY])
    assert got.get("problemas") == [ONE_DAY]


# ---- parse_llm_reply ------------------------------------------------------------------

@pytest.mark.parametrize("reply,intent", [
    pytest.param('{"funcion": "f", "parametros": {"a": 1}, "resumen": "r"}',
                 {"funcion": "f", "parametros": {"a": 1}, "resumen": "r"}, id="bare JSON"),
    pytest.param('Sure:\n```json\n{"funcion": "f", "parametros": {"a": 1}}\n```',
                 {"funcion": "f", "parametros": {"a": 1}, "resumen": ""}, id="JSON in prose and a code fence"),
    pytest.param('{"funcion": null}', {"funcion": None, "parametros": {}, "resumen": ""}, id="defaults filled in"),
    pytest.param('{"funcion": "f", "parametros": {"a": 1}, "extra": true}',
                 {"funcion": "f", "parametros": {"a": 1}, "resumen": "", "extra": True}, id="other keys kept"),
])
def test_llm_reply_is_read_as_an_intent(reply, intent):
    assert parse_llm_reply(reply) == intent


@pytest.mark.parametrize("reply,message", [
    pytest.param("no JSON here", "no JSON object", id="no JSON"),
    pytest.param("", "no JSON object", id="empty"),
    pytest.param(None, "no JSON object", id="none"),
    pytest.param("{not json}", "Expecting property name", id="malformed"),
    pytest.param('{"funcion": "a"} or {"funcion": "b"}', "Extra data", id="two objects"),
])
def test_llm_reply_without_one_json_object_is_an_error(reply, message):
    with pytest.raises(ValueError, match=message):
        parse_llm_reply(reply)
