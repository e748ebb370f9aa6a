"""PII from SQL: rag.find_pii / rag.mask_pii for analysts, and the per-tenant
policy — masked before storage ('redact_at_ingest'), or masked in answers,
logs and whatever an LLM is sent ('redact_on_output')."""
import json

import psycopg
import pytest

from .conftest import ingest, loopback_chat

EMAIL, CUIT, PHONE = "laura.gimenez@estudio-gimenez.com.ar", "20-30123456-3", "+54 9 11 4321-5678"
POLICY_DOC = (f"El contacto para reclamos de facturación es Laura Giménez ({EMAIL}), teléfono {PHONE}. "
              f"Los reclamos se presentan dentro de los 10 días hábiles desde la emisión de la factura, "
              f"indicando el CUIT {CUIT} del cliente.")
QUESTION = f"¿Dentro de cuántos días se presentan los reclamos de facturación? Soy {EMAIL}"


def test_the_fixtures_cuit_has_a_valid_check_digit():
    from py_udfs.pii import cuit_is_valid
    assert cuit_is_valid(CUIT)


def test_an_analyst_masks_pii_from_sql(conn):
    masked = conn.execute("SELECT rag.mask_pii(%s) AS m", (POLICY_DOC,)).fetchone()["m"]
    for value in (EMAIL, CUIT, PHONE):
        assert value not in masked
    assert "<EMAIL>" in masked and "<CUIT>" in masked and "<PHONE>" in masked
    assert "10 días hábiles" in masked  # the rest is untouched
    found = {r["type"] for r in conn.execute("SELECT * FROM rag.find_pii(%s)", (POLICY_DOC,))}
    assert {"EMAIL", "CUIT", "PHONE"} <= found
    assert conn.execute("SELECT rag.mask_pii(NULL) AS m").fetchone()["m"] is None


@pytest.fixture
def policy(conn, tenant):
    def set_policy(mode):
        conn.execute("SELECT rag.set_pii_policy(%s, %s)", (tenant, mode))
    yield set_policy
    conn.execute("DELETE FROM rag.tenant_policies WHERE tenant = %s", (tenant,))


def test_redact_at_ingest_keeps_pii_out_of_the_index(conn, tenant, policy):
    policy("redact_at_ingest")
    doc = ingest(conn, POLICY_DOC, f"Reclamos ({EMAIL})", tenant=tenant)
    stored = conn.execute("SELECT title, content FROM rag.documents WHERE id = %s", (doc,)).fetchone()
    chunks = " ".join(r["content"] for r in conn.execute("SELECT content FROM rag.chunks WHERE document_id = %s",
                                                         (doc,)))
    for value in (EMAIL, CUIT, PHONE):
        assert value not in stored["content"] and value not in stored["title"] and value not in chunks
    assert "<EMAIL>" in stored["content"] and "10 días hábiles" in chunks
    assert conn.execute("SELECT count(*) AS n FROM rag.search(%s, tenant => %s, mode => 'text')",
                        ("laura.gimenez", tenant)).fetchone()["n"] == 0
    # the same file loaded again is recognised by the loaded text
    assert ingest(conn, POLICY_DOC, f"Reclamos ({EMAIL})", tenant=tenant) == doc


def test_redact_on_output_masks_the_answer_the_log_and_the_llm_request(conn, tenant, policy):
    policy("redact_on_output")
    doc = ingest(conn, POLICY_DOC, "Reclamos", tenant=tenant)
    assert EMAIL in conn.execute("SELECT content FROM rag.documents WHERE id = %s", (doc,)).fetchone()["content"]
    with loopback_chat(conn, "pii-chat", model="m") as llm:
        llm.reply = "Los reclamos se presentan dentro de los 10 días hábiles [1]."
        r = conn.execute("SELECT rag.answer(%s, tenant => %s) AS a", (QUESTION, tenant)).fetchone()["a"]
        sent = json.dumps(llm.requests[-1]["body"]["messages"], ensure_ascii=False)
    assert "10 días" in r["answer"]
    for value in (EMAIL, CUIT, PHONE):
        assert value not in sent, value
        assert value not in r["answer"]
    assert "<EMAIL>" in sent
    log = conn.execute("SELECT question, answer, guardrails FROM rag.answer_log WHERE tenant = %s"
                       " ORDER BY id DESC LIMIT 1", (tenant,)).fetchone()
    assert EMAIL not in log["question"] and "<EMAIL>" in log["question"]
    assert log["guardrails"].get("pii_masked") is True


def test_the_extractive_answer_is_masked_too(conn, tenant, policy):
    policy("redact_on_output")
    # The section heading and the file name carry PII too: the citation is masked with them.
    ingest(conn, f"## Escalar a {EMAIL}\n\n{POLICY_DOC}", "Reclamos", tenant=tenant, source=f"clientes/{EMAIL}/reclamos.md")
    r = conn.execute("SELECT rag.answer(%s, tenant => %s) AS a",
                     ("¿Quién es el contacto para reclamos de facturación?", tenant)).fetchone()["a"]
    assert r["model"] == "extractive" and r["supported"], r
    for value in (EMAIL, CUIT, PHONE):
        assert value not in r["answer"] and value not in json.dumps(r["sources"], ensure_ascii=False)
    assert r["sources"][0]["section"] == ["Escalar a <EMAIL>"]


def test_without_a_policy_nothing_is_masked(conn, tenant):
    ingest(conn, POLICY_DOC, "Reclamos", tenant=tenant)
    conn.execute("SELECT rag.answer(%s, tenant => %s)", (QUESTION, tenant))
    log = conn.execute("SELECT question, guardrails FROM rag.answer_log WHERE tenant = %s ORDER BY id DESC LIMIT 1",
                       (tenant,)).fetchone()
    assert EMAIL in log["question"] and "pii_masked" not in log["guardrails"]


def test_intent_questions_are_logged_masked_when_a_tenant_of_the_caller_has_a_policy(conn, db_url, tenant, policy):
    policy("redact_on_output")
    role = "pii_analyst_" + tenant
    conn.execute(f'CREATE ROLE "{role}" IN ROLE rag_user')
    conn.execute("SELECT rag.grant_tenant(%s, %s)", (role, tenant))
    try:
        with psycopg.connect(db_url, autocommit=True) as c:
            c.execute(f'SET ROLE "{role}"')
            c.execute("SELECT rag.ask(%s)", (f"ventas de la sucursal Abasto esta semana, avisame a {EMAIL}",))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("SELECT rag.set_pii_policy(%s, 'off')", (tenant,))
            assert c.execute("SELECT pii FROM rag.tenant_policies").fetchall() == [("redact_on_output",)]
        logged = conn.execute("SELECT question, guardrails FROM rag.intent_log WHERE asked_by = %s", (role,)).fetchone()
        turn = conn.execute("SELECT question FROM rag.conversation_turns WHERE asked_by = %s", (role,)).fetchone()
        assert EMAIL not in logged["question"] and "<EMAIL>" in logged["question"] and EMAIL not in turn["question"]
        assert logged["guardrails"]["pii_masked"] is True
    finally:
        for table in ("intent_log", "conversation_turns", "answer_log"):
            conn.execute(f"DELETE FROM rag.{table} WHERE asked_by = %s", (role,))
        conn.execute("SELECT rag.revoke_tenant(%s, %s)", (role, tenant))
        conn.execute(f'DROP ROLE "{role}"')
