"""Embedding model versions: re-embedding through the queue, atomic
activation under concurrent queries, dropping old embeddings, and a remote
OpenAI-compatible embeddings endpoint."""
import threading
import time

import numpy as np
import psycopg
import pytest
from psycopg.rows import dict_row

from .conftest import ingest, use_endpoint
from ragsql.loopback_llm import FakeOpenAI, fake_vector

SECOND = "all-minilm-l6-v2"
FIRST = "multilingual-e5-small"


@pytest.fixture
def restore_active(conn):
    yield
    conn.execute("SELECT rag.activate_model(%s, force => true)", (FIRST,))
    conn.execute("SELECT rag.drop_embeddings(%s)", (SECOND,))


def test_model_switch_is_atomic_under_concurrent_queries_and_old_embeddings_can_be_dropped(
        conn, db_url, tenant, restore_active):
    for i in range(8):
        ingest(conn, f"Report {i}: the warehouse shipped {i * 10} pallets of coffee to branch {i}.", f"R{i}",
               tenant=tenant)
    with pytest.raises(psycopg.Error, match=f"model {SECOND} has no embedding for"):
        conn.execute("SELECT rag.activate_model(%s)", (SECOND,))

    conn.execute("CALL rag.reembed(%s, 4)", (SECOND,))
    prog = conn.execute("SELECT active, reembedding, embedded, chunks, queued, pct_done FROM rag.reembed_progress"
                        " WHERE model = %s", (SECOND,)).fetchone()
    assert prog["active"] is False and prog["reembedding"] is True
    assert prog["embedded"] == prog["chunks"] and prog["queued"] == 0 and prog["pct_done"] == 100
    assert conn.execute("SELECT name FROM rag.embedding_models WHERE active").fetchone()["name"] == FIRST

    seen, errors, stop = [], [], threading.Event()

    def query_loop():
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            while not stop.is_set():
                try:
                    r = c.execute("SELECT rag.answer('How many pallets of coffee did branch 3 get?',"
                                  " tenant => %s) AS answer", (tenant,)).fetchone()["answer"]
                    seen.append((r["embedding_model"], len(r["sources"])))
                except Exception as exc:
                    errors.append(exc)

    t = threading.Thread(target=query_loop)
    t.start()
    try:
        while len(seen) < 3:
            time.sleep(0.05)
        conn.execute("SELECT rag.activate_model(%s)", (SECOND,))
        n = len(seen)
        while len(seen) < n + 3:
            time.sleep(0.05)
    finally:
        stop.set()
        t.join(timeout=60)
    assert errors == []
    models = [m for m, _ in seen]
    assert models[0] == FIRST and models[-1] == SECOND
    switch = models.index(SECOND)
    assert set(models[:switch]) == {FIRST} and set(models[switch:]) == {SECOND}  # one clean switch
    assert all(n == 5 for _, n in seen)  # every query found its sources

    # the previously active model keeps receiving new chunks until dropped
    doc = ingest(conn, "Report 99: the warehouse shipped tea.", "R99", tenant=tenant, sync=False)
    queued = {r["name"] for r in conn.execute("SELECT m.name FROM rag.embedding_queue q JOIN rag.embedding_models m"
                                         " ON m.id = q.model_id JOIN rag.chunks c ON c.id = q.chunk_id"
                                         " WHERE c.document_id = %s", (doc,))}
    assert queued == {FIRST, SECOND}
    with pytest.raises(psycopg.Error, match="is active"):
        conn.execute("SELECT rag.drop_embeddings(%s)", (SECOND,))
    conn.execute("SELECT rag.activate_model(%s, force => true)", (FIRST,))
    dropped = conn.execute("SELECT rag.drop_embeddings(%s) AS dropped", (SECOND,)).fetchone()["dropped"]
    assert dropped >= 8
    assert conn.execute("SELECT embedded, reembedding FROM rag.reembed_progress WHERE model = %s",
                        (SECOND,)).fetchone() == {"embedded": 0, "reembedding": False}


def test_remote_model_embeds_through_an_openai_compatible_endpoint(conn, tenant):
    with FakeOpenAI() as server:
        conn.execute("SELECT rag.register_model('remote-test', 'openai', 'text-embedding-test', 8)")
        try:
            with pytest.raises(psycopg.Error, match="needs an embeddings endpoint"):
                conn.execute("SELECT rag.embed('hola', 'remote-test')")
            use_endpoint(conn, "fake-embeddings", server.base_url, kind="embeddings")
            conn.execute("SET rag.llm_api_key = 'sk-embed-SECRET'")
            s = conn.execute("SELECT rag.embed('hola mundo', 'remote-test')::text AS embedding"
                             ).fetchone()["embedding"]
            got = np.array([float(x) for x in s.strip("[]").split(",")])
            want = np.array(fake_vector("hola mundo", 8))
            assert np.allclose(got, want / np.linalg.norm(want), atol=1e-5)
            req = server.requests[-1]
            assert req["path"] == "/v1/embeddings" and req["authorization"] == "Bearer sk-embed-SECRET"
            assert req["body"]["model"] == "text-embedding-test"
            server.mode = "error"
            with pytest.raises(psycopg.Error, match=r"embeddings endpoint failed: .*HTTP 500"):
                conn.execute("SELECT rag.embed('otra cosa', 'remote-test')")
        finally:
            conn.execute("RESET rag.embedding_endpoint")
            conn.execute("SELECT rag.unregister_endpoint('fake-embeddings')")
            conn.execute("RESET rag.llm_api_key")
            conn.execute("SELECT rag.unregister_model('remote-test')")
