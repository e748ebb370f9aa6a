"""rag.search: hybrid retrieval, filters, tenants, iterative index scans."""
import psycopg
import pytest
from psycopg.rows import dict_row

from .conftest import ingest

CORPUS = [
    ("Devoluciones", {"area": "ventas"},
     "Los clientes mayoristas pueden devolver mercadería dentro de los 30 días con la factura original."),
    ("Envíos", {"area": "logistica"},
     "Los pedidos se despachan el mismo día y llegan al interior del país en 3 a 5 días hábiles."),
    ("Warranty", {"area": "support"},
     "New products are covered for twelve months against manufacturing defects."),
    ("Seguridad", {"area": "it"},
     "El código de acceso del servidor de respaldo es ZQX-4471-BR y se rota cada trimestre."),
    ("Cafetería", {"area": "rrhh"},
     "La cafetería del edificio abre de lunes a viernes de 8 a 17 horas."),
]


@pytest.fixture
def corpus(conn, tenant):
    ids = {}
    for title, meta, text in CORPUS:
        ids[title] = ingest(conn, text, title, meta, tenant)
    conn.execute("SELECT rag.refresh_text_stats()")
    return ids


def search(conn, q, **kw):
    args = "".join(f", {k} => %({k})s" for k in kw)
    return conn.execute(f"SELECT * FROM rag.search(%(q)s{args})", dict(q=q, **kw)).fetchall()


def test_exact_rare_keyword_found_by_full_text(conn, tenant, corpus):
    rows = search(conn, "ZQX-4471-BR", tenant=tenant, mode="text")
    assert rows[0]["document_id"] == corpus["Seguridad"]
    assert rows[0]["text_rank"] == 1
    hybrid = search(conn, "ZQX-4471-BR", tenant=tenant, k=1)
    assert hybrid[0]["document_id"] == corpus["Seguridad"]


def test_paraphrase_found_by_vector(conn, tenant, corpus):
    # no word in common with the document
    rows = search(conn, "¿Hasta cuándo puede un comprador grande regresar productos?", tenant=tenant, mode="vector", k=1)
    assert rows[0]["document_id"] == corpus["Devoluciones"]
    rows = search(conn, "How long are brand-new items guaranteed?", tenant=tenant, k=1)
    assert rows[0]["document_id"] == corpus["Warranty"]


def test_accents_are_folded(conn, tenant, corpus):
    rows = search(conn, "cafeteria edificio", tenant=tenant, mode="text", k=1)
    assert rows[0]["document_id"] == corpus["Cafetería"]


def test_hybrid_score_adds_normalised_cosine_and_text_score(conn, tenant, corpus):
    rows = search(conn, "devolver mercadería mayoristas", tenant=tenant, k=3)
    top = rows[0]
    assert top["document_id"] == corpus["Devoluciones"] and top["title"] == "Devoluciones"
    assert top["metadata"] == {"area": "ventas"}
    assert top["vector_rank"] == 1 and top["text_rank"] == 1
    # the best cosine normalises to 1; the text term is text mode's score
    text = search(conn, "devolver mercadería mayoristas", tenant=tenant, k=1, mode="text")[0]
    assert text["chunk_id"] == top["chunk_id"] and text["score"] > 0
    assert abs(top["score"] - (1 + text["score"])) < 1e-9
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    rrf = search(conn, "devolver mercadería mayoristas", tenant=tenant, k=1, fusion="rrf")[0]
    assert rrf["chunk_id"] == top["chunk_id"] and abs(rrf["score"] - 2 / 61) < 1e-9


def test_weak_text_match_does_not_outvote_the_vector_leg(conn, tenant, corpus):
    # A Spanish question over an English answer: the only full-text hit is a
    # Spanish chunk sharing one word ("fábrica") and nothing else.
    decoy = ingest(conn, "La fábrica de Rosario amplía su estacionamiento para camiones.", "Planta", tenant=tenant)
    conn.execute("SELECT rag.refresh_text_stats()")
    q = "¿Cuánto tiempo cubre la garantía a los artículos recién comprados contra fallas de fábrica?"
    text = search(conn, q, tenant=tenant, mode="text")
    assert [r["document_id"] for r in text] == [decoy]
    assert search(conn, q, tenant=tenant, mode="vector", k=1)[0]["document_id"] == corpus["Warranty"]
    rows = search(conn, q, tenant=tenant, k=3)
    assert rows[0]["document_id"] == corpus["Warranty"]
    assert (rows[0]["vector_rank"], rows[0]["text_rank"]) == (1, None)
    # reciprocal-rank fusion counts the one weak match as a first place and loses
    assert search(conn, q, tenant=tenant, k=1, fusion="rrf")[0]["document_id"] == decoy


def test_results_come_only_from_the_requested_tenant(conn, tenant, corpus):
    other = tenant + "_other"
    try:
        ingest(conn, "El código de acceso del servidor de respaldo es ZQX-4471-BR para otro cliente.", "Otro", tenant=other)
        rows = search(conn, "ZQX-4471-BR código de acceso", tenant=tenant, k=10)
        assert rows and all(r["document_id"] in corpus.values() for r in rows)
        rows = search(conn, "ZQX-4471-BR código de acceso", tenant=other, k=10)
        assert len(rows) == 1 and rows[0]["title"] == "Otro"
    finally:
        conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (other,))


