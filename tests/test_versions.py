"""Documents over their lifetime: a changed source is a pending version that
replaces the live one atomically once embedded; deleting a source."""
import threading

import psycopg
import pytest
from psycopg.rows import dict_row

from .conftest import ingest

OLD = ("# Reembolsos\n\nLos reembolsos se aceptan dentro de los 14 días de la compra. "
       "Hay que presentar el ticket original en cualquier sucursal.")
NEW = OLD.replace("14 días", "30 días")
SOURCE = "/docs/reembolsos.md"
QUESTION = "¿Dentro de cuántos días se aceptan los reembolsos?"


def versions(conn, tenant, source=SOURCE):
    return conn.execute("SELECT id, pending, replaces FROM rag.documents WHERE tenant = %s AND source = %s"
                        " ORDER BY id", (tenant, source)).fetchall()


def found(conn, tenant, query="reembolsos días ticket"):
    """The contents rag.search returns for the tenant (hybrid, both legs)."""
    return [r["content"] for r in conn.execute("SELECT content FROM rag.search(%s, k => 10, tenant => %s)",
                                               (query, tenant))]


def drain(conn):
    conn.execute("CALL rag.drain_embedding_queue()")


def test_a_changed_source_replaces_the_old_version_once_embedded(conn, tenant):
    v1 = ingest(conn, OLD, "Reembolsos", tenant=tenant, source=SOURCE)
    assert any("14 días" in c for c in found(conn, tenant))
    v2 = ingest(conn, NEW, "Reembolsos", tenant=tenant, source=SOURCE, sync=False)
    assert v2 != v1
    # pending: stored and queued, not searchable; the old version still is
    assert versions(conn, tenant) == [{"id": v1, "pending": False, "replaces": None},
                                      {"id": v2, "pending": True, "replaces": v1}]
    assert conn.execute("SELECT bool_or(live) AS any FROM rag.chunks WHERE document_id = %s", (v2,)).fetchone()["any"] \
        is False
    hits = found(conn, tenant)
    assert any("14 días" in c for c in hits) and not any("30 días" in c for c in hits)
    assert [r["document_id"] for r in conn.execute("SELECT document_id FROM rag.pending_versions WHERE tenant = %s",
                                                   (tenant,))] == [v2]
    drain(conn)
    # promoted in one step: exactly the new version, the old chunks gone
    assert versions(conn, tenant) == [{"id": v2, "pending": False, "replaces": None}]
    assert conn.execute("SELECT count(*) AS n FROM rag.chunks WHERE document_id = %s", (v1,)).fetchone()["n"] == 0
    hits = found(conn, tenant)
    assert any("30 días" in c for c in hits) and not any("14 días" in c for c in hits)
    answer = conn.execute("SELECT rag.answer(%s, tenant => %s) AS a", (QUESTION, tenant)).fetchone()["a"]
    assert "30" in answer["answer"] and "14" not in answer["answer"]


def test_an_unchanged_reload_changes_nothing(conn, tenant):
    v1 = ingest(conn, OLD, "Reembolsos", tenant=tenant, source=SOURCE)
    before = conn.execute("SELECT (SELECT count(*) FROM rag.chunks WHERE tenant = %(t)s) AS chunks,"
                          " (SELECT max(id) FROM rag.chunks WHERE tenant = %(t)s) AS last",
                          {"t": tenant}).fetchone()
    assert ingest(conn, OLD, "Reembolsos", tenant=tenant, source=SOURCE) == v1
    assert versions(conn, tenant) == [{"id": v1, "pending": False, "replaces": None}]
    assert conn.execute("SELECT (SELECT count(*) FROM rag.chunks WHERE tenant = %(t)s) AS chunks,"
                        " (SELECT max(id) FROM rag.chunks WHERE tenant = %(t)s) AS last",
                        {"t": tenant}).fetchone() == before


def test_sync_ingest_promotes_at_once_and_an_undone_edit_drops_the_pending_version(conn, tenant):
    v1 = ingest(conn, OLD, "Reembolsos", tenant=tenant, source=SOURCE)
    v2 = ingest(conn, NEW, "Reembolsos", tenant=tenant, source=SOURCE, sync=True)
    assert versions(conn, tenant) == [{"id": v2, "pending": False, "replaces": None}]
    v3 = ingest(conn, OLD, "Reembolsos", tenant=tenant, source=SOURCE, sync=False)  # pending again
    assert ingest(conn, NEW, "Reembolsos", tenant=tenant, source=SOURCE, sync=False) == v2  # edit undone
    assert versions(conn, tenant) == [{"id": v2, "pending": False, "replaces": None}]
    assert v3 not in (v1, v2)


