"""rag.ingest_document: de-duplication, chunking, queueing, bad input."""
import json

import psycopg
import pytest

from .conftest import counts, ingest

DOC = ("La garantía cubre defectos de fabricación durante doce meses. "
       "No cubre daños por mal uso.\n\nLos reclamos se hacen en el portal de clientes.")


def test_ingest_chunks_and_queues_without_embedding(conn, tenant):
    doc = ingest(conn, DOC, "Garantía", {"area": "soporte"}, tenant, sync=False)
    chunks = conn.execute("SELECT count(*) AS n, min(ts_config::text) AS ts_config FROM rag.chunks"
                          " WHERE document_id = %s", (doc,)).fetchone()
    assert chunks == {"n": 1, "ts_config": "rag.spanish"}
    queued = conn.execute("SELECT count(*) AS n FROM rag.embedding_queue q JOIN rag.chunks c ON c.id = q.chunk_id"
                          " WHERE c.document_id = %s", (doc,)).fetchone()["n"]
    embedded = conn.execute("SELECT count(*) AS n FROM rag.embeddings e JOIN rag.chunks c ON c.id = e.chunk_id"
                            " WHERE c.document_id = %s", (doc,)).fetchone()["n"]
    assert (queued, embedded) == (1, 0)


def test_sync_ingest_embeds_immediately(conn, tenant):
    doc = ingest(conn, DOC, "Garantía", tenant=tenant, sync=True)
    embedded = conn.execute("SELECT count(*) AS n FROM rag.embeddings e JOIN rag.chunks c ON c.id = e.chunk_id"
                            " WHERE c.document_id = %s", (doc,)).fetchone()["n"]
    assert embedded == 1


def test_deduplicates_by_content_per_tenant(conn, tenant):
    a = ingest(conn, DOC, "Garantía", tenant=tenant)
    b = ingest(conn, DOC, "Otro título", tenant=tenant)
    assert a == b
    assert conn.execute("SELECT count(*) AS n FROM rag.documents WHERE tenant = %s", (tenant,)).fetchone()["n"] == 1
    other = ingest(conn, DOC, "Garantía", tenant=tenant + "_b")
    try:
        assert other != a  # another tenant gets its own copy
    finally:
        conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (tenant + "_b",))


def test_language_detected_and_metadata_copied(conn, tenant):
    doc = ingest(conn, "The warranty covers defects for twelve months. It does not cover misuse.",
                 "Warranty", {"lang_hint": "x", "year": 2024}, tenant)
    row = conn.execute("SELECT d.language, c.metadata FROM rag.documents d JOIN rag.chunks c ON c.document_id = d.id"
                       " WHERE d.id = %s", (doc,)).fetchone()
    assert row["language"] == "en" and row["metadata"] == {"lang_hint": "x", "year": 2024}


def test_long_document_makes_several_chunks_in_order(conn, tenant):
    text = " ".join(f"Frase número {i} del documento largo sobre logística." for i in range(200))
    doc = ingest(conn, text, "Largo", tenant=tenant, sync=False)
    rows = conn.execute("SELECT position, length(content) AS chars FROM rag.chunks WHERE document_id = %s"
                        " ORDER BY position", (doc,)).fetchall()
    assert len(rows) > 5
    assert [r["position"] for r in rows] == list(range(len(rows)))
    assert max(r["chars"] for r in rows) <= 1000


@pytest.mark.parametrize("content,metadata,error", [
    ("", {}, "must not be empty"),
    ("   \n ", {}, "must not be empty"),
    (None, {}, "must not be empty"),
    ("Texto válido. Otra frase.", [1, 2], "metadata must be a JSON object"),
    ("Texto válido. Otra frase.", "texto", "metadata must be a JSON object"),
    ("\u00a0\u2003\u00a0", {}, "no text to index"),
    ("\x01\x02\x1f\u200b", {}, "no text to index"),
    ("Texto válido. Otra frase.", {"blob": "x" * 70_000}, "metadata is 700.. bytes; the limit is 65536 bytes"),
])
def test_bad_input_is_rejected_and_changes_nothing(conn, tenant, content, metadata, error):
    before = counts(conn)
    with pytest.raises(psycopg.Error, match=error):
        conn.execute("SELECT rag.ingest_document(%s, metadata => %s::jsonb, tenant => %s)",
                     (content, json.dumps(metadata), tenant))
    assert counts(conn) == before


def test_malformed_metadata_json_is_rejected(conn, tenant):
    before = counts(conn)
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        conn.execute("SELECT rag.ingest_document('Hola. Chau.', metadata => '{\"a\": 1,'::jsonb, tenant => %s)",
                     (tenant,))
    assert counts(conn) == before


def test_huge_document_is_rejected_and_changes_nothing(conn, tenant):
    before = counts(conn)
    huge = "Una frase de relleno para el documento enorme. " * 250_000  # ~12 MB > 10 MB default
    with pytest.raises(psycopg.Error, match="the limit is 10485760 bytes"):
        ingest(conn, huge, "Enorme", tenant=tenant, sync=False)
    assert counts(conn) == before


def test_document_size_limit_is_configurable(conn, tenant):
    conn.execute("SET rag.max_document_bytes = 100")
    try:
        with pytest.raises(psycopg.Error, match="limit is 100 bytes"):
            ingest(conn, "x" * 101, tenant=tenant, sync=False)
    finally:
        conn.execute("RESET rag.max_document_bytes")


def test_null_chunk_size_is_rejected_and_changes_nothing(conn, tenant):
    before = counts(conn)
    for arg in ("chunk_size", "chunk_overlap"):
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="must not be NULL"):
            conn.execute(f"SELECT rag.ingest_document('Hola. Chau.', tenant => %s, {arg} => NULL)", (tenant,))
    assert counts(conn) == before


def test_unknown_language_and_empty_tenant_are_rejected(conn):
    with pytest.raises(psycopg.Error, match="language must be es, en or simple"):
        conn.execute("SELECT rag.ingest_document('Hola.', language => 'fr')")
    with pytest.raises(psycopg.Error, match="tenant must not be empty"):
        conn.execute("SELECT rag.ingest_document('Hola.', tenant => '')")


def test_deleting_a_document_removes_its_chunks(conn, tenant):
    doc = ingest(conn, DOC, "Garantía", tenant=tenant)
    assert conn.execute("SELECT rag.delete_document(%s) AS deleted", (doc,)).fetchone()["deleted"] is True
    assert conn.execute("SELECT count(*) AS n FROM rag.chunks WHERE document_id = %s", (doc,)).fetchone()["n"] == 0
