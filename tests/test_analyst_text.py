"""What an analyst in psql sees: the text form of an answer, NULL in and
out, a tenant they cannot see, clean errors (SQLSTATE, message, hint, no
Python traceback) and the LLM endpoint named per call."""
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from .conftest import ingest
from ragsql.loopback_llm import FakeOpenAI

POLICY = ("# Devoluciones\nLos clientes mayoristas pueden devolver mercadería dentro de los 30 días corridos "
          "desde la entrega, siempre que presenten la factura original. Las devoluciones mayoristas generan "
          "una nota de crédito.")
WARRANTY = ("# Warranty\nNew products are covered for 12 months from delivery. Refurbished products are "
            "covered for 6 months.")
QUESTION = "¿Cuántos días tienen los mayoristas para devolver mercadería?"


@pytest.fixture
def docs(conn, tenant):
    ingest(conn, POLICY, "Política", {}, tenant, source="docs/politica.md")
    ingest(conn, WARRANTY, "Warranty", {}, tenant, source="docs/warranty.md")
    conn.execute("SELECT rag.refresh_text_stats()")


def text(conn, sql, *args):
    return conn.execute(sql, args).fetchone()["t"]


def test_the_text_form_reads_as_lines_with_its_sources(conn, tenant, docs):
    t = text(conn, "SELECT rag_answer_text(%s, %s) AS t", QUESTION, tenant)
    lines = t.split("\n")
    assert all(len(line) <= 78 for line in lines), t
    assert "30 días" in t and "[1]" in lines[0] + lines[1]
    assert "Fuentes:" in lines
    assert any(line.strip().startswith("[1] politica.md › Devoluciones") for line in lines), t
    assert "{" not in t  # no JSON
    # the rating hint names this answer's id in the log
    answer_id = conn.execute("SELECT max(id) AS id FROM rag.answer_log").fetchone()["id"]
    assert f"SELECT rag.give_feedback({answer_id}, 5)" in t


def test_the_text_form_speaks_the_questions_language_and_says_why_it_refused(conn, tenant, docs):
    t = text(conn, "SELECT rag_answer_text('What is the boiling point of mercury?', %s) AS t", tenant)
    assert t.startswith("I don't have information about that in the provided sources.")
    assert "\nWhy: " in t and "Sources:" not in t
    t = text(conn, "SELECT rag.answer_text('How long are refurbished products covered?', tenant => %s) AS t",
             tenant)
    assert "6 months" in t and "Sources:" in t and "[1] warranty.md" in t


def test_rag_answer_keeps_its_json_with_the_answer_id_and_logs_the_refusal_reason(conn, tenant, docs):
    a = conn.execute("SELECT rag_answer('Who painted the Mona Lisa?', %s) AS a", (tenant,)).fetchone()["a"]
    assert set(a) >= {"answer", "supported", "sources", "refusal_reason", "answer_id", "timings_ms"}
    row = conn.execute("SELECT refusal_reason, supported FROM rag.answer_log WHERE id = %s",
                       (a["answer_id"],)).fetchone()
    assert row["supported"] is False and row["refusal_reason"] == a["refusal_reason"] is not None


@pytest.mark.parametrize("sql", ["SELECT rag_answer(NULL) AS t", "SELECT rag.answer(NULL) AS t",
                                 "SELECT rag_answer_text(NULL) AS t", "SELECT rag.answer_text(NULL, tenant => 'x') AS t",
                                 "SELECT rag_answer(NULL, 'x', 'no-such-endpoint') AS t"])
def test_a_null_question_gives_null_and_logs_nothing(conn, sql):
    before = conn.execute("SELECT count(*) AS n FROM rag.answer_log").fetchone()["n"]
    assert text(conn, sql) is None
    assert conn.execute("SELECT count(*) AS n FROM rag.answer_log").fetchone()["n"] == before


