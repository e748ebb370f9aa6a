"""The embedding queue: short transactions, SKIP LOCKED, several workers."""
import threading

import psycopg
import pytest
from psycopg.rows import dict_row

from .conftest import ingest


def test_two_concurrent_workers_embed_each_chunk_exactly_once(conn, db_url, tenant):
    # 60 one-chunk documents, queued only.
    for i in range(60):
        ingest(conn, f"Documento {i} sobre el tema {i * 7 % 13}. Contiene la frase número {i}.",
               f"Doc {i}", tenant=tenant, sync=False)
    chunk_ids = {r["id"] for r in conn.execute("SELECT id FROM rag.chunks WHERE tenant = %s", (tenant,))}
    processed = {0: 0, 1: 0}
    errors = []
    start = threading.Barrier(2)

    def worker(n):
        try:
            with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
                start.wait()
                while True:
                    got = c.execute("SELECT rag.process_embedding_queue(5) AS embedded").fetchone()["embedded"]
                    if got == 0:
                        break
                    processed[n] += got
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    # Each call returns how many chunks it embedded: the sum can only equal
    # the number of chunks if no chunk was embedded twice.
    assert processed[0] + processed[1] == len(chunk_ids) == 60
    assert processed[0] > 0 and processed[1] > 0, processed  # both really worked
    rows = conn.execute("SELECT e.chunk_id FROM rag.embeddings e JOIN rag.chunks c ON c.id = e.chunk_id"
                        " WHERE c.tenant = %s", (tenant,)).fetchall()
    assert sorted(r["chunk_id"] for r in rows) == sorted(chunk_ids)
    assert conn.execute("SELECT count(*) AS n FROM rag.embedding_queue q JOIN rag.chunks c ON c.id = q.chunk_id"
                        " WHERE c.tenant = %s", (tenant,)).fetchone()["n"] == 0


def test_draining_in_batches_empties_the_queue(conn, tenant):
    for i in range(5):
        ingest(conn, f"Texto {i} para drenar. Segunda frase {i}.", tenant=tenant, sync=False)
    conn.execute("CALL rag.drain_embedding_queue(2)")
    assert conn.execute("SELECT count(*) AS n FROM rag.embedding_queue q JOIN rag.chunks c ON c.id = q.chunk_id"
                        " WHERE c.tenant = %s", (tenant,)).fetchone()["n"] == 0
    assert conn.execute("SELECT n_chunks FROM rag.text_corpus_stats WHERE tenant = %s",
                        (tenant,)).fetchone()["n_chunks"] == 5


def test_queue_status_lists_the_built_in_models(conn):
    rows = conn.execute("SELECT model, queued, failed, embedded FROM rag.embedding_queue_status ORDER BY model"
                        ).fetchall()
    assert {r["model"] for r in rows} >= {"multilingual-e5-small", "all-minilm-l6-v2"}


def test_batch_size_out_of_range_is_rejected(conn):
    with pytest.raises(psycopg.Error, match="batch_size must be between 1 and 1000"):
        conn.execute("SELECT rag.process_embedding_queue(0)")


def _thread_nice_values(pid):
    """The nice value of each thread of a (local) server process."""
    import glob
    values = []
    for stat in glob.glob(f"/proc/{pid}/task/*/stat"):
        with open(stat) as f:
            values.append(int(f.read().rsplit(")", 1)[1].split()[16]))
    return values


def test_the_queue_worker_embeds_at_lower_priority_and_questions_do_not(db_url, tenant):
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
        pid = c.info.backend_pid
        c.execute("SELECT rag.embed('una pregunta')")
        assert max(_thread_nice_values(pid)) == 0  # a question's model thread: normal priority
        ingest(c, "Documento pendiente sobre devoluciones de mercadería.", "Pendiente", tenant=tenant, sync=False)
        c.execute("CALL rag.drain_embedding_queue()")
        assert max(_thread_nice_values(pid)) == 10  # the worker's model thread
        assert min(_thread_nice_values(pid)) == 0  # the backend itself
