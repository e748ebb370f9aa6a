"""Tenants sealed from each other: views run with the caller's rights, so
row-level security applies through them as it does on the tables; analysts
write nothing directly, and the API's writers check their tenant grants."""
import psycopg
import pytest
from psycopg.rows import dict_row

from .conftest import ingest


def test_every_view_runs_as_the_caller(conn):
    owner_rights = conn.execute(
        "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'rag'::regnamespace AND c.relkind = 'v'"
        " AND NOT coalesce(c.reloptions @> '{security_invoker=true}', false) ORDER BY 1").fetchall()
    assert owner_rights == []


@pytest.fixture
def two_analysts(conn, tenant):
    """Two login roles, each granted rag_user and one tenant of its own, each
    with one document."""
    other = tenant + "_b"
    roles = {"a": f"analyst_a_{tenant}", "b": f"analyst_b_{tenant}"}
    ingest(conn, "Los mayoristas pueden devolver mercadería dentro de los 30 días.", "Devoluciones A", tenant=tenant)
    ingest(conn, "El presupuesto confidencial del proyecto Orquídea es de 4 millones de pesos.", "Secreto B",
           tenant=other)
    for key, t in (("a", tenant), ("b", other)):
        conn.execute(f'CREATE ROLE "{roles[key]}" LOGIN IN ROLE rag_user')
        conn.execute("SELECT rag.grant_tenant(%s, %s)", (roles[key], t))
    yield roles, {"a": tenant, "b": other}
    for key, t in (("a", tenant), ("b", other)):
        conn.execute("SELECT rag.revoke_tenant(%s, %s)", (roles[key], t))
        conn.execute("DELETE FROM rag.answer_log WHERE asked_by = %s", (roles[key],))
        conn.execute(f'DROP ROLE "{roles[key]}"')
    conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (other,))


def test_an_analyst_sees_only_their_own_answers_through_the_views(db_url, two_analysts):
    roles, tenants = two_analysts
    sessions = {}
    try:
        for key in ("a", "b"):
            c = sessions[key] = psycopg.connect(db_url, autocommit=True, row_factory=dict_row)
            c.execute(f'SET ROLE "{roles[key]}"')
        sessions["a"].execute("SELECT rag.answer('¿Cuántos días tienen los mayoristas para devolver?')")
        sessions["b"].execute("SELECT rag.answer('¿Cuál es el presupuesto del proyecto Orquídea?')")
        for key, c in sessions.items():
            rows = c.execute("SELECT asked_by, question, answer FROM rag.answers").fetchall()
            assert {r["asked_by"] for r in rows} == {roles[key]}, rows
            assert all("Orquídea" not in (r["question"] + r["answer"]) for r in rows) == (key == "a")
            counts = c.execute("SELECT sum(answers) AS n FROM rag.answer_latency").fetchone()
            assert counts["n"] == len(rows) == 1
        # the documents themselves stay behind row security too
        assert sessions["a"].execute("SELECT count(*) AS n FROM rag.documents WHERE tenant = %s",
                                     (tenants["b"],)).fetchone()["n"] == 0
    finally:
        for c in sessions.values():
            c.close()


def test_term_weights_are_the_tenants_own(conn, tenant):
    ingest(conn, "Los mayoristas pueden devolver mercadería dentro de los 30 días.", "Devoluciones", tenant=tenant)
    conn.execute("SELECT rag.refresh_text_stats()")
    query = "¿Cómo devuelven mercadería los mayoristas?"
    before = conn.execute("SELECT terms::text[] AS terms, idf FROM rag.text_query(%s, 'es', %s)",
                          (query, tenant)).fetchone()
    other = tenant + "_other"
    try:
        for i in range(5):  # another tenant full of the same words
            ingest(conn, f"Mercadería de mayoristas número {i}: devolver, devoluciones, mayoristas.", f"O{i}",
                   tenant=other)
        conn.execute("SELECT rag.refresh_text_stats()")
        after = conn.execute("SELECT terms::text[] AS terms, idf FROM rag.text_query(%s, 'es', %s)",
                             (query, tenant)).fetchone()
        assert after == before
        assert conn.execute("SELECT n_chunks FROM rag.text_corpus_stats WHERE tenant = %s",
                            (other,)).fetchone()["n_chunks"] == 5
    finally:
        conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (other,))
        conn.execute("SELECT rag.refresh_text_stats()")


def test_an_analyst_reads_only_their_tenants_statistics(db_url, two_analysts):
    roles, tenants = two_analysts
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
        c.execute("SELECT rag.refresh_text_stats()")
        c.execute(f'SET ROLE "{roles["a"]}"')
        seen = {r["tenant"] for r in c.execute("SELECT DISTINCT tenant FROM rag.text_stats")}
        assert seen == {tenants["a"]}
        assert c.execute("SELECT count(*) AS n FROM rag.text_stats WHERE lexeme = 'orquide'").fetchone()["n"] == 0
        assert {r["tenant"] for r in c.execute("SELECT tenant FROM rag.text_corpus_stats")} == {tenants["a"]}