def test_a_tenant_the_caller_cannot_see_says_so_and_is_no_oracle(conn, db_url, tenant, docs):
    role = "analyst_" + uuid.uuid4().hex[:8]
    mine = "mine_" + uuid.uuid4().hex[:8]
    conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE rag_user')
    conn.execute("SELECT rag.grant_tenant(%s, %s)", (role, mine))
    try:
        with psycopg.connect(db_url.replace("postgres@", f"{role}@", 1), autocommit=True,
                             row_factory=dict_row) as c:
            # `tenant` exists (it has documents) but is not granted; the other
            # one does not exist at all: the two replies are the same.
            replies = [c.execute("SELECT rag.answer(%s, tenant => %s) AS a", (QUESTION, t)).fetchone()["a"]
                       for t in (tenant, "no_such_tenant_" + uuid.uuid4().hex[:6], mine)]
            as_text = c.execute("SELECT rag_answer_text(%s, %s) AS t", (QUESTION, tenant)).fetchone()["t"]
            everything = c.execute("SELECT rag_answer(%s) AS a", (QUESTION,)).fetchone()["a"]
        for r in replies:
            assert r["answer"] == "Ese tenant no tiene documentos que usted pueda consultar."
            assert r["supported"] is False and r["sources"] == []
            assert r["refusal_reason"].startswith("the tenant has no documents you can see")
            assert tenant not in str(r)
        assert [{k: v for k, v in r.items() if k not in ("answer_id", "timings_ms")} for r in replies[:1]] == \
            [{k: v for k, v in r.items() if k not in ("answer_id", "timings_ms")} for r in replies[1:2]]
        assert as_text.startswith("Ese tenant no tiene documentos") and "Motivo: ese tenant no tiene documentos" in as_text
        # no tenant named, and none of the caller's tenants has a document
        assert everything["answer"] == "No hay documentos que usted pueda consultar."
        logged = conn.execute("SELECT count(*) AS n FROM rag.answer_log WHERE asked_by = %s"
                              " AND refusal_reason LIKE '%%no documents you can see%%'", (role,)).fetchone()["n"]
        assert logged == 5
    finally:
        conn.execute("SELECT rag.revoke_tenant(%s, %s)", (role, mine))
        conn.execute("DELETE FROM rag.answer_log WHERE asked_by = %s", (role,))
        conn.execute(f'DROP ROLE "{role}"')


# Bad input to the analyst-facing functions: a clear error with its SQLSTATE
# and hint, no Python class name or traceback, nothing logged or written.
BAD_INPUT = [
    ("SELECT rag.answer('')", "22023", "question must not be empty", None),
    ("SELECT rag_answer_text('   ')", "22023", "question must not be empty", None),
    ("SELECT rag.answer(repeat('x', 5000))", "22023", "question is 5000 characters long; the limit is 4000", "key sentence"),
    ("SELECT rag.answer('hola', sources => 0)", "22023", "sources must be between 1 and 10", None),
    ("SELECT rag.answer('hola', sources => NULL)", "22023", "sources must be between 1 and 10", None),
    ("SELECT rag.answer('hola', k => 0)", "22023", "k must be at least 1", None),
    ("SELECT rag.answer('hola', k => 100000)", "22023", "k must be between 1 and 1000", None),
    ("SELECT rag.answer('hola', model => 'nope')", "22023", "unknown embedding model 'nope'", "rag.embedding_models"),
    ("SELECT rag.answer('hola', filter => '[1]')", "22023", "filter must be a JSON object", None),
    ("SELECT rag_answer('hola', endpoint => 'http://203.0.113.9/v1')", "22023",
     "unknown chat endpoint 'http://203.0.113.9/v1' (endpoint argument)", "rag.llm_endpoints"),
    ("SELECT rag.answer_text('hola', endpoint => 'nope')", "22023", "unknown chat endpoint 'nope'", None),
    ("SELECT rag.give_feedback(NULL, 5)", "22004", "answer_id and rating are required", "rag.give_feedback"),
    ("SELECT rag.give_feedback(-1, 5)", "P0002", "no answer -1 that you may rate", "rag.answers"),
    ("SELECT rag.give_feedback(-1, 9)", "22023", "rating must be between 1 and 5, not 9", "1 is the worst"),
    ("SELECT rag.give_feedback(-1, 3, repeat('x', 2001))", "22001", "comment is 2001 characters long", None),
    ("SELECT rag.register_endpoint('x', 'bogus', 'http://127.0.0.1:9/v1')", "22023", "invalid endpoint kind: 'bogus'",
     "chat or embeddings"),
    ("SELECT rag.register_endpoint('x', 'chat', 'file:///etc/passwd')", "22023", "invalid endpoint base_url",
     "http://"),
    ("SELECT rag.register_endpoint(NULL, 'chat', 'http://127.0.0.1:9/v1')", "22023", "invalid endpoint name: NULL",
     None),
    ("SELECT rag.register_endpoint('x', 'chat', 'http://127.0.0.1:9/v1', timeout_ms => 0)", "22023",
     "invalid endpoint timeout_ms: '0'", "between 50 and 600000"),
    ("SELECT rag.register_endpoint('x', 'chat', 'http://127.0.0.1:9/v1', api_key_env => 'sk-secret-1')", "22023",
     "invalid endpoint api_key_env: '(not shown)'", "never the key"),
]


@pytest.mark.parametrize("sql,sqlstate,message,hint", BAD_INPUT)
def test_bad_input_is_a_clean_error(conn, sql, sqlstate, message, hint):
    written = ("SELECT (SELECT count(*) FROM rag.answer_log) + (SELECT count(*) FROM rag.feedback)"
               " + (SELECT count(*) FROM rag.llm_endpoints) AS n")
    before = conn.execute(written).fetchone()["n"]
    with pytest.raises(psycopg.Error) as err:
        conn.execute(sql)
    diag = err.value.diag
    assert diag.sqlstate == sqlstate, (diag.sqlstate, diag.message_primary)
    assert diag.message_primary.startswith(message), diag.message_primary
    assert hint is None or hint in (diag.message_hint or "")
    for leak in ("Traceback", "plpy", "spiexceptions", "PL/Python", ".py\""):
        assert leak not in str(err.value) and leak not in (diag.context or ""), str(err.value)
    assert "sk-secret" not in str(err.value)
    assert conn.execute(written).fetchone()["n"] == before


