"""rag.answer / rag_answer: citations, refusals, logging, the LLM path and
its fallbacks, bad input."""
import json
import re

import psycopg
import pytest
from psycopg.rows import dict_row

from .conftest import ingest, use_endpoint
from ragsql.loopback_llm import FakeOpenAI

REFUSAL_ES = "No tengo información sobre eso en las fuentes provistas."
REFUSAL_EN = "I don't have information about that in the provided sources."

DOCS = [
    ("Política de devoluciones",
     "Los clientes mayoristas pueden devolver mercadería dentro de los 30 días corridos desde la entrega, "
     "siempre que presenten la factura original. Las devoluciones mayoristas generan una nota de crédito.\n\n"
     "Los clientes minoristas tienen 15 días para devolver productos sin uso."),
    ("Warranty policy",
     "New products are covered for 12 months from delivery. Refurbished products are covered for 6 months. "
     "The warranty does not cover damage caused by misuse."),
    ("Envíos",
     "Los pedidos confirmados antes de las 14 horas se despachan el mismo día hábil. "
     "En el interior del país la entrega demora entre 3 y 5 días hábiles."),
]


@pytest.fixture
def docs(conn, tenant):
    ids = [ingest(conn, text, title, {}, tenant) for title, text in DOCS]
    conn.execute("SELECT rag.refresh_text_stats()")
    return ids


def answer(conn, question, tenant):
    return conn.execute("SELECT rag.answer(%s, tenant => %s) AS answer", (question, tenant)).fetchone()["answer"]


def citations(text):
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def test_answer_cites_only_retrieved_sources(conn, tenant, docs):
    r = answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
    assert r["supported"] is True and r["model"] == "extractive"
    assert "30 días" in r["answer"]
    cited = citations(r["answer"])
    assert cited and cited <= {s["n"] for s in r["sources"]}
    assert 3 <= len(r["sources"]) <= 5
    assert {s["document_id"] for s in r["sources"]} <= set(docs)
    by_n = {s["n"]: s for s in r["sources"]}
    assert by_n[min(cited)]["title"] == "Política de devoluciones"
    assert set(r["timings_ms"]) >= {"retrieval_ms", "total_ms"}


def test_english_question_gets_an_english_answer(conn, tenant, docs):
    r = answer(conn, "How long are refurbished products covered?", tenant)
    assert r["supported"] and "6 months" in r["answer"]
    assert r["language"] == "en"


@pytest.mark.parametrize("question,refusal", [
    ("¿Quién ganó el mundial de fútbol de 1986?", REFUSAL_ES),
    ("¿Cuál es la capital de Mongolia?", REFUSAL_ES),
    ("What is the boiling point of mercury?", REFUSAL_EN),
    ("Who painted the Mona Lisa?", REFUSAL_EN),
])
def test_off_topic_gets_no_information_answer(conn, tenant, docs, question, refusal):
    r = answer(conn, question, tenant)
    assert r["answer"] == refusal
    assert r["supported"] is False
    assert citations(r["answer"]) == set()


def test_public_rag_answer_works_without_the_rag_schema_on_the_path(conn, db_url):
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
        c.execute("SET search_path = public")
        r = c.execute("SELECT rag_answer('¿Quién ganó el mundial de 1986?') AS answer").fetchone()["answer"]
    assert set(r) >= {"answer", "sources", "model", "timings_ms"}


def test_answers_are_logged_with_their_sources(conn, tenant, docs):
    q = "¿Cuántos días tienen los minoristas para devolver productos?"
    r = answer(conn, q, tenant)
    row = conn.execute("SELECT answer, chunk_ids, model, supported, timings_ms, error FROM rag.answer_log"
                       " WHERE question = %s AND tenant = %s ORDER BY id DESC LIMIT 1", (q, tenant)).fetchone()
    assert row["answer"] == r["answer"]
    assert row["chunk_ids"] == [s["chunk_id"] for s in r["sources"]]
    assert row["model"] == "extractive" and row["supported"] is True and "retrieval_ms" in row["timings_ms"]
    assert row["error"] is None
    assert conn.execute("SELECT count(*) AS n FROM rag.answers WHERE question = %s", (q,)).fetchone()["n"] >= 1


@pytest.mark.parametrize("question,msg", [
    ("", "question must not be empty"),
    ("   ", "question must not be empty"),
    ("x" * 5000, "the limit is 4000"),
])
def test_empty_or_too_long_questions_are_rejected_and_not_logged(conn, question, msg):
    before = conn.execute("SELECT count(*) AS n FROM rag.answer_log").fetchone()["n"]
    with pytest.raises(psycopg.Error, match=msg):
        conn.execute("SELECT rag.answer(%s)", (question,))
    assert conn.execute("SELECT count(*) AS n FROM rag.answer_log").fetchone()["n"] == before


