"""Vectorizers: a table's rows kept searchable through triggers and the
queue; the table itself never touched by the vectorizer."""
import uuid

import psycopg
import pytest
from psycopg.rows import dict_row


@pytest.fixture
def products(conn):
    """public.<name>: products of two companies; dropped (with its
    vectorizer and documents) afterwards."""
    name = "products_" + uuid.uuid4().hex[:8]
    t = {"a": f"acme_{name}", "b": f"globex_{name}"}
    conn.execute(f"CREATE TABLE public.{name} (id int PRIMARY KEY, company_id text, name text, description text,"
                 " price numeric)")
    conn.execute(f"INSERT INTO public.{name} VALUES"
                 " (1, %s, 'Pava eléctrica', 'Pava de acero inoxidable que hierve el agua en dos minutos.', 30),"
                 " (2, %s, 'Tostadora roja', 'Tostadora de cuatro ranuras con función de descongelado.', 45)",
                 (t["a"], t["b"]))
    yield {"table": f"public.{name}", "tenants": t}
    conn.execute("SELECT rag.drop_vectorizer(x.source_table) FROM rag.vectorizers x"
                 " WHERE x.source_table = to_regclass(%s)", (f"public.{name}",))
    conn.execute(f"DROP TABLE IF EXISTS public.{name}")
    conn.execute("DELETE FROM rag.documents WHERE tenant = ANY (%s)", (list(t.values()),))


def create(conn, table):
    return conn.execute("SELECT rag.create_vectorizer(%s, text => 'name || '': '' || description',"
                        " tenant => 'company_id', metadata => 'jsonb_build_object(''price'', price)',"
                        " title => 'name') AS id", (table,)).fetchone()["id"]


def search(conn, query, tenant, table):
    return conn.execute("SELECT title, content, metadata FROM rag.search(%s, k => 5, tenant => %s,"
                        " filter => jsonb_build_object('vectorizer', %s::text))", (query, tenant, table)).fetchall()


def drain(conn):
    conn.execute("CALL rag.drain_embedding_queue()")


def snapshot(conn, table):
    return conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


def test_rows_are_searchable_and_changes_propagate(conn, products):
    table, t = products["table"], products["tenants"]
    create(conn, table)
    drain(conn)
    hits = search(conn, "pava agua", t["a"], table)
    assert hits and hits[0]["title"] == "Pava eléctrica"
    assert hits[0]["metadata"]["key"] == {"id": 1} and hits[0]["metadata"]["price"] == 30
    assert search(conn, "pava agua", t["b"], table)[0]["title"] == "Tostadora roja"  # tenant column honoured
    assert all(h["metadata"]["key"] == {"id": 2} for h in search(conn, "pava agua", t["b"], table))

    conn.execute(f"INSERT INTO {table} VALUES (3, %s, 'Licuadora', 'Licuadora de vaso de vidrio y cinco velocidades.', 60)",
                 (t["a"],))
    conn.execute(f"UPDATE {table} SET description = 'Pava de acero que hierve el agua en noventa segundos.' WHERE id = 1")
    drain(conn)
    hits = search(conn, "licuadora vaso vidrio", t["a"], table)
    assert hits[0]["metadata"]["key"] == {"id": 3}
    pava = [h for h in search(conn, "pava agua", t["a"], table) if h["metadata"]["key"] == {"id": 1}]
    assert len(pava) == 1 and "noventa segundos" in pava[0]["content"]  # the old version is gone

    n = conn.execute("SELECT count(*) AS n FROM rag.documents WHERE tenant = %s", (t["a"],)).fetchone()["n"]
    conn.execute(f"UPDATE {table} SET price = 31 WHERE id = 1")  # no new text: no new version, metadata updated
    assert conn.execute("SELECT count(*) AS n FROM rag.documents WHERE tenant = %s", (t["a"],)).fetchone()["n"] == n
    assert [h["metadata"]["price"] for h in search(conn, "pava agua", t["a"], table)
            if h["metadata"]["key"] == {"id": 1}] == [31]

    conn.execute(f"UPDATE {table} SET id = 10 WHERE id = 1")  # the key changed
    conn.execute(f"DELETE FROM {table} WHERE id = 3")
    conn.execute(f"UPDATE {table} SET description = NULL, name = NULL WHERE id = 2")  # no text: no document
    drain(conn)
    assert {tuple(h["metadata"]["key"].values()) for h in search(conn, "pava licuadora agua", t["a"], table)} == {(10,)}
    assert search(conn, "tostadora", t["b"], table) == []
    conn.execute(f"TRUNCATE {table}")
    assert conn.execute("SELECT count(*) AS n FROM rag.documents WHERE tenant = ANY (%s)",
                        (list(t.values()),)).fetchone()["n"] == 0


