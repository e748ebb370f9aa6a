"""rag.embed / rag.embed_batch with the real offline models."""
import numpy as np
import psycopg
import pytest
from psycopg.rows import dict_row

MODELS = ["multilingual-e5-small", "all-minilm-l6-v2"]


def vec(conn, text, model, input_type="query"):
    s = conn.execute("SELECT rag.embed(%s, %s, %s)::text AS embedding",
                     (text, model, input_type)).fetchone()["embedding"]
    return np.array([float(x) for x in s.strip("[]").split(",")])


@pytest.mark.parametrize("model", MODELS)
def test_vectors_have_the_registered_dimension_and_unit_norm(conn, model):
    dims = conn.execute("SELECT vector_dims(rag.embed('hola', %s)) AS got, dimensions AS registered"
                        " FROM rag.embedding_models WHERE name = %s", (model, model)).fetchone()
    assert dims["got"] == dims["registered"] == 384
    assert abs(np.linalg.norm(vec(conn, "hello world", model)) - 1) < 1e-3


@pytest.mark.parametrize("model", MODELS)
def test_similar_texts_score_higher(conn, model):
    q = vec(conn, "How do I return a product I bought?", model)
    close = vec(conn, "Products can be returned within 30 days of delivery.", model, "document")
    far = vec(conn, "The volcano erupted in 1883 and darkened the sky.", model, "document")
    assert q @ close > q @ far + 0.1


def test_multilingual_model_ranks_spanish_paraphrase_above_unrelated_text(conn):
    q = vec(conn, "¿Cómo devuelvo un producto?", "multilingual-e5-small")
    close = vec(conn, "Los productos se pueden devolver dentro de los 30 días.", "multilingual-e5-small", "document")
    far = vec(conn, "El volcán entró en erupción en 1883.", "multilingual-e5-small", "document")
    assert q @ close > q @ far + 0.05


def test_batch_embedding_matches_one_at_a_time(conn):
    texts = ["uno dos tres", "the quick brown fox"]
    batch = conn.execute("SELECT array_length(rag.embed_batch(%s), 1) AS n,"
                         " (rag.embed_batch(%s))[2] <=> rag.embed('the quick brown fox', input_type => 'document')"
                         " AS distance", (texts, texts)).fetchone()
    assert batch["n"] == 2
    assert batch["distance"] < 1e-4


def test_active_model_is_the_default(conn):
    d = conn.execute("SELECT rag.embed('x') <=> rag.embed('x', (SELECT name FROM rag.embedding_models WHERE active))"
                     " AS distance").fetchone()["distance"]
    assert d < 1e-6


def test_unknown_model_is_a_clear_error(conn):
    with pytest.raises(psycopg.Error, match="unknown embedding model 'nope'"):
        conn.execute("SELECT rag.embed('x', 'nope')")


def test_missing_model_files_fail_clearly_and_queue_keeps_work(conn, tenant):
    conn.execute("SELECT rag.register_model('broken-st', 'sentence-transformers', '/nonexistent/model', 384)")
    try:
        with pytest.raises(psycopg.Error, match="cannot load sentence-transformers model '/nonexistent/model'"):
            conn.execute("SELECT rag.embed('x', 'broken-st')")
        # queued work for a broken model stays queued with the reason
        conn.execute("SELECT rag.ingest_document('Texto de prueba. Otra frase.', tenant => %s)", (tenant,))
        conn.execute("INSERT INTO rag.embedding_queue (chunk_id, model_id) SELECT c.id, m.id FROM rag.chunks c,"
                     " rag.embedding_models m WHERE c.tenant = %s AND m.name = 'broken-st'", (tenant,))
        n = conn.execute("SELECT rag.process_embedding_queue(model => 'broken-st') AS embedded").fetchone()["embedded"]
        assert n == 0
        row = conn.execute("SELECT attempts, last_error FROM rag.embedding_queue q JOIN rag.embedding_models m"
                           " ON m.id = q.model_id WHERE m.name = 'broken-st'").fetchone()
        assert row["attempts"] == 1 and "cannot load" in row["last_error"]
    finally:
        conn.execute("SELECT rag.unregister_model('broken-st')")


LONG_BATCH = [f"Informe {i}: la sucursal {i % 9} registró ventas de yerba por {i * 37} pesos en la semana {i % 52}."
              for i in range(800)]  # about 15 s of embedding on two idle cores


@pytest.mark.parametrize("how", ["pg_cancel_backend", "statement_timeout"])
def test_a_long_embedding_stops_within_a_slice_when_cancelled(db_url, how):
    import threading
    import time
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
        c.execute("SELECT rag.warm_up()")
        pid = c.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
        if how == "statement_timeout":
            c.execute("SET statement_timeout = '1s'")
        else:
            def cancel():
                time.sleep(1.0)
                with psycopg.connect(db_url, autocommit=True) as other:
                    other.execute("SELECT pg_cancel_backend(%s)", (pid,))
            threading.Thread(target=cancel, daemon=True).start()
        t = time.perf_counter()
        with pytest.raises(psycopg.errors.QueryCanceled):
            c.execute("SELECT rag.embed_batch(%s)", (LONG_BATCH,))
        elapsed = time.perf_counter() - t
    # One slice (16 texts) takes well under a second; the whole batch, 15 s.
    assert elapsed < 5, elapsed
