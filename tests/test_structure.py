"""Structure-aware chunks (section path, page), sentence vectors computed at
ingest, and sources cited by file, section and page."""
import numpy as np

from py_udfs import sentences
from .conftest import ingest

GUIDE = ("# Server guide\n\nThis guide explains how to run the server in production.\n\n"
         "## Configuration\n\nThe default port of the server is 8080 unless it is configured otherwise. "
         "Logs are written to the standard output by default.\n\n"
         "### Timeouts\n\nIdle connections are closed after 50 seconds without traffic.\n")
MANUAL = "The cold room must stay below four degrees at all times.\fAlarms sound when the door stays open too long."


def _vec(text):
    return np.array([float(x) for x in text.strip("[]").split(",")])


def test_chunks_carry_their_section_path_below_the_title_and_their_page(conn, tenant):
    doc = ingest(conn, GUIDE, "Server guide", tenant=tenant, source="docs/guide.md")
    rows = conn.execute("SELECT section, page, content FROM rag.chunks WHERE document_id = %s ORDER BY position",
                        (doc,)).fetchall()
    assert [(r["section"], r["page"]) for r in rows] == [([], None), (["Configuration"], None),
                                                         (["Configuration", "Timeouts"], None)]
    assert not any("#" in r["content"] for r in rows)  # headings are the path, not the text
    doc = ingest(conn, MANUAL, "Cold room manual", tenant=tenant, source="manual.pdf")
    pages = conn.execute("SELECT page FROM rag.chunks WHERE document_id = %s ORDER BY position", (doc,)).fetchall()
    assert [r["page"] for r in pages] == [1, 2]


def test_the_section_path_is_embedded_and_searchable(conn, tenant):
    ingest(conn, GUIDE, "Server guide", tenant=tenant)
    text = conn.execute("SELECT rag.embedding_text(d.title, c.section, c.content) AS t FROM rag.chunks c"
                        " JOIN rag.documents d ON d.id = c.document_id WHERE c.tenant = %s AND c.position = 2",
                        (tenant,)).fetchone()["t"]
    assert text.startswith("Server guide › Configuration › Timeouts\nIdle connections")
    hits = conn.execute("SELECT content FROM rag.search('timeouts', tenant => %s, mode => 'text')",
                        (tenant,)).fetchall()
    assert hits and hits[0]["content"].startswith("Idle connections")


def test_sentence_vectors_are_stored_at_ingest_for_every_quotable_sentence(conn, tenant):
    doc = ingest(conn, GUIDE, "Server guide", tenant=tenant)
    for chunk in conn.execute("SELECT id, content, tenant FROM rag.chunks WHERE document_id = %s", (doc,)).fetchall():
        stored = conn.execute("SELECT n, start_at, end_at, tenant, embedding::text AS v FROM rag.sentence_embeddings"
                              " WHERE chunk_id = %s ORDER BY n", (chunk["id"],)).fetchall()
        expected = sentences.embedded_spans(chunk["content"])
        assert [(r["n"], r["start_at"], r["end_at"]) for r in stored] == [(n, s, e) for n, s, e, _ in expected]
        assert all(r["tenant"] == tenant for r in stored)
        for r, (_, _, _, sent) in zip(stored, expected):
            direct = conn.execute("SELECT rag.embed(%s, input_type => 'document')::text AS v", (sent,)).fetchone()["v"]
            assert float(_vec(r["v"]) @ _vec(direct)) > 0.999


def test_answer_evidence_gives_the_sentences_cosines_to_the_question(conn, tenant):
    doc = ingest(conn, GUIDE, "Server guide", tenant=tenant, source="docs/guide.md")
    chunk = conn.execute("SELECT id FROM rag.chunks WHERE document_id = %s AND position = 1", (doc,)).fetchone()["id"]
    q = "what is the default port of the server"
    row = conn.execute("SELECT e.* FROM rag._answer_evidence(ARRAY[%s]::bigint[], 'multilingual-e5-small',"
                       " rag.embed(%s)) e", (chunk, q)).fetchone()
    assert row["source"] == "docs/guide.md" and row["section"] == ["Configuration"]
    qv = _vec(conn.execute("SELECT rag.embed(%s)::text AS v", (q,)).fetchone()["v"])
    first = conn.execute("SELECT embedding::text AS v FROM rag.sentence_embeddings WHERE chunk_id = %s AND n = 0",
                         (chunk,)).fetchone()["v"]
    assert abs(row["sentence_cosine"][0] - float(_vec(first) @ qv)) < 1e-4


def test_sources_are_cited_by_file_section_and_page(conn, tenant):
    ingest(conn, GUIDE, "Server guide", tenant=tenant, source="docs/guide.md")
    ingest(conn, MANUAL, "Cold room manual", tenant=tenant, source="/srv/manuals/manual.pdf")
    conn.execute("SELECT rag.refresh_text_stats()")
    out = conn.execute("SELECT rag.answer('What is the default port of the server?', tenant => %s) AS a",
                       (tenant,)).fetchone()["a"]
    assert out["supported"] and "8080" in out["answer"]
    first = out["sources"][0]
    assert first["citation"] == "guide.md › Configuration" and first["source"] == "docs/guide.md"
    out = conn.execute("SELECT rag.answer('When do the alarms sound?', tenant => %s) AS a", (tenant,)).fetchone()["a"]
    cited = [s for s in out["sources"] if s["cited"]]
    assert cited and cited[0]["citation"] == "manual.pdf p. 2" and cited[0]["page"] == 2
