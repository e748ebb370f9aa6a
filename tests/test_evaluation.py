"""Evaluation kept in the database: metric definitions, rag.evaluate runs,
the views, and the LLM judge path (against the loopback server)."""
import json

import psycopg
import pytest

from py_udfs import evaluation as ev
from py_udfs import grounding

from .conftest import ingest, use_endpoint
from ragsql.loopback_llm import FakeOpenAI


def test_metrics_follow_their_definitions():
    assert ev.token_f1("El Super Bowl 50 [1]", ["Super Bowl 50"]) == 1.0
    assert round(ev.token_f1("Denver Broncos won", ["the Denver Broncos"]), 3) == 0.8
    assert ev.token_f1("nada", ["Denver"]) == 0.0
    assert ev.contains_reference("Ganaron los Broncos de Denver.", ["broncos de denver"])
    assert not ev.contains_reference("Ganaron los Panthers.", ["Broncos"])
    assert ev.context_precision([1, 0, 1]) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert ev.context_precision([0, 0]) == 0.0
    assert ev.ndcg_at_10(1) == 1.0 and ev.ndcg_at_10(3) == pytest.approx(0.5) and ev.ndcg_at_10(None) == 0.0
    assert ev.statements("El cielo es azul [1]. El pasto es verde [2].") == ["El cielo es azul.", "El pasto es verde."]
    assert grounding.statement_supported("Los mayoristas tienen 30 días.", ["Los mayoristas tienen 30 días corridos."])
    assert not grounding.statement_supported("La luna es de queso.", ["Los mayoristas tienen 30 días corridos."])


@pytest.fixture
def eval_set(conn, tenant):
    docs = {
        "dev": ingest(conn, "Los clientes mayoristas pueden devolver mercadería dentro de los 30 días corridos.",
                      "Devoluciones", {}, tenant),
        "env": ingest(conn, "Los envíos al interior del país demoran entre 3 y 5 días hábiles.", "Envíos", {}, tenant),
        "gar": ingest(conn, "The warranty covers manufacturing defects for 12 months.", "Warranty", {}, tenant),
    }
    conn.execute("SELECT rag.refresh_text_stats()")
    set_id = conn.execute("INSERT INTO rag.eval_sets (name) VALUES (%s) RETURNING id", (tenant,)).fetchone()["id"]
    cases = [("q1", "¿Cuántos días tienen los mayoristas para devolver mercadería?", "30 días", docs["dev"]),
             ("q2", "¿Cuánto demoran los envíos al interior?", "entre 3 y 5 días hábiles", docs["env"]),
             ("q3", "How long does the warranty last?", "12 months", docs["gar"])]
    for ext, q, ref, doc in cases:
        conn.execute("INSERT INTO rag.eval_cases (set_id, external_id, question, reference_answer,"
                     " relevant_document_ids, tenant) VALUES (%s, %s, %s, %s, %s, %s)",
                     (set_id, ext, q, ref, [doc], tenant))
    yield tenant
    conn.execute("DELETE FROM rag.eval_sets WHERE id = %s", (set_id,))


def metrics(conn, run_id):
    return conn.execute("SELECT * FROM rag.eval_run_metrics WHERE run_id = %s", (run_id,)).fetchone()


def test_retrieval_run_records_rank_metrics_config_and_trend(conn, eval_set):
    run_id = conn.execute("SELECT rag.evaluate(%s, mode => 'hybrid', label => 'test') AS run_id",
                          (eval_set,)).fetchone()["run_id"]
    m = metrics(conn, run_id)
    assert m["status"] == "done" and m["cases"] == 3 and m["mode"] == "hybrid"
    assert m["finished_at"] > m["started_at"]  # wall time of the run, not the transaction's start
    ranks = [r["first_relevant_rank"] for r in conn.execute("SELECT first_relevant_rank FROM rag.eval_results"
                                                            " WHERE run_id = %s", (run_id,))]
    assert m["recall_at_1"] == pytest.approx(sum(r == 1 for r in ranks) / 3)
    assert m["mrr"] == pytest.approx(sum(1 / r for r in ranks if r) / 3)
    assert m["recall_at_1"] == 1.0  # three distinct topics
    cfg = conn.execute("SELECT config FROM rag.eval_runs WHERE id = %s", (run_id,)).fetchone()["config"]
    assert cfg["embedding_model"] == "multilingual-e5-small" and cfg["rerank"] is False
    assert m["faithfulness"] is None  # no answers in a retrieval-only run
    trend = conn.execute("SELECT count(*) AS n FROM rag.eval_trend WHERE run_id = %s", (run_id,)).fetchone()["n"]
    assert trend == 1


