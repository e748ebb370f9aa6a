"""Dates and counts in questions (py_udfs.intent_dates): relative and
absolute dates in Spanish and English against a reference date, and the
"top N" limit. Pure Python, no database. The rules work on folded text
(lower-case, no accents): these tests fold each question the way
rag.parse_intent does."""
from datetime import date

import pytest

from py_udfs.intent_dates import extract_limit, resolve_dates
from py_udfs.textutil import fold

from .intent_samples import REF

INVALID = {"invalid": "fecha inválida"}


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
    pytest.param("en mayo del 2023", "2023-05-01", "2023-05-31", id="mayo del 2023"),
    pytest.param("15 de julio del 2023", "2023-07-15", "2023-07-15", id="15 de julio del 2023"),
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


# ---- extract_limit -----------------------------------------------------------------

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


# ---- numeric dates, quarters, relative years ------------------------------------------
# Spanish numeric dates are day/month, English month/day (a first number
# above 12 can only be a day); dates and quarters without a year are the
# latest not after the reference month.

APRIL = d("2025-04-10")
JANUARY = d("2026-01-15")


@pytest.mark.parametrize("question,lang,ref,start,end", [
    pytest.param("el 1/3/2025", "es", APRIL, "2025-03-01", "2025-03-01", id="es d/m/y"),
    pytest.param("el 01-03-2025", "es", APRIL, "2025-03-01", "2025-03-01", id="es dd-mm-yyyy"),
    pytest.param("el 1/3/25", "es", APRIL, "2025-03-01", "2025-03-01", id="es two-digit year"),
    pytest.param("el 5/1", "es", JANUARY, "2026-01-05", "2026-01-05", id="es without year"),
    pytest.param("entre el 1/3 y el 15/3", "es", APRIL, "2025-03-01", "2025-03-15", id="es range"),
    pytest.param("del 1/12/2025 al 31/12/2025", "es", JANUARY, "2025-12-01", "2025-12-31", id="es full range"),
    pytest.param("on 3/1/2025", "en", APRIL, "2025-03-01", "2025-03-01", id="en m/d/y"),
    pytest.param("on 1/5", "en", JANUARY, "2026-01-05", "2026-01-05", id="en without year"),
    pytest.param("on 25/3/2025", "en", APRIL, "2025-03-25", "2025-03-25", id="en day first when above 12"),
    pytest.param("between 3/1 and 3/15", "en", APRIL, "2025-03-01", "2025-03-15", id="en range"),
    pytest.param("primer trimestre de 2025", "es", APRIL, "2025-01-01", "2025-03-31", id="es first quarter"),
    pytest.param("el 4to trimestre del año pasado", "es", JANUARY, "2025-10-01", "2025-12-31", id="es quarter of last year"),
    pytest.param("en el Q1 2025", "es", APRIL, "2025-01-01", "2025-03-31", id="Q1 2025"),
    pytest.param("in Q4", "en", JANUARY, "2025-10-01", "2025-12-31", id="Q4 without year: last year's"),
    pytest.param("in Q2", "en", APRIL, "2025-04-01", "2025-06-30", id="current quarter"),
    pytest.param("the third quarter of 2024", "en", APRIL, "2024-07-01", "2024-09-30", id="en ordinal quarter"),
    pytest.param("el trimestre pasado", "es", APRIL, "2025-01-01", "2025-03-31", id="es last quarter"),
    pytest.param("last quarter", "en", JANUARY, "2025-10-01", "2025-12-31", id="en last quarter across years"),
    pytest.param("este trimestre", "es", APRIL, "2025-04-01", "2025-06-30", id="es this quarter"),
    pytest.param("diciembre del año pasado", "es", APRIL, "2024-12-01", "2024-12-31", id="es month of last year"),
    pytest.param("enero de este año", "es", APRIL, "2025-01-01", "2025-01-31", id="es month of this year"),
    pytest.param("in March last year", "en", APRIL, "2024-03-01", "2024-03-31", id="en month last year"),
    pytest.param("December of last year", "en", APRIL, "2024-12-01", "2024-12-31", id="en month of last year"),
    pytest.param("en diciembre del 2024", "es", JANUARY, "2024-12-01", "2024-12-31", id="es month del year"),
    pytest.param("ventas en 2024", "es", APRIL, "2024-01-01", "2024-12-31", id="a year"),
])
def test_numeric_dates_quarters_and_relative_years(question, lang, ref, start, end):
    got = resolve_dates(fold(question), ref, lang)
    assert (got["start"], got["end"]) == (d(start), d(end))


@pytest.mark.parametrize("question", ["el 31/2/2025", "el 1/13/2025"])
def test_impossible_numeric_dates_are_invalid(question):
    assert resolve_dates(fold(question), APRIL, "es") == INVALID