def test_drop_leaves_the_table_identical(conn, products):
    table, t = products["table"], products["tenants"]
    before = snapshot(conn, table)
    create(conn, table)
    drain(conn)
    assert conn.execute("SELECT rag.drop_vectorizer(%s) AS n", (table,)).fetchone()["n"] == 2
    assert snapshot(conn, table) == before
    assert conn.execute("SELECT count(*) AS n FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                        (table,)).fetchone()["n"] == 0
    assert conn.execute("SELECT count(*) AS n FROM rag.documents WHERE tenant = ANY (%s)",
                        (list(t.values()),)).fetchone()["n"] == 0
    conn.execute(f"INSERT INTO {table} VALUES (5, %s, 'Plancha', 'Plancha a vapor.', 20)", (t["a"],))  # no trigger
    assert conn.execute("SELECT count(*) AS n FROM rag.documents WHERE tenant = %s", (t["a"],)).fetchone()["n"] == 0


def test_a_non_owner_cannot_create_and_a_bad_expression_errors_cleanly(conn, db_url, products):
    table = products["table"]
    role = "vec_" + uuid.uuid4().hex[:8]
    conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE rag_user')
    conn.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{role}"')
    try:
        with psycopg.connect(db_url.replace("postgres@", f"{role}@", 1), autocommit=True) as c:
            with pytest.raises(psycopg.Error) as e:
                c.execute("SELECT rag.create_vectorizer(%s, text => 'name')", (table,))
            assert e.value.sqlstate == "42501" and "does not own" in str(e.value) and e.value.diag.message_hint
            with pytest.raises(psycopg.Error) as e:  # the registry writer called directly
                c.execute("SELECT rag._register_vectorizer(%s, '{id}', 'name', NULL, NULL, 'default', NULL, 1000, 200)",
                          (table,))
            assert e.value.sqlstate == "42501"
    finally:
        conn.execute(f'REVOKE ALL ON {table} FROM "{role}"')
        conn.execute(f'DROP ROLE "{role}"')
    for kwargs, state in ((" text => 'nombre || descripcion'", "22023"), (" text => 'name', metadata => 'name'", "22023"),
                          (" text => 'name', tenant => 'nope'", "42703"), (" text => '  '", "22023")):
        with pytest.raises(psycopg.Error) as e:
            conn.execute(f"SELECT rag.create_vectorizer(%s,{kwargs})", (table,))
        assert e.value.sqlstate == state, (kwargs, e.value)
        assert "Traceback" not in str(e.value)
    assert conn.execute("SELECT count(*) AS n FROM rag.vectorizers WHERE source_table = %s::regclass",
                        (table,)).fetchone()["n"] == 0
    conn.execute("CREATE TEMP TABLE no_key (a text)")
    with pytest.raises(psycopg.Error, match="has no primary key") as e:
        conn.execute("SELECT rag.create_vectorizer('no_key', text => 'a')")
    assert e.value.sqlstate == "22023"


def test_writers_of_the_table_cannot_reach_another_tenant(conn, db_url, products):
    """A writer of the table writes documents only through its rows, with
    the vectorizer owner's tenant rights; rag._vectorizer_write called
    directly needs the same privilege on the table."""
    table, t = products["table"], products["tenants"]
    vid = create(conn, table)
    role = "vec_" + uuid.uuid4().hex[:8]
    conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE rag_user')
    conn.execute(f'GRANT SELECT, INSERT ON {table} TO "{role}"')
    try:
        with psycopg.connect(db_url.replace("postgres@", f"{role}@", 1), autocommit=True, row_factory=dict_row) as c:
            c.execute(f"INSERT INTO {table} VALUES (7, %s, 'Horno', 'Horno eléctrico de 40 litros.', 90)", (t["a"],))
            # it sees nothing of either tenant (no tenant granted to it)
            assert c.execute("SELECT count(*) AS n FROM rag.documents").fetchone()["n"] == 0
            with pytest.raises(psycopg.Error) as e:  # no DELETE privilege on the table
                c.execute("SELECT rag._vectorizer_write(%s, 'delete', '{\"id\": 2}', NULL, NULL, %s, NULL)",
                          (vid, t["b"]))
            assert e.value.sqlstate == "42501"
            with pytest.raises(psycopg.Error) as e:
                c.execute(f"DELETE FROM {table} WHERE id = 2")
            assert e.value.sqlstate == "42501"
            with pytest.raises(psycopg.Error) as e:  # an "insert" over row 7's document is an update
                c.execute("SELECT rag._vectorizer_write(%s, 'insert', '{\"id\": 7}', 'Texto falso.', NULL, %s, NULL)",
                          (vid, t["a"]))
            assert e.value.sqlstate == "42501"
    finally:
        conn.execute(f'REVOKE ALL ON {table} FROM "{role}"')
        conn.execute(f'DROP ROLE "{role}"')
    assert conn.execute("SELECT count(*) AS n FROM rag.documents WHERE tenant = %s AND metadata @> '{\"key\": {\"id\": 7}}'"
                        " AND content NOT LIKE '%%falso%%'", (t["a"],)).fetchone()["n"] == 1
    assert conn.execute("SELECT count(*) AS n FROM rag.documents WHERE tenant = %s", (t["b"],)).fetchone()["n"] == 1


def test_a_dropped_table_leaves_its_documents_until_the_vectorizer_is_dropped(conn, products):
    table, t = products["table"], products["tenants"]
    create(conn, table)
    oid = conn.execute("SELECT %s::regclass::oid AS oid", (table,)).fetchone()["oid"]
    conn.execute(f"DROP TABLE {table}")
    assert conn.execute("SELECT count(*) AS n FROM rag.documents WHERE tenant = ANY (%s)",
                        (list(t.values()),)).fetchone()["n"] == 2
    assert conn.execute("SELECT rag.drop_vectorizer(%s::oid::regclass) AS n", (oid,)).fetchone()["n"] == 2
