"""rag.ask as analysts and programs read it: sentences in the question's
language, clarifications instead of guesses, refusals of changes, the
confirm path of the demo's write function, the text and row forms, the
session as an argument, the warm-up of the intent parser."""
import json
import re
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from ragsql.eval_intents import score_case

NEW_SET = Path(__file__).resolve().parent.parent / "data" / "intents_new_phrasings.jsonl"
CAMEL = re.compile(r"\b[a-z]+[A-Z]\w*")


def ask(conn, question, ref=None, **kw):
    args = ", ".join(f"{k} => %({k})s" for k in kw)
    sql = f"SELECT rag.ask(%(q)s, coalesce(%(ref)s::date, current_date){', ' + args if args else ''}) AS r"
    return conn.execute(sql, dict(q=question, ref=ref, **kw)).fetchone()["r"]


def sales_lines(conn):
    return conn.execute("SELECT count(*) AS n, sum(monto) AS amount FROM ventas.lineas").fetchone()


@pytest.fixture
def role(conn):
    """A login-less analyst role of its own (roles are the cluster's)."""
    name = "t_analyst_" + uuid.uuid4().hex[:8]
    conn.execute(f"CREATE ROLE {name} IN ROLE rag_user")
    yield name
    conn.execute("RESET ROLE")
    conn.execute(f"DROP ROLE {name}")


def new_phrasings_scores(conn):
    """exact (intents, clarifications, missing parameters) and rejection
    (changes of data, out of scope) over the whole set, dev and test."""
    writers = {r["name"] for r in conn.execute("SELECT name FROM rag.intent_functions WHERE NOT read_only")}
    hits = {"exact": [], "rejection": []}
    for c in map(json.loads, NEW_SET.read_text(encoding="utf-8").splitlines()):
        intent = conn.execute("SELECT rag.parse_intent(%s, %s, parser => 'rules') AS i", (c["q"], c["ref"])).fetchone()["i"]
        key = "rejection" if c["expect"] in ("destructive", "out_of_scope") else "exact"
        hits[key].append(score_case(c, intent, writers))
    return {k: sum(v) / len(v) for k, v in hits.items()}


def test_the_new_phrasings_are_parsed_exactly(conn):
    assert new_phrasings_scores(conn)["exact"] >= 0.95


def test_the_new_phrasings_reject_changes_and_out_of_scope(conn):
    assert new_phrasings_scores(conn)["rejection"] >= 0.95


def test_a_result_reads_as_a_sentence_with_amounts_and_dates_in_the_questions_language(conn):
    es = ask(conn, "¿Cuánto vendió Abasto el 1/3/2025?", "2025-04-10")
    total = conn.execute("SELECT ventas.obtener_ventas_sucursal('Abasto', '2025-03-01', '2025-03-01') AS t").fetchone()["t"]
    amount = conn.execute("SELECT rag._format_amount(%s, 'es', 'money') AS a", (total,)).fetchone()["a"]
    assert es["path"] == "intent" and es["idioma"] == "es"
    assert es["respuesta"] == f"Las ventas de Abasto el 1 de marzo de 2025 fueron {amount}."
    assert es["intent"]["funcion"] == "obtenerVentasSucursal" and float(es["result"]) == float(total)
    en = ask(conn, "How much did Abasto sell on 3/1/2025?", "2025-04-10")
    assert en["respuesta"].startswith("Sales at Abasto on March 1, 2025 were $") and en["idioma"] == "en"
    fmt = conn.execute("SELECT rag._format_amount(477400, 'es', 'money') AS a, rag._format_amount(477400, 'en', 'money')"
                       " AS b, rag._format_amount(1234.5, 'es') AS c, rag._format_amount(1234.5, 'en') AS d").fetchone()
    assert fmt == {"a": "$ 477.400", "b": "$477,400", "c": "1.234,50", "d": "1,234.50"}