def test_a_failed_embedding_keeps_the_old_version_searchable(conn, tenant):
    v1 = ingest(conn, OLD, "Reembolsos", tenant=tenant, source=SOURCE)
    v2 = ingest(conn, NEW, "Reembolsos", tenant=tenant, source=SOURCE, sync=False)
    # the new version's embedding failed every retry (parked in the queue)
    conn.execute("UPDATE rag.embedding_queue q SET attempts = rag.queue_max_attempts(), last_error = 'model down'"
                 " FROM rag.chunks c WHERE c.id = q.chunk_id AND c.document_id = %s", (v2,))
    drain(conn)
    assert versions(conn, tenant) == [{"id": v1, "pending": False, "replaces": None},
                                      {"id": v2, "pending": True, "replaces": v1}]
    hits = found(conn, tenant)
    assert any("14 días" in c for c in hits) and not any("30 días" in c for c in hits)
    row = conn.execute("SELECT failed, last_error FROM rag.pending_versions WHERE document_id = %s", (v2,)).fetchone()
    assert row["failed"] >= 1 and row["last_error"] == "model down"
    # once the work is retried and succeeds, the new version goes live
    conn.execute("UPDATE rag.embedding_queue q SET attempts = 0 FROM rag.chunks c"
                 " WHERE c.id = q.chunk_id AND c.document_id = %s", (v2,))
    drain(conn)
    assert versions(conn, tenant) == [{"id": v2, "pending": False, "replaces": None}]


def test_delete_source_removes_every_version_and_checks_the_caller(conn, db_url, tenant):
    ingest(conn, OLD, "Reembolsos", tenant=tenant, source=SOURCE)
    ingest(conn, NEW, "Reembolsos", tenant=tenant, source=SOURCE, sync=False)
    ingest(conn, "Otro documento que no se borra. Habla de envíos.", "Otro", tenant=tenant, source="/docs/otro.md")
    role = f"{tenant}_reader"
    conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE rag_user')
    try:
        with psycopg.connect(db_url.replace("postgres@", f"{role}@", 1), autocommit=True) as c:
            assert c.execute("SELECT rag.delete_source(%s, %s)", (SOURCE, tenant)).fetchone()[0] == 0
        assert len(versions(conn, tenant)) == 2
    finally:
        conn.execute(f'DROP ROLE "{role}"')
    assert conn.execute("SELECT rag.delete_source(%s, %s) AS n", (SOURCE, tenant)).fetchone()["n"] == 2
    assert versions(conn, tenant) == [] and len(versions(conn, tenant, "/docs/otro.md")) == 1
    assert conn.execute("SELECT count(*) AS n FROM rag.chunks c JOIN rag.documents d ON d.id = c.document_id"
                        " WHERE d.tenant = %s AND d.source = %s", (tenant, SOURCE)).fetchone()["n"] == 0
    with pytest.raises(psycopg.Error, match="must not be NULL") as e:
        conn.execute("SELECT rag.delete_source(NULL)")
    assert e.value.sqlstate == "22023"


def test_concurrent_loads_of_one_source_leave_one_live_version(conn, db_url, tenant):
    texts = [OLD.replace("14 días", f"{n} días") for n in range(10, 18)]
    start, errors = threading.Barrier(len(texts)), []

    def load(text):
        try:
            with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
                start.wait()
                ingest(c, text, "Reembolsos", tenant=tenant, source=SOURCE, sync=False)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    drain(conn)
    rows = versions(conn, tenant)
    assert len(rows) == 1 and rows[0]["pending"] is False
    assert conn.execute("SELECT count(*) AS n FROM rag.chunks WHERE tenant = %s AND NOT live",
                        (tenant,)).fetchone()["n"] == 0


def test_text_statistics_count_live_chunks_only(conn, tenant):
    ingest(conn, OLD, "Reembolsos", tenant=tenant, source=SOURCE)
    ingest(conn, NEW, "Reembolsos", tenant=tenant, source=SOURCE, sync=False)
    conn.execute("SELECT rag.refresh_text_stats()")
    assert conn.execute("SELECT n_chunks FROM rag.text_corpus_stats WHERE tenant = %s",
                        (tenant,)).fetchone()["n_chunks"] == 1