def test_the_monitoring_role_sees_aggregates_across_tenants_and_no_content(conn, db_url, two_analysts):
    roles, tenants = two_analysts
    monitor = roles["a"] + "_monitor"
    conn.execute(f'CREATE ROLE "{monitor}" LOGIN IN ROLE rag_monitor')
    try:
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            for key in ("a", "b"):
                c.execute(f'SET ROLE "{roles[key]}"')
                c.execute("SELECT rag.answer('¿Cuántos días tienen los mayoristas para devolver?')")
                c.execute("RESET ROLE")
            before = c.execute("SELECT coalesce(sum(answers), 0) AS n FROM rag.monitor_answers()").fetchone()["n"]
            c.execute(f'SET ROLE "{monitor}"')
            assert c.execute("SELECT coalesce(sum(answers), 0) AS n FROM rag.monitor_answers()").fetchone()["n"] \
                == before >= 2
            corpus = {r["tenant"]: r for r in c.execute("SELECT * FROM rag.monitor_corpus()")}
            assert corpus[tenants["a"]]["documents"] == corpus[tenants["b"]]["documents"] == 1
            assert c.execute("SELECT count(*) AS n FROM rag.monitor_intents()").fetchone()["n"] >= 0
            for table in ("rag.answers", "rag.answer_log", "rag.documents", "rag.chunks", "rag.embeddings"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    c.execute(f"SELECT 1 FROM {table} LIMIT 1")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("SELECT rag.answer('¿Cuál es el presupuesto del proyecto Orquídea?')")
        # and analysts cannot call the monitoring functions
        with psycopg.connect(db_url, autocommit=True) as c:
            c.execute(f'SET ROLE "{roles["a"]}"')
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("SELECT * FROM rag.monitor_corpus()")
    finally:
        conn.execute(f'DROP ROLE "{monitor}"')


def test_an_analyst_can_neither_read_nor_overwrite_another_tenants_vectors(conn, db_url, two_analysts):
    roles, tenants = two_analysts
    theirs = conn.execute("SELECT c.id AS chunk_id, e.embedding::text AS v FROM rag.chunks c"
                          " JOIN rag.embeddings e ON e.chunk_id = c.id WHERE c.tenant = %s",
                          (tenants["b"],)).fetchone()
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
        c.execute(f'SET ROLE "{roles["a"]}"')
        assert c.execute("SELECT count(*) AS n FROM rag.embeddings WHERE tenant = %s",
                         (tenants["b"],)).fetchone()["n"] == 0
        assert c.execute("SELECT count(*) AS n FROM rag.embeddings WHERE chunk_id = %s",
                         (theirs["chunk_id"],)).fetchone()["n"] == 0
        # poisoning: overwrite their vector, add one for their chunk, queue it, delete everything
        for sql in ("UPDATE rag.embeddings SET embedding = embedding WHERE chunk_id = %(chunk)s",
                    "INSERT INTO rag.embeddings (chunk_id, model_id, embedding)"
                    " SELECT %(chunk)s, m.id, %(v)s::text::vector FROM rag.embedding_models m WHERE m.active",
                    "INSERT INTO rag.embedding_queue (chunk_id, model_id)"
                    " SELECT %(chunk)s, m.id FROM rag.embedding_models m WHERE m.active",
                    "DELETE FROM rag.embeddings", "TRUNCATE rag.embeddings"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                c.execute(sql, {"chunk": theirs["chunk_id"], "v": theirs["v"]})
    assert conn.execute("SELECT embedding::text AS v FROM rag.embeddings WHERE chunk_id = %s",
                        (theirs["chunk_id"],)).fetchone()["v"] == theirs["v"]


def test_analysts_hold_no_write_privilege_on_any_table(conn):
    writable = conn.execute(
        "SELECT c.relname, p.privilege FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p(privilege)"
        " WHERE n.nspname = 'rag' AND c.relkind IN ('r', 'p', 'v', 'm')"
        "   AND has_table_privilege('rag_user', c.oid, p.privilege)").fetchall()
    assert writable == []


def test_an_analyst_writes_documents_only_through_the_api_and_only_in_their_tenants(conn, db_url, two_analysts):
    roles, tenants = two_analysts
    theirs = conn.execute("SELECT id FROM rag.documents WHERE tenant = %s", (tenants["b"],)).fetchone()["id"]
    missing = conn.execute("SELECT max(id) + 1000 AS id FROM rag.documents").fetchone()["id"]
    before = conn.execute("SELECT count(*) AS n FROM rag.documents WHERE tenant = %s", (tenants["b"],)).fetchone()
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
        c.execute(f'SET ROLE "{roles["a"]}"')
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="may not write tenant") as err:
            c.execute("SELECT rag.ingest_document('Texto plantado por otro inquilino.', tenant => %s)",
                      (tenants["b"],))
        assert err.value.diag.message_hint and "grant_tenant" in err.value.diag.message_hint
        # deleting theirs and deleting nothing look the same: no existence oracle
        assert c.execute("SELECT rag.delete_document(%s) AS ok", (theirs,)).fetchone()["ok"] is False
        assert c.execute("SELECT rag.delete_document(%s) AS ok", (missing,)).fetchone()["ok"] is False
        own = c.execute("SELECT rag.ingest_document('Las facturas vencen a los 45 días de emitidas.',"
                        " 'Facturas', tenant => %s) AS id", (tenants["a"],)).fetchone()["id"]
        assert c.execute("SELECT tenant FROM rag.documents WHERE id = %s", (own,)).fetchone()["tenant"] == tenants["a"]
        assert c.execute("SELECT rag.delete_document(%s) AS ok", (own,)).fetchone()["ok"] is True
    assert conn.execute("SELECT count(*) AS n FROM rag.documents WHERE tenant = %s",
                        (tenants["b"],)).fetchone() == before


def test_an_analysts_queue_worker_embeds_only_their_tenants_chunks(conn, db_url, two_analysts):
    roles, tenants = two_analysts
    docs = {k: ingest(conn, f"Documento pendiente número {n} del inquilino {k}.", f"Pendiente {k}", tenant=tenants[k],
                      sync=False)
            for n, k in enumerate(("a", "b"))}
    try:
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            c.execute(f'SET ROLE "{roles["a"]}"')
            c.execute("CALL rag.drain_embedding_queue()")
        queued = {k: conn.execute("SELECT count(*) AS n FROM rag.embedding_queue q JOIN rag.chunks c ON c.id ="
                                  " q.chunk_id WHERE c.document_id = %s", (d,)).fetchone()["n"]
                  for k, d in docs.items()}
        assert queued["a"] == 0 and queued["b"] > 0
    finally:
        for d in docs.values():
            conn.execute("SELECT rag.delete_document(%s)", (d,))


def test_evaluation_is_for_dbas(db_url, two_analysts):
    roles, _ = two_analysts
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute(f'SET ROLE "{roles["a"]}"')
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for function evaluate"):
            c.execute("SELECT rag.evaluate('any')")


def test_an_analyst_sees_only_their_tenants_evaluation_cases_and_results(conn, db_url, two_analysts):
    roles, tenants = two_analysts
    docs = {k: conn.execute("SELECT id FROM rag.documents WHERE tenant = %s", (t,)).fetchone()["id"]
            for k, t in tenants.items()}
    name = "isolation-" + tenants["a"]
    set_id = conn.execute("INSERT INTO rag.eval_sets (name) VALUES (%s) RETURNING id", (name,)).fetchone()["id"]
    try:
        for key, q in (("a", "¿Cuántos días tienen los mayoristas para devolver?"),
                       ("b", "¿Cuál es el presupuesto del proyecto Orquídea?")):
            conn.execute("INSERT INTO rag.eval_cases (set_id, question, reference_answer, relevant_document_ids,"
                         " tenant) VALUES (%s, %s, 'ref', %s, %s)", (set_id, q, [docs[key]], tenants[key]))
        run_id = conn.execute("SELECT rag.evaluate(%s, generate => true) AS id", (name,)).fetchone()["id"]
        assert conn.execute("SELECT cases FROM rag.eval_run_metrics WHERE run_id = %s",
                            (run_id,)).fetchone()["cases"] == 2
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            c.execute(f'SET ROLE "{roles["a"]}"')
            questions = [r["question"] for r in c.execute("SELECT question FROM rag.eval_cases WHERE set_id = %s",
                                                          (set_id,))]
            assert questions == ["¿Cuántos días tienen los mayoristas para devolver?"]
            answers = [r["answer"] for r in c.execute("SELECT answer FROM rag.eval_results WHERE run_id = %s",
                                                      (run_id,))]
            assert len(answers) == 1 and all("Orquídea" not in (a or "") for a in answers)
            assert c.execute("SELECT cases FROM rag.eval_run_metrics WHERE run_id = %s",
                             (run_id,)).fetchone()["cases"] == 1
            worst = c.execute("SELECT question FROM rag.eval_worst_cases WHERE run_id = %s", (run_id,)).fetchall()
            assert [w["question"] for w in worst] == questions
    finally:
        conn.execute("DELETE FROM rag.eval_sets WHERE id = %s", (set_id,))