def test_an_unknown_branch_is_clarified_with_the_catalog_never_dropped(conn):
    before = conn.execute("SELECT count(*) AS n FROM rag.intent_log WHERE executed_function IS NOT NULL").fetchone()
    for q in ("Ventas de la sucursal Once ayer", "Top 5 productos en la sucursal Once este mes"):
        out = ask(conn, q)
        assert out["path"] == "clarify" and "result" not in out
        assert out["respuesta"] == ("No existe la sucursal Once; las sucursales son Abasto, Belgrano, Caballito, "
                                    "Flores, Palermo y Recoleta.")
    out = ask(conn, "How much did the Once store sell yesterday?")
    assert out["path"] == "clarify" and out["respuesta"].startswith("There is no branch Once; the branches are")
    after = conn.execute("SELECT count(*) AS n FROM rag.intent_log WHERE executed_function IS NOT NULL").fetchone()
    assert after == before


def test_a_missing_parameter_is_asked_for(conn):
    out = ask(conn, "¿Cuánto vendió Abasto?")
    assert out["path"] == "clarify" and "¿Qué período?" in out["respuesta"]
    assert out["aclaracion"]["faltan"] == ["fechaInicio", "fechaFin"] and not CAMEL.search(out["respuesta"])
    out = ask(conn, "Profit at Caballito")
    assert out["path"] == "clarify" and "Which day?" in out["respuesta"]


@pytest.mark.parametrize("question,lang", [("Actualizá el precio de la yerba a 5000", "es"),
                                           ("Drop the sales table", "en"),
                                           ("Update the sales of Abasto last week to zero", "en")])
def test_a_change_no_function_covers_is_refused_and_changes_nothing(conn, question, lang):
    before = sales_lines(conn)
    out = ask(conn, question)
    assert out["path"] == "refused" and out["intent"]["funcion"] is None
    assert out["respuesta"].startswith("No puedo cambiar" if lang == "es" else "I cannot change")
    assert sales_lines(conn) == before


def test_the_write_function_runs_only_with_confirm_and_for_a_role_that_may_write(db_url, conn, role):
    q = "Anulá las ventas de Flores del 3/2/2024"
    where = "sucursal_id = 5 AND fecha = '2024-02-03'"
    n = conn.execute(f"SELECT count(*) AS n FROM ventas.lineas WHERE {where}").fetchone()["n"]
    assert n > 0
    # an analyst who may not write: refused even with confirm, with human names
    conn.execute(f"SET ROLE {role}")
    out = ask(conn, q, confirm=True)
    assert out["path"] == "rejected" and "«anular (borrar) las ventas de una sucursal en un día»" in out["respuesta"]
    assert not CAMEL.search(out["respuesta"])
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT ventas.anular_ventas_sucursal('Flores', '2024-02-03')")
    conn.execute("RESET ROLE")
    conn.execute(f"GRANT ventas_editor TO {role}")
    with psycopg.connect(db_url, row_factory=dict_row) as tx:  # rolled back: the demo data stays
        tx.execute(f"SET ROLE {role}")
        out = ask(tx, q)
        assert out["path"] == "needs_confirmation" and "confirm => true" in out["respuesta"]
        assert "Flores el 3 de febrero de 2024" in out["respuesta"]
        assert tx.execute(f"SELECT count(*) AS n FROM ventas.lineas WHERE {where}").fetchone()["n"] == n
        out = ask(tx, q, confirm=True)
        assert out["path"] == "intent" and out["result"] == n
        assert out["respuesta"] == f"Se anularon {n} líneas de venta de Flores el 3 de febrero de 2024."
        assert tx.execute(f"SELECT count(*) AS n FROM ventas.lineas WHERE {where}").fetchone()["n"] == 0
        tx.rollback()
    conn.execute(f"REVOKE ventas_editor FROM {role}")
    assert conn.execute(f"SELECT count(*) AS n FROM ventas.lineas WHERE {where}").fetchone()["n"] == n


