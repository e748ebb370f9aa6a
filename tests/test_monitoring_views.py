"""What BI tools and DBAs read: every view column has a comment, the
per-tenant / per-model / per-function breakdowns of latency and rates, and
the TCP and JDBC URLs a tool connects with."""
import os
import shutil
import subprocess
import uuid

import psycopg
import pytest

from .conftest import ROOT, ingest, loopback_chat


def test_every_column_of_every_view_has_a_comment(conn):
    missing = conn.execute("""
        SELECT format('%I.%I', n.nspname, c.relname) AS view, a.attname AS col
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE n.nspname = 'rag' AND c.relkind IN ('v', 'm')
           AND col_description(c.oid, a.attnum) IS NULL
         ORDER BY 1, 2""").fetchall()
    assert missing == [], "COMMENT ON COLUMN for: " + ", ".join(f"{r['view']}.{r['col']}" for r in missing)
    views = conn.execute("SELECT count(*) AS n FROM pg_class c WHERE c.relnamespace = 'rag'::regnamespace"
                         " AND c.relkind = 'v' AND obj_description(c.oid, 'pg_class') IS NULL").fetchone()["n"]
    assert views == 0


@pytest.fixture
def asked(conn):
    """Answers in two tenants and across tenants (NULL), one through an LLM
    that fails (the extractive fallback answers), and intent calls with and
    without a tenant; everything removed afterwards."""
    tag = uuid.uuid4().hex[:8]
    t = [f"mon_a_{tag}", f"mon_b_{tag}"]
    for name in t:
        ingest(conn, "Los clientes mayoristas pueden devolver mercadería dentro de los 30 días corridos.",
               "Devoluciones", {}, name)
    q = "¿Cuántos días tienen los mayoristas para devolver mercadería?"
    first = conn.execute("SELECT max(id) AS id FROM rag.answer_log").fetchone()["id"] or 0
    for _ in range(3):
        conn.execute("SELECT rag.answer(%s, tenant => %s)", (q, t[0]))
    conn.execute("SELECT rag.answer('Who painted the Mona Lisa?', tenant => %s)", (t[1],))
    with loopback_chat(conn, f"mon_{tag}") as server:
        server.mode = "error"
        conn.execute("SELECT rag.answer(%s, tenant => %s)", (q, t[1]))
    conn.execute("SELECT rag.answer('Who painted the Mona Lisa?')")
    first_intent = conn.execute("SELECT coalesce(max(id), 0) AS id FROM rag.intent_log").fetchone()["id"]
    # intent_log rows as rag.ask writes them (written here by the owner, so
    # the test does not depend on how rag.ask fills the tenant)
    for question, path, fn, ms, tenant in (("q1", "intent", "ventas_por_sucursal", 12.5, t[0]),
                                           ("q2", "rejected", "ventas_por_sucursal", 7.5, None),
                                           ("q3", "rag_answer", None, 30, None)):
        conn.execute("INSERT INTO rag.intent_log (question, path, executed_function, intent, duration_ms, tenant)"
                     " VALUES (%s, %s, CASE WHEN %s = 'intent' THEN %s END,"
                     " jsonb_strip_nulls(jsonb_build_object('funcion', %s::text)), %s, %s)",
                     (question, path, path, fn, fn, ms, tenant))
    yield {"tenants": t, "model": f"mon_{tag}"}
    conn.execute("DELETE FROM rag.answer_log WHERE id > %s", (first,))
    conn.execute("DELETE FROM rag.intent_log WHERE id > %s", (first_intent,))
    for name in t:
        conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (name,))


def test_answer_stats_break_latency_and_rates_down_by_tenant_and_model(conn, asked):
    a, b = asked["tenants"]
    rows = conn.execute("SELECT * FROM rag.answer_stats WHERE day = date_trunc('day', now())"
                        " AND (tenant IN (%s, %s) OR tenant IS NULL) ORDER BY tenant, model", (a, b)).fetchall()
    by = {(r["tenant"], r["model"]): r for r in rows}
    ra = by[(a, "extractive")]
    assert (ra["answers"], ra["answered"], ra["refused"], ra["errors"], ra["answered_rate"]) == (3, 3, 0, 0, 1.0)
    assert 0 < ra["p50_ms"] <= ra["p95_ms"] <= ra["p99_ms"]
    rb = by[(b, "extractive")]  # one refusal, one LLM failure answered by the fallback
    assert (rb["answers"], rb["refused"], rb["errors"], rb["fallbacks"]) == (2, 1, 1, 1)
    assert rb["refused_rate"] == rb["error_rate"] == rb["fallback_rate"] == 0.5
    assert by[(None, "extractive")]["answers"] >= 1  # asked across tenants: a group of its own