# --- the OpenAI-compatible path, against a loopback server -----------------

@pytest.fixture
def llm(conn):
    with FakeOpenAI() as server:
        use_endpoint(conn, "fake-chat", server.base_url, model="test-model")
        conn.execute("SET rag.llm_api_key = 'sk-test-SECRET-123'")
        conn.execute("SET rag.llm_timeout_ms = 800")
        try:
            yield server
        finally:
            for s in ("rag.llm_endpoint", "rag.llm_api_key", "rag.llm_timeout_ms"):
                conn.execute(f"RESET {s}")
            conn.execute("SELECT rag.unregister_endpoint('fake-chat')")


def test_llm_answer_speaks_the_openai_protocol_and_drops_unknown_citations(conn, tenant, docs, llm):
    llm.reply = "Los mayoristas tienen 30 días corridos para devolver mercadería [1]. También citan [9]."
    r = answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
    assert r["model"].startswith("test-model@http://127.0.0.1")
    assert r["error"] is None
    assert r["answer"].startswith("Los mayoristas tienen 30 días corridos")
    assert "[9]" not in r["answer"]  # a citation to a source that was not given is dropped
    req = llm.requests[-1]
    assert req["path"] == "/v1/chat/completions"
    assert req["authorization"] == "Bearer sk-test-SECRET-123"
    assert req["body"]["model"] == "test-model"
    system, user = (m["content"] for m in req["body"]["messages"])
    assert REFUSAL_ES in system and "Spanish" in system
    assert "[1] " in user and "mayoristas" in user and user.endswith("devolver mercadería?")


def test_guardrail_drops_unsupported_generated_statements(conn, tenant, docs, llm):
    llm.reply = "Los mayoristas tienen 30 días corridos para devolver mercadería [1]. La luna es de queso [2]."
    r = answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
    assert r["answer"] == "Los mayoristas tienen 30 días corridos para devolver mercadería [1]."
    assert r["guardrail"] == "dropped 1 statement(s) the sources do not support"
    llm.reply = "La luna es de queso [1]."  # nothing supported: extractive answer instead
    r = answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
    assert r["model"] == "extractive" and "30 días" in r["answer"] and "luna" not in r["answer"]


def test_llm_refusal_is_kept(conn, tenant, docs, llm):
    llm.reply = REFUSAL_ES
    r = answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
    assert r["answer"] == REFUSAL_ES and r["supported"] is False


def test_llm_timeout_falls_back_to_extractive(conn, tenant, docs, llm):
    llm.mode, llm.delay = "slow", 3.0
    r = answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
    assert r["model"] == "extractive"
    assert "Timeout" in r["error"] and "fallback" in r["error"]
    assert "30 días" in r["answer"] and citations(r["answer"])
    assert r["timings_ms"]["generation_ms"] < 2500


def test_one_deadline_bounds_the_whole_llm_call_however_the_reply_trickles(conn, tenant, docs, llm):
    llm.mode, llm.delay = "trickle", 0.2  # each read is quick; the whole reply takes several seconds
    r = answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
    assert r["model"] == "extractive" and "Timeout" in r["error"] and "fallback" in r["error"]
    assert r["timings_ms"]["generation_ms"] < 2000


@pytest.mark.parametrize("mode,reply,reason", [
    ("malformed", None, "malformed chat completion response"),
    ("ok", "palabra " * 50_000, "is too long for max_tokens"),
])
def test_a_malformed_or_oversized_reply_falls_back_with_the_reason(conn, tenant, docs, llm, mode, reply, reason):
    llm.mode = mode
    if reply:
        llm.reply = reply
    r = answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
    assert r["model"] == "extractive" and reason in r["error"] and "30 días" in r["answer"]
    assert r["timings_ms"]["total_ms"] < 5000


def test_llm_timeout_takes_units_and_a_bad_one_is_a_clear_error(conn, tenant, docs, llm):
    llm.reply = "Los mayoristas tienen 30 días corridos para devolver mercadería [1]."
    conn.execute("SET rag.llm_timeout_ms = '2s'")
    r = answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
    assert r["model"].startswith("test-model@") and r["error"] is None
    conn.execute("SET rag.llm_timeout_ms = 'two seconds'")
    with pytest.raises(psycopg.Error, match="rag.llm_timeout_ms must be a duration such as 30000, '2s' or '500ms'"):
        answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)


def test_a_cancel_stops_an_answer_waiting_for_the_llm(conn, tenant, docs, llm):
    import time
    llm.mode, llm.delay = "slow", 20.0
    conn.execute("SET rag.llm_timeout_ms = '30s'")
    conn.execute("SET statement_timeout = '1s'")
    t = time.perf_counter()
    with pytest.raises(psycopg.errors.QueryCanceled):
        answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
    assert time.perf_counter() - t < 10  # not the 20 s the server takes, nor the 30 s deadline
    conn.execute("RESET statement_timeout")