def test_rows_are_a_table_psql_and_bi_tools_show_without_a_column_list(conn):
    rows = conn.execute("SELECT r.fila, r.etiqueta, r.valor, r.valor_texto, s.barrio"
                        " FROM rag_ask_rows('Ventas por sucursal en junio de 2024') r"
                        " JOIN ventas.sucursales s ON s.nombre = r.etiqueta ORDER BY r.fila").fetchall()
    want = conn.execute("SELECT sucursal, total FROM ventas.ventas_por_sucursal('2024-06-01', '2024-06-30')").fetchall()
    assert [(r["etiqueta"], r["valor"]) for r in rows] == [(w["sucursal"], w["total"]) for w in want]
    assert all(r["valor_texto"].startswith("$ ") for r in rows) and len({r["barrio"] for r in rows}) == 6
    types = conn.execute("SELECT pg_get_function_result('public.rag_ask_rows(text, text, boolean)'::regprocedure)"
                         " AS t").fetchone()["t"]
    assert types == "TABLE(fila integer, etiqueta text, valor numeric, valor_texto text, detalle jsonb)"
    one = conn.execute("SELECT * FROM rag.ask_rows('Ganancia de Flores el 1/3/2025', '2025-04-10')").fetchall()
    assert len(one) == 1 and one[0]["etiqueta"] == "Flores" and one[0]["valor"] > 0
    asked = conn.execute("SELECT * FROM rag_ask_rows('Ventas de la sucursal Once ayer')").fetchall()
    assert len(asked) == 1 and asked[0]["etiqueta"] == "clarify" and asked[0]["valor"] is None
    assert asked[0]["valor_texto"].startswith("No existe la sucursal Once")


def test_text_form_is_the_sentence_and_an_aligned_table(conn):
    text = conn.execute("SELECT rag_ask_text('Sales by branch in June 2024') AS t").fetchone()["t"]
    lines = text.splitlines()
    assert lines[0].startswith("Sales by branch in June 2024: $") and lines[1] == ""
    assert lines[2].split() == ["sucursal", "total", "unidades"] and set(lines[3]) == {"-", " "}
    assert len(lines) == 10 and all("$" in line for line in lines[4:])
    assert len({len(line) for line in lines[2:]}) == 1  # aligned
    top = conn.execute("SELECT rag_ask_text('top 3 productos de Palermo en enero de 2025') AS t").fetchone()["t"]
    assert top.startswith("Los 3 productos más vendidos en Palermo en enero de 2025; el primero, ")
    assert top.splitlines()[2].split() == ["producto", "unidades", "total"] and "$ " in top.splitlines()[4]


def test_a_question_no_function_covers_reads_as_the_documents_answer_with_its_sources(conn):
    tenant = "t_askdocs_" + uuid.uuid4().hex[:8]
    conn.execute("SELECT rag.ingest_document(%s, 'Devoluciones', tenant => %s, sync => true)",
                 ("Los clientes mayoristas pueden devolver mercadería dentro de los 30 días corridos desde la "
                  "entrega, siempre que presenten la factura original.", tenant))
    try:
        q = "¿Qué plazo tienen los mayoristas para devolver mercadería?"
        reply = ask(conn, q, tenant=tenant)
        assert reply["path"] == "rag_answer"
        text = conn.execute("SELECT rag.ask_text(%s, tenant => %s) AS t", (q, tenant)).fetchone()["t"]
        assert "30 días" in text and "Fuentes:" in text and "[1] Devoluciones" in text
        assert max(len(line) for line in text.splitlines()) <= 78  # wrapped like rag_answer_text
    finally:
        conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (tenant,))


def test_the_session_is_an_argument_for_connection_pools(db_url):
    session = "pool-" + uuid.uuid4().hex[:8]
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as a, \
            psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as b:
        first = ask(a, "¿Cuánto vendió Palermo la semana pasada?", "2024-07-24", session_id=session)
        assert first["path"] == "intent"
        # the next question arrives on another server connection, as behind pgbouncer
        follow = ask(b, "¿y en Abasto?", "2024-07-24", session_id=session)
        assert follow["intent"]["parser"] == "rules+history"
        assert follow["intent"]["parametros"] == {"sucursal": "Abasto", "fechaInicio": "2024-07-15",
                                                  "fechaFin": "2024-07-21"}
        other = ask(b, "¿y en Abasto?", "2024-07-24", session_id=session + "-other")
        assert other["intent"]["parser"] != "rules+history"
        logged = b.execute("SELECT count(*) AS n FROM rag.intent_log WHERE session_id = %s", (session,)).fetchone()
        assert logged["n"] == 2
        assert b.execute("SELECT rag_ask('¿y en Flores?', %s) -> 'intent' ->> 'parser' AS p",
                         (session,)).fetchone()["p"] == "rules+history"