def test_a_case_whose_document_was_not_retrieved_counts_as_a_miss_in_recall(conn, eval_set):
    set_id = conn.execute("SELECT id FROM rag.eval_sets WHERE name = %s", (eval_set,)).fetchone()["id"]
    conn.execute("INSERT INTO rag.eval_cases (set_id, external_id, question, relevant_document_ids, tenant)"
                 " VALUES (%s, 'q4', 'How long does the warranty last?', '{-1}', %s)", (set_id, eval_set))
    run_id = conn.execute("SELECT rag.evaluate(%s) AS run_id", (eval_set,)).fetchone()["run_id"]
    m = metrics(conn, run_id)
    assert m["cases"] == 4
    assert m["recall_at_1"] == m["recall_at_5"] == m["recall_at_10"] == pytest.approx(3 / 4)
    assert m["mrr"] == pytest.approx(3 / 4)


def test_extractive_answers_are_faithful(conn, eval_set):
    run_id = conn.execute("SELECT rag.evaluate(%s, generate => true, rerank => true) AS run_id",
                          (eval_set,)).fetchone()["run_id"]
    m = metrics(conn, run_id)
    assert m["generator"] == "extractive" and m["judge"] == "lexical+embedding"
    assert m["contains_reference"] == 1.0
    assert m["faithfulness"] == 1.0 and m["hallucination_rate"] == 0.0
    assert m["context_recall"] == 1.0 and 0 < m["context_precision"] <= 1
    assert 0 < m["answer_relevancy"] <= 1
    worst = conn.execute("SELECT count(*) AS n FROM rag.eval_worst_cases WHERE run_id = %s",
                         (run_id,)).fetchone()["n"]
    assert worst == 3


def test_llm_judge_finds_an_unsupported_statement(conn, eval_set):
    def respond(body):
        prompt = body["messages"][-1]["content"]
        if "Statements:" in prompt:
            n = prompt.split("Statements:")[1].count("\n1.") + prompt.split("Statements:")[1].count("\n2.")
            return json.dumps({"supported": [True] + [False] * (n - 1)})
        if "questions" in prompt:
            return json.dumps({"questions": ["¿Cuántos días tienen los mayoristas?", "¿Plazo de devolución?"]})
        # both sentences pass the answer path's lexical guardrail; the judge
        # (this fake) rejects the second
        return ("Los clientes mayoristas pueden devolver mercadería dentro de los 30 días [1]. "
                "Los mayoristas pueden devolver mercadería dentro de los 30 días corridos [1].")

    with FakeOpenAI() as server:
        server.responder = respond
        use_endpoint(conn, "fake-judge", server.base_url)
        try:
            run_id = conn.execute("SELECT rag.evaluate(%s, generate => true, max_cases => 1) AS run_id",
                                  (eval_set,)).fetchone()["run_id"]
        finally:
            conn.execute("RESET rag.llm_endpoint")
            conn.execute("SELECT rag.unregister_endpoint('fake-judge')")
    m = metrics(conn, run_id)
    assert m["judge"].startswith("llm:")
    assert m["faithfulness"] == 0.5 and m["hallucination_rate"] == 1.0
    assert m["contains_reference"] == 1.0
    assert m["answer_relevancy"] > 0.8


def test_evaluation_procedure_completes_a_run_and_is_refused_inside_a_transaction(conn, db_url, eval_set):
    run_id = conn.execute("CALL rag.run_evaluation(%s, mode => 'text', label => 'committed')",
                          (eval_set,)).fetchone()["run_id"]
    m = metrics(conn, run_id)
    assert m["status"] == "done" and m["cases"] == 3 and m["label"] == "committed"
    # inside a transaction block a committing procedure is refused, clearly
    with psycopg.connect(db_url) as c:
        with pytest.raises(psycopg.Error, match="invalid transaction termination"):
            c.execute("CALL rag.run_evaluation(%s)", (eval_set,))


def test_unknown_set_and_bad_mode_are_clear_errors(conn, eval_set):
    with pytest.raises(psycopg.Error, match="unknown evaluation set 'nope'"):
        conn.execute("SELECT rag.evaluate('nope')")
    with pytest.raises(psycopg.Error, match="mode must be hybrid, vector or text"):
        conn.execute("SELECT rag.evaluate(%s, mode => 'x')", (eval_set,))