def test_an_unreachable_endpoint_falls_back_and_is_not_retried_during_its_cool_down(conn, tenant, docs):
    import socket
    with socket.socket() as s:  # a loopback port with nothing listening: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    use_endpoint(conn, "refusing", f"http://127.0.0.1:{port}/v1", model="test-model")
    try:
        first = answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
        assert first["model"] == "extractive" and "APIConnectionError" in first["error"], first
        assert "30 días" in first["answer"]
        second = answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
        assert second["model"] == "extractive" and "not retried" in second["error"], second
    finally:
        conn.execute("RESET rag.llm_endpoint")
        conn.execute("SELECT rag.unregister_endpoint('refusing')")


def test_llm_http_500_falls_back_to_extractive(conn, tenant, docs, llm):
    llm.mode = "error"
    r = answer(conn, "How long are refurbished products covered?", tenant)
    assert r["model"] == "extractive" and "HTTP 500" in r["error"]
    assert "6 months" in r["answer"] and citations(r["answer"])


def test_unreachable_llm_falls_back_to_extractive(conn, tenant, docs):
    use_endpoint(conn, "nowhere", "http://127.0.0.1:9/v1")  # nothing listens on port 9
    try:
        r = answer(conn, "How long are refurbished products covered?", tenant)
    finally:
        conn.execute("RESET rag.llm_endpoint")
        conn.execute("SELECT rag.unregister_endpoint('nowhere')")
    assert r["model"] == "extractive" and "Connection" in r["error"]


def test_off_topic_does_not_call_the_llm(conn, tenant, docs, llm):
    llm.reply = "Argentina ganó [1]."
    r = answer(conn, "¿Quién ganó el mundial de fútbol de 1986?", tenant)
    assert r["answer"] == REFUSAL_ES and llm.requests == []


def test_api_key_never_lands_in_tables(conn, tenant, docs, llm):
    llm.mode = "error"
    answer(conn, "How long are refurbished products covered?", tenant)
    llm.mode = "ok"
    answer(conn, "How long are refurbished products covered?", tenant)
    dump = json.dumps(conn.execute("SELECT json_agg(l) AS log FROM rag.answer_log l").fetchone()["log"])
    assert "SECRET" not in dump


# --- which endpoint the server may call: registered ones only ---------------

def test_a_session_cannot_point_the_server_at_a_url(conn, tenant, docs):
    with FakeOpenAI() as server:
        conn.execute("SELECT set_config('rag.llm_base_url', %s, false)", (server.base_url,))  # no longer read
        try:
            r = answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
        finally:
            conn.execute("RESET rag.llm_base_url")
        assert r["model"] == "extractive" and server.requests == []


def test_an_unknown_endpoint_is_a_clear_error(conn, tenant, docs):
    conn.execute("SET rag.llm_endpoint = 'nope'")
    try:
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="unknown chat endpoint 'nope'"):
            answer(conn, "¿Cuántos días tienen los mayoristas para devolver mercadería?", tenant)
    finally:
        conn.execute("RESET rag.llm_endpoint")


def test_a_server_key_goes_only_to_the_endpoint_that_names_it(conn, tenant, docs):
    # HF_HUB_OFFLINE=1 is in every backend's environment (rag._py_init sets it):
    # it stands in for a server-held API key.
    q = "¿Cuántos días tienen los mayoristas para devolver mercadería?"
    with FakeOpenAI() as keyed, FakeOpenAI() as other:
        try:
            use_endpoint(conn, "keyed", keyed.base_url, api_key_env="HF_HUB_OFFLINE")
            answer(conn, q, tenant)
            use_endpoint(conn, "other", other.base_url)
            answer(conn, q, tenant)
        finally:
            conn.execute("RESET rag.llm_endpoint")
            conn.execute("SELECT rag.unregister_endpoint('keyed'), rag.unregister_endpoint('other')")
    assert [r["authorization"] for r in keyed.requests] == ["Bearer 1"]
    assert [r["authorization"] for r in other.requests] == ["Bearer unused"]


def test_analysts_cannot_register_endpoints(conn):
    conn.execute("CREATE ROLE ragsql_test_endpoint_analyst IN ROLE rag_user")
    try:
        conn.execute("SET ROLE ragsql_test_endpoint_analyst")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT rag.register_endpoint('evil', 'chat', 'http://203.0.113.1/v1')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO rag.llm_endpoints (name, kind, base_url) VALUES ('evil', 'chat', 'http://x/v1')")
    finally:
        conn.execute("RESET ROLE")
        conn.execute("DROP ROLE ragsql_test_endpoint_analyst")