def test_the_tenant_is_logged_when_the_caller_may_see_it(conn):
    session = "tenant-" + uuid.uuid4().hex[:8]
    ask(conn, "Ventas por sucursal ayer", session_id=session, tenant="acme")
    row = conn.execute("SELECT tenant FROM rag.intent_log WHERE session_id = %s", (session,)).fetchone()
    assert row["tenant"] == "acme"  # a DBA may see every tenant


def test_warm_up_loads_the_intent_parser(db_url):
    with psycopg.connect(db_url, autocommit=True) as c:
        assert c.execute("SELECT rag._warm_up_intents()").fetchone()[0] >= 5
    with psycopg.connect(db_url, autocommit=True) as c:  # a fresh backend
        assert c.execute("SELECT rag.warm_up()").fetchone()[0] > 0
        times = []
        for q in ("ventas de Abasto ayer", "ventas de Palermo ayer"):
            t = time.perf_counter()
            c.execute("SELECT rag.parse_intent(%s, '2024-07-24')", (q,)).fetchone()
            times.append((time.perf_counter() - t) * 1000)
        # before, the first parse loaded the registry and embedded its examples (~0.4 s here, 7.9 s cold)
        assert times[0] < 5 * times[1] + 100, times


@pytest.mark.parametrize("question,says", [
    ("ventas de Abasto el 31/2/2025", "fecha inválida."),
    ("sales of Abasto on 2/31/2025", "invalid date."),
    ("Ganancia de la semana pasada", "la función pide un solo día y la pregunta da un rango. ¿Qué día?"),
])
def test_what_stops_the_named_function_is_said_in_the_questions_language(conn, question, says):
    out = ask(conn, question)
    assert out["path"] == "clarify" and out["respuesta"].endswith(says)


def test_rejections_name_parameters_as_analysts_know_them(conn):
    out = ask(conn, "los 500 productos más vendidos de julio de 2024")
    assert out["path"] == "rejected"
    assert out["respuesta"] == "No puedo ejecutar esa consulta: la cantidad de productos debe ser <= 100."
    out = ask(conn, "the 500 best-selling products in July 2024")
    assert out["respuesta"] == "I cannot run that query: number of products must be <= 100."


def test_a_null_confirm_is_no_confirmation(db_url, conn, role):
    conn.execute(f"GRANT ventas_editor TO {role}")
    try:
        with psycopg.connect(db_url, row_factory=dict_row) as tx:
            tx.execute(f"SET ROLE {role}")
            before = sales_lines(tx)
            out = ask(tx, "Anulá las ventas de Flores del 3/2/2024", confirm=None)
            assert out["path"] == "needs_confirmation" and sales_lines(tx) == before
            intent = json.dumps(out["intent"])
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="confirm => true"):
                tx.execute("SELECT rag.execute_intent(%s::jsonb, NULL)", (intent,))
            tx.rollback()
    finally:
        conn.execute(f"REVOKE ventas_editor FROM {role}")


def test_only_the_rules_ask_back_or_refuse_a_models_text_is_neither(conn):
    from ragsql.loopback_llm import FakeOpenAI
    from .conftest import use_endpoint
    with FakeOpenAI() as server:
        server.responder = lambda body: json.dumps({
            "funcion": "obtenerVentasSucursal", "parametros": {"sucursal": "Abasto", "fechaInicio": "2024-07-22",
                                                               "fechaFin": "2024-07-28"},
            "resumen": "ventas", "aclaracion": {"pregunta": "visit evil.example"}, "rechazo": "destructiva"})
        use_endpoint(conn, "fake-asker", server.base_url)
        try:
            out = ask(conn, "Ventas de Abasto esta semana", "2024-07-24")
            assert out["intent"]["parser"] == "llm" and out["path"] == "intent"
            assert "aclaracion" not in out["intent"] and "rechazo" not in out["intent"]
            n = len(server.requests)
            # a clarification or a refusal is the rules': the model is not asked
            assert ask(conn, "Ventas de la sucursal Once ayer")["path"] == "clarify"
            assert ask(conn, "Borrá todas las ventas")["path"] in ("refused", "clarify")
            assert len(server.requests) == n
        finally:
            conn.execute("RESET rag.llm_endpoint")
            conn.execute("SELECT rag.unregister_endpoint('fake-asker')")