def test_the_endpoint_is_a_call_argument_naming_a_registered_endpoint(conn, tenant, docs):
    """Behind a transaction pool a SET does not follow the caller: the
    argument picks the endpoint for one call, and only a registered one."""
    with FakeOpenAI() as server:
        server.reply = "Los mayoristas tienen 30 días corridos para devolver mercadería [1]."
        conn.execute("SELECT rag.register_endpoint('per-call', 'chat', %s, model => 'm1')", (server.base_url,))
        try:
            assert conn.execute("SELECT current_setting('rag.llm_endpoint', true) AS s").fetchone()["s"] in (None, "")
            r = conn.execute("SELECT rag.answer(%s, tenant => %s, endpoint => 'per-call') AS a",
                             (QUESTION, tenant)).fetchone()["a"]
            assert r["model"].startswith("m1@") and r["answer"].startswith("Los mayoristas tienen 30 días")
            assert len(server.requests) == 1
            t = text(conn, "SELECT rag_answer_text(%s, %s, 'per-call') AS t", QUESTION, tenant)
            assert t.startswith("Los mayoristas tienen 30 días") and len(server.requests) == 2
            # the argument wins over the session's choice, and without it the session's stands
            conn.execute("SET rag.llm_endpoint = 'nope'")
            r = conn.execute("SELECT rag_answer(%s, %s, 'per-call') AS a", (QUESTION, tenant)).fetchone()["a"]
            assert r["model"].startswith("m1@")
            with pytest.raises(psycopg.errors.InvalidParameterValue, match="set in rag.llm_endpoint"):
                conn.execute("SELECT rag_answer(%s, %s)", (QUESTION, tenant))
        finally:
            conn.execute("RESET rag.llm_endpoint")
            conn.execute("SELECT rag.unregister_endpoint('per-call')")
        # a URL is not a name: no request leaves for it
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="unknown chat endpoint"):
            conn.execute("SELECT rag.answer(%s, tenant => %s, endpoint => %s)", (QUESTION, tenant, server.base_url))
        assert len(server.requests) == 3


def test_as_text_wraps_long_citations_and_notes_a_fallback():
    """The formatter alone (py_udfs/answer.py), no database."""
    from py_udfs.answer import as_text
    result = {"answer_id": 7, "answer": "New products are covered for 12 months. [2]", "supported": True,
              "language": "en", "error": "LLM unavailable (timed out); extractive fallback",
              "sources": [{"n": 1, "citation": "a.md", "cited": False},
                          {"n": 2, "citation": "guide.md › " + " › ".join(["A very long heading"] * 5),
                           "cited": True}]}
    lines = as_text(result, width=40).split("\n")
    assert lines[0] == "New products are covered for 12 months." and lines[1] == "[2]"
    assert "Sources:" in lines and not any("a.md" in line for line in lines)  # only the cited source
    assert all(len(line) <= 40 for line in lines), lines
    start = next(i for i, line in enumerate(lines) if line.startswith("  [2] guide.md"))
    assert lines[start + 1].startswith("      ")  # a citation's continuation lines are indented
    assert any(line.startswith("Note: LLM unavailable") for line in lines)
    assert lines[-2:] == ["(answer 7: rate it 1 to 5 with", "  SELECT rag.give_feedback(7, 5))"]


def test_a_spanish_refusal_gives_its_reason_in_spanish_and_programs_keep_the_english_one():
    from py_udfs.answer import as_text, reason_in
    english = "no source sentence is close enough to the question"
    result = {"answer": "No tengo información sobre eso en las fuentes provistas.", "supported": False,
              "language": "es", "refusal_reason": english, "sources": []}
    assert "Motivo: ninguna oración de las fuentes se acerca" in as_text(result)
    assert reason_in("es", "no document mentions quasar") == "ningún documento menciona quasar"
    assert reason_in("en", english) == english and result["refusal_reason"] == english
    assert reason_in("es", "a reason nobody translated") == "a reason nobody translated"


def test_every_fixed_refusal_reason_has_its_spanish_form():
    """A reason reworded in support.py or answerability.py must be translated again."""
    import re
    from py_udfs import answer
    root = Path(answer.__file__).parent
    fixed = {m for f in ("support.py", "answerability.py")
             for m in re.findall(r'^\s+return "([^"{}]+)"$', (root / f).read_text(), re.M)}
    assert len(fixed) >= 3 and fixed <= set(answer._REASONS_ES), fixed - set(answer._REASONS_ES)
