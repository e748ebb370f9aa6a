"""What analysts read back (py_udfs.intent_replies) and the parser's
decisions to ask instead of guessing or to refuse a change of data
(py_udfs.intents.parse). Pure Python, no database."""
from datetime import date

import pytest

from py_udfs import intent_replies as replies
from py_udfs.intents import DESTRUCTIVE, parse, unknown_catalog_value
from py_udfs.textutil import fold

from .intent_samples import BRANCH, BRANCHES, CATALOGS, FUNCTIONS, VOID_SALES

APRIL = date(2025, 4, 10)


def ask(question, functions=FUNCTIONS, lang=None):
    lang = lang or replies.question_language(question)
    return parse(question, APRIL, functions, CATALOGS, lambda name: 0.5, lang=lang)


@pytest.mark.parametrize("start,end,es,en", [
    ("2025-03-01", "2025-03-01", "el 1 de marzo de 2025", "on March 1, 2025"),
    ("2025-03-01", "2025-03-15", "del 1 al 15 de marzo de 2025", "from March 1 to 15, 2025"),
    ("2025-03-01", "2025-03-31", "en marzo de 2025", "in March 2025"),
    ("2025-01-01", "2025-03-31", "en el primer trimestre de 2025", "in Q1 2025"),
    ("2024-10-01", "2024-12-31", "en el cuarto trimestre de 2024", "in Q4 2024"),
    ("2024-01-01", "2024-12-31", "en 2024", "in 2024"),
    ("2025-02-20", "2025-03-05", "del 20 de febrero al 5 de marzo de 2025", "from February 20 to March 5, 2025"),
    ("2024-12-20", "2025-01-05", "del 20 de diciembre de 2024 al 5 de enero de 2025",
     "from December 20, 2024 to January 5, 2025"),
])
def test_periods_are_written_out_in_each_language(start, end, es, en):
    a, b = date.fromisoformat(start), date.fromisoformat(end)
    assert replies.format_period(a, b, "es") == es
    assert replies.format_period(a, b, "en") == en


@pytest.mark.parametrize("question,lang", [
    ("Top 5 productos", "es"), ("Ventas por sucursal", "es"), ("ganancia de palermo el 1-3-2025", "es"),
    ("Sales by branch", "en"), ("Profit at Caballito", "en"), ("Palermo sales between 3/1 and 3/15", "en"),
])
def test_short_questions_get_their_language(question, lang):
    assert replies.question_language(question) == lang


@pytest.mark.parametrize("question,value", [
    ("Ventas de la sucursal Once ayer", "Once"),
    ("ventas de la sucursal once ayer", "once"),
    ("Sales of the Once branch last week", "Once"),
    ("Productos más vendidos en Almagro el mes pasado", "Almagro"),
    ("Ventas de Villa Urquiza en marzo", "Villa Urquiza"),
    ("Ventas de Abasto en marzo", None),
    ("Ventas de Palerrmo en marzo", None),
    ("¿Qué sucursal vendió más en Marzo?", None),
    ("VENTAS DE CABALITO ESTA SEMANA", None),
])
def test_unknown_catalog_values_are_found_known_ones_and_other_words_are_not(question, value):
    assert unknown_catalog_value(question, BRANCH, BRANCHES) == value


def test_an_unknown_branch_is_asked_about_never_dropped():
    for q in ("Ventas de la sucursal Once ayer", "Top 5 productos en la sucursal Devoto este mes"):
        out = ask(q)
        assert out["aclaracion"]["tipo"] == "valor_desconocido"
        assert out["aclaracion"]["validos"] == sorted(BRANCHES)
        assert out["resumen"].startswith("No existe la sucursal")
        assert "Abasto, Belgrano, Caballito, Flores, Palermo y Recoleta" in out["resumen"]
        assert out["parametros"]["sucursal"] not in BRANCHES  # kept: validation refuses it
    en = ask("Sales of the Once branch last week")
    assert en["resumen"] == ("There is no branch Once; the branches are Abasto, Belgrano, Caballito, Flores, "
                             "Palermo and Recoleta.")


