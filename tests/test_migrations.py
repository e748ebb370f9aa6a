"""alembic upgrade head → downgrade base → upgrade head, on a database with data."""
import psycopg
import pytest
from alembic import command

from .conftest import TEST_DB, alembic_cfg, ingest, recreate_db


def test_upgrade_downgrade_upgrade_with_data():
    url = recreate_db(TEST_DB + "_migrations")
    cfg = alembic_cfg(url)
    command.upgrade(cfg, "head")
    with psycopg.connect(url, autocommit=True) as c:
        ingest(c, "Los mayoristas devuelven dentro de 30 días. Con factura original.", "Devoluciones")
        assert c.execute("SELECT count(*) FROM rag.embeddings").fetchone()[0] == 1
        assert c.execute("SELECT method FROM rag.vector_indexes WHERE active").fetchone()[0] in ("hnsw", "diskann")
    command.downgrade(cfg, "base")
    with psycopg.connect(url, autocommit=True) as c:
        assert c.execute("SELECT to_regnamespace('rag')").fetchone()[0] is None
        assert c.execute("SELECT to_regprocedure('public.rag_answer(text)')").fetchone()[0] is None
    command.upgrade(cfg, "head")
    with psycopg.connect(url, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM rag.documents").fetchone()[0] == 0
        doc2 = ingest(c, "Los mayoristas devuelven dentro de 30 días. Con factura original.", "Devoluciones")
        assert doc2 >= 1
        top = c.execute("SELECT document_id FROM rag.search('devoluciones de mayoristas', k => 1)").fetchone()
        assert top[0] == doc2


def test_functions_pin_search_path(conn):
    unpinned = conn.execute("""
        SELECT p.oid::regprocedure::text FROM pg_proc p
         WHERE p.pronamespace = 'rag'::regnamespace AND p.prokind <> 'p'  -- a committing procedure cannot SET
           AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')""").fetchall()
    assert unpinned == []
    pub = conn.execute("SELECT proconfig FROM pg_proc WHERE oid = 'public.rag_answer(text)'::regprocedure").fetchone()[0]
    assert any(c.startswith("search_path=") for c in pub)


def test_python_path_is_not_session_settable(conn):
    # The venv path is baked into rag._py_init by the migration; no GUC, no table.
    body = conn.execute("SELECT prosrc FROM pg_proc WHERE oid = 'rag._py_init()'::regprocedure").fetchone()[0]
    assert "current_setting" not in body and "plpy.execute" not in body
    assert "site-packages" in body
    # and an ordinary role cannot replace it (plpython3u is untrusted)
    conn.execute("CREATE ROLE ragsql_test_intruder IN ROLE rag_user")
    try:
        conn.execute("SET ROLE ragsql_test_intruder")
        with pytest.raises(psycopg.Error, match="permission denied"):
            conn.execute("CREATE OR REPLACE FUNCTION rag._py_init() RETURNS void LANGUAGE plpython3u"
                         " AS $$import sys; sys.path.insert(0, '/tmp/evil')$$")
    finally:
        conn.execute("RESET ROLE")
        conn.execute("DROP ROLE ragsql_test_intruder")