def test_intent_stats_per_function_with_a_null_tenant_as_a_value(conn, asked):
    a = asked["tenants"][0]
    rows = conn.execute("SELECT * FROM rag.intent_stats WHERE day = date_trunc('day', now())").fetchall()
    by = {(r["tenant"], r["function"]): r for r in rows}
    assert by[(a, "ventas_por_sucursal")]["executed"] == 1 and by[(a, "ventas_por_sucursal")]["p99_ms"] == 12.5
    rejected = by[(None, "ventas_por_sucursal")]
    assert rejected["rejected"] >= 1 and rejected["rejected_rate"] > 0
    assert by[(None, None)]["document_answers"] >= 1


def test_an_analyst_sees_only_their_own_calls_in_the_breakdowns(conn, db_url, asked):
    role = "mon_analyst_" + uuid.uuid4().hex[:8]
    conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE rag_user')
    try:
        with psycopg.connect(db_url.replace("postgres@", f"{role}@", 1), autocommit=True) as c:
            assert c.execute("SELECT count(*) FROM rag.answer_stats").fetchone()[0] == 0
            assert c.execute("SELECT count(*) FROM rag.intent_stats").fetchone()[0] == 0
            assert c.execute("SELECT count(*) FROM rag.feedback_daily").fetchone()[0] == 0
    finally:
        conn.execute(f'DROP ROLE "{role}"')


def url_form(form, url):
    return subprocess.run(["bash", str(ROOT / "scripts" / "db.sh"), form, url], check=True, capture_output=True,
                          text=True).stdout.strip()


def test_the_tcp_url_connects_and_the_jdbc_url_names_the_same_database(db_url):
    tcp = url_form("url-tcp", db_url)
    assert tcp.startswith("postgresql://") and "host=/" not in tcp
    with psycopg.connect(tcp) as c:
        addr, db = c.execute("SELECT host(inet_server_addr()), current_database()").fetchone()
    assert addr is not None  # over TCP: a Unix socket has no server address
    assert tcp.endswith("/" + db)
    jdbc = url_form("url-jdbc", db_url)
    host_port = tcp.split("@", 1)[-1].rsplit("/", 1)[0]
    assert jdbc.startswith(f"jdbc:postgresql://{host_port}/{db}")
    assert "password" not in jdbc and "password" not in tcp
    assert url_form("url-jdbc", "postgresql://bob@db.example:6543/prod") == \
        "jdbc:postgresql://db.example:6543/prod?user=bob"


def test_the_monitor_gets_the_breakdowns_across_tenants_through_its_functions(conn, db_url, asked):
    a, b = asked["tenants"]
    role = "mon_monitor_" + uuid.uuid4().hex[:8]
    conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE rag_monitor')
    try:
        with psycopg.connect(db_url.replace("postgres@", f"{role}@", 1), autocommit=True) as c:
            rows = c.execute("SELECT tenant, answers FROM rag.monitor_answer_stats(1)"
                             " WHERE tenant IN (%s, %s) ORDER BY tenant", (a, b)).fetchall()
            assert rows == [(a, 3), (b, 2)]
            assert c.execute("SELECT sum(calls) FROM rag.monitor_intent_stats()").fetchone()[0] >= 3
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("SELECT * FROM rag.answer_stats")
    finally:
        conn.execute(f'DROP ROLE "{role}"')


JDBC_JAR = "/usr/share/java/postgresql.jar"  # Debian's libpostgresql-jdbc-java
JDBC_CHECK = """
import java.sql.*;
public class JdbcCheck {
    public static void main(String[] a) throws Exception {
        try (Connection c = DriverManager.getConnection(a[0]);
             ResultSet r = c.createStatement().executeQuery(
                 "SELECT current_database(), col_description('rag.answer_stats'::regclass, 1)")) {
            r.next();
            System.out.println(r.getString(1) + "|" + r.getString(2));
        }
    }
}
"""


@pytest.mark.skipif(not (shutil.which("java") and os.path.exists(JDBC_JAR)),
                    reason="needs java and the PostgreSQL JDBC driver (apt install libpostgresql-jdbc-java)")
def test_a_jdbc_client_logs_in_with_the_jdbc_url(db_url, tmp_path):
    src = tmp_path / "JdbcCheck.java"
    src.write_text(JDBC_CHECK)
    out = subprocess.run(["java", "-cp", JDBC_JAR, str(src), url_form("url-jdbc", db_url)], check=True,
                         capture_output=True, text=True, timeout=120).stdout.strip()
    db = db_url.split("?", 1)[0].rsplit("/", 1)[1]
    assert out == f"{db}|Day (start, server time zone)"