def test_metadata_filter_keeps_only_matching_chunks(conn, tenant, corpus):
    rows = search(conn, "devoluciones", tenant=tenant, filter='{"area": "logistica"}', k=5)
    assert [r["document_id"] for r in rows] == [corpus["Envíos"]]


def test_filtered_query_still_returns_k_rows(conn, tenant):
    # 200 chunks of kind "common", 15 of kind "rare": HNSW's default candidate
    # list (40) would hold only a couple of rare ones; iterative scans keep going.
    for i in range(200):
        ingest(conn, f"Informe {i} de ventas semanales de la sucursal {i % 9}.", f"C{i}", {"kind": "common"},
               tenant, sync=False)
    for i in range(15):
        ingest(conn, f"Nota {i} sobre mantenimiento de equipos de frío.", f"R{i}", {"kind": "rare"}, tenant, sync=False)
    while conn.execute("SELECT rag.process_embedding_queue(64) AS embedded").fetchone()["embedded"]:
        pass
    conn.execute("ANALYZE rag.embeddings")
    model_id = conn.execute("SELECT id FROM rag.embedding_models WHERE active").fetchone()["id"]
    # On a table this small the planner may prefer an exact scan; make it use
    # the HNSW index, which is what large tables get.
    conn.execute("SET enable_seqscan = off")
    conn.execute("SET enable_bitmapscan = off")
    conn.execute("SET enable_sort = off")
    try:
        knn = (f"SELECT c.id FROM rag.embeddings e JOIN rag.chunks c ON c.id = e.chunk_id"
               f" WHERE e.model_id = {model_id} AND c.tenant = %s AND c.metadata @> '{{\"kind\": \"rare\"}}'"
               f" ORDER BY e.embedding::vector(384) <=> rag.embed('ventas semanales de la sucursal') LIMIT 10")
        plan = "\n".join(r["QUERY PLAN"] for r in conn.execute("EXPLAIN " + knn, (tenant,)))
        assert f"embeddings_model_{model_id}_idx" in plan
        # Without iterative scans the index yields ~40 nearest rows, nearly all
        # "common": the filter leaves fewer than k.
        conn.execute("SET hnsw.iterative_scan = off")
        assert len(conn.execute(knn, (tenant,)).fetchall()) < 10
        conn.execute("RESET hnsw.iterative_scan")
        rows = search(conn, "ventas semanales de la sucursal", tenant=tenant, filter='{"kind": "rare"}',
                      mode="vector", k=10)
    finally:
        conn.execute("RESET enable_seqscan")
        conn.execute("RESET enable_bitmapscan")
        conn.execute("RESET enable_sort")
    assert len(rows) == 10
    assert all(r["metadata"] == {"kind": "rare"} for r in rows)


def test_bad_arguments_are_rejected_with_clear_messages(conn):
    for sql, msg in [("SELECT * FROM rag.search('')", "query must not be empty"),
                     ("SELECT * FROM rag.search(NULL)", "query must not be empty"),
                     ("SELECT * FROM rag.search('x', k => 0)", "k must be between 1 and 1000"),
                     ("SELECT * FROM rag.search(repeat('palabra ', 1000))", "the limit is 4000"),
                     ("SELECT * FROM rag.search('x', mode => 'fuzzy')", "mode must be hybrid, vector or text"),
                     ("SELECT * FROM rag.search('x', filter => '[1]')", "filter must be a JSON object"),
                     ("SELECT * FROM rag.search('x', model => 'nope')", "unknown embedding model nope"),
                     ("SELECT * FROM rag.search('x', fusion => 'max')", "fusion must be convex or rrf")]:
        with pytest.raises(psycopg.Error, match=msg):
            conn.execute(sql)


def test_row_level_security_isolates_tenants(conn, db_url, tenant, corpus):
    role = "analyst_" + tenant
    other = tenant + "_secret"
    ingest(conn, "El presupuesto confidencial del proyecto Orquídea es de 4 millones.", "Secreto", tenant=other)
    conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE rag_user')
    conn.execute("SELECT rag.grant_tenant(%s, %s)", (role, tenant))
    try:
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            c.execute(f'SET ROLE "{role}"')
            visible = {r["tenant"] for r in c.execute("SELECT DISTINCT tenant FROM rag.chunks")}
            assert visible == {tenant}
            # asking for the other tenant explicitly returns nothing
            assert search(c, "presupuesto confidencial Orquídea", tenant=other) == []
            rows = search(c, "presupuesto confidencial Orquídea", k=10)
            assert rows and all(r["title"] != "Secreto" for r in rows)
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="may not write tenant"):
                c.execute("SELECT rag.ingest_document('Intruso. Texto.', tenant => %s)", (other,))
    finally:
        conn.execute("SELECT rag.revoke_tenant(%s, %s)", (role, tenant))
        conn.execute("DELETE FROM rag.answer_log WHERE asked_by = %s", (role,))
        conn.execute(f'DROP ROLE "{role}"')
        conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (other,))
