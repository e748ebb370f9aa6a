"""rag.embed / rag.embed_batch with the real offline models."""
import numpy as np
import psycopg
import pytest

MODELS = ["multilingual-e5-small", "all-minilm-l6-v2"]


def vec(conn, text, model, input_type="query"):
    s = conn.execute("SELECT rag.embed(%s, %s, %s)::text", (text, model, input_type)).fetchone()[0]
    return np.array([float(x) for x in s.strip("[]").split(",")])


@pytest.mark.parametrize("model", MODELS)
def test_dimension_and_norm(conn, model):
    dims = conn.execute("SELECT vector_dims(rag.embed('hola', %s)), dimensions FROM rag.embedding_models"
                        " WHERE name = %s", (model, model)).fetchone()
    assert dims[0] == dims[1] == 384
    assert abs(np.linalg.norm(vec(conn, "hello world", model)) - 1) < 1e-3


@pytest.mark.parametrize("model", MODELS)
def test_similar_texts_score_higher(conn, model):
    q = vec(conn, "How do I return a product I bought?", model)
    close = vec(conn, "Products can be returned within 30 days of delivery.", model, "document")
    far = vec(conn, "The volcano erupted in 1883 and darkened the sky.", model, "document")
    assert q @ close > q @ far + 0.1


def test_spanish_similarity_multilingual(conn):
    q = vec(conn, "¿Cómo devuelvo un producto?", "multilingual-e5-small")
    close = vec(conn, "Los productos se pueden devolver dentro de los 30 días.", "multilingual-e5-small", "document")
    far = vec(conn, "El volcán entró en erupción en 1883.", "multilingual-e5-small", "document")
    assert q @ close > q @ far + 0.05


def test_batch_matches_single(conn):
    texts = ["uno dos tres", "the quick brown fox"]
    batch = conn.execute("SELECT array_length(rag.embed_batch(%s), 1),"
                         " (rag.embed_batch(%s))[2] <=> rag.embed('the quick brown fox', input_type => 'document')",
                         (texts, texts)).fetchone()
    assert batch[0] == 2
    assert batch[1] < 1e-4


def test_active_model_is_default(conn):
    d = conn.execute("SELECT rag.embed('x') <=> rag.embed('x', (SELECT name FROM rag.embedding_models WHERE active))"
                     ).fetchone()[0]
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
        n = conn.execute("SELECT rag.process_embedding_queue(model => 'broken-st')").fetchone()[0]
        assert n == 0
        row = conn.execute("SELECT attempts, last_error FROM rag.embedding_queue q JOIN rag.embedding_models m"
                           " ON m.id = q.model_id WHERE m.name = 'broken-st'").fetchone()
        assert row[0] == 1 and "cannot load" in row[1]
    finally:
        conn.execute("SELECT rag.unregister_model('broken-st')")