def test_a_missing_parameter_is_asked_for_in_the_questions_language():
    es = ask("¿Cuánto vendió Abasto?")
    assert es["funcion"] == "obtenerVentasSucursal" and es["aclaracion"]["faltan"] == ["fechaInicio", "fechaFin"]
    assert "¿Qué período?" in es["resumen"]
    en = ask("Profit at Caballito")
    assert en["aclaracion"]["faltan"] == ["fecha"] and "Which day?" in en["resumen"]
    branch = ask("¿Cuánto vendió la sucursal en marzo?")
    assert branch["aclaracion"]["faltan"] == ["sucursal"] and "Las sucursales son" in branch["resumen"]


@pytest.mark.parametrize("question", [
    "Borrá las ventas de Abasto", "Actualizá el precio de la yerba a 5000", "Delete the sales of Flores",
    "DROP TABLE ventas.lineas", "Update the sales of Abasto last week to zero", "Add a new branch called Once",
])
def test_requests_to_change_data_are_never_a_read(question):
    assert DESTRUCTIVE.search(fold(question))
    out = ask(question)
    assert out["funcion"] is None and out["rechazo"] == "destructiva"
    assert ("No puedo cambiar" in out["razon"]) == (replies.question_language(question) == "es")


@pytest.mark.parametrize("question", [
    "¿Cuántas ventas anuladas hubo ayer?", "How did sales change last month?", "ventas por sucursal ayer",
    "Top productos de la semana pasada", "What were the best-selling products in July?",
])
def test_read_questions_are_not_taken_for_changes(question):
    assert not DESTRUCTIVE.search(fold(question))


def test_a_change_matches_only_a_function_that_changes_data():
    out = ask("Anulá las ventas de Belgrano del 1/3/2025", FUNCTIONS + [VOID_SALES])
    assert out["funcion"] == "anularVentasSucursal"
    assert out["parametros"] == {"sucursal": "Belgrano", "fecha": "2025-03-01"}
    asked = ask("Borrá las ventas de Abasto", FUNCTIONS + [VOID_SALES])
    assert asked["funcion"] == "anularVentasSucursal" and asked["aclaracion"]["faltan"] == ["fecha"]
    # a read question never reaches it
    assert ask("Ventas de Abasto el 1/3/2025", FUNCTIONS + [VOID_SALES])["funcion"] == "obtenerVentasSucursal"


def test_reply_templates_write_dates_and_drop_parts_without_values():
    fn = dict(FUNCTIONS[1], parameters=dict(FUNCTIONS[1]["parameters"], **{"x-reply": {
        "es": "La ganancia[ de {sucursal}] {periodo} fue {resultado}.", "result": "money"}}))
    text, fmt = replies.reply(fn, {"fecha": "2025-03-01"}, "es")
    assert text == "La ganancia el 1 de marzo de 2025 fue {resultado}." and fmt["result"] == "money"
    text, _ = replies.reply(fn, {"fecha": "2025-03-01", "sucursal": "Flores"}, "es")
    assert text == "La ganancia de Flores el 1 de marzo de 2025 fue {resultado}."


def test_errors_name_functions_and_parameters_as_analysts_know_them():
    errs = replies.humanize_errors(["el rol actual no puede llamar a 'anularVentasSucursal'",
                                    "falta el parámetro obligatorio 'sucursal'"], VOID_SALES, "es")
    assert errs == ["el rol actual no puede llamar a «anular las ventas de una sucursal en un día»",
                    "falta el parámetro obligatorio la sucursal"]


@pytest.mark.parametrize("question,change", [
    ("Quitá las ventas de Palermo de enero", True), ("Corregí las ventas de Belgrano", True),
    ("¡Cargá una venta en Abasto!", True), ("Mostrá las ventas de Palermo", False), ("Calculá el total de marzo", False),
    ("Mostrame las ventas de Palermo", False), ("¿Qué vendió Palermo?", False), ("Está abierta Flores?", False),
    ("Según las ventas de marzo, ¿quién ganó más?", False), ("Más ventas de Palermo", False),
])
def test_an_opening_imperative_that_is_not_a_read_asks_to_change(question, change):
    from py_udfs.intent_clarify import asks_to_change
    assert asks_to_change(question, fold(question)) is change
