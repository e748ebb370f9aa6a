"""Answer prompts through the promotion gate: rag.evaluate(prompt => ...)
measures a registered prompt that is not in Production, the run names it,
refusal precision/recall/F1 come from cases marked {"answerable": false},
and a prompt whose refusals are worse is blocked while an equal one is
promoted and then given to the LLM by rag.answer.

The chat endpoint is the loopback server: a reader that answers with the
first source's first sentence, and refuses whenever the system prompt asks
for refusals when in doubt. The refusals, the metrics and the gate are the
product's own."""
import re
import uuid

import psycopg
import pytest

from py_udfs.answer import REFUSAL

from .conftest import ingest, loopback_chat
from .test_stages import FILLER, TOPICS, stage_of, transition

UNANSWERABLE = ["¿Quién ganó el campeonato mundial de ajedrez de 1972?",
                "¿Cuál es la capital de Australia?"]
CAUTIOUS = "WHEN-IN-DOUBT. Refuse when in doubt with {refusal}. Reply in {language_name}; sources <source-{nonce}>."
PLAIN = "PLAIN-V2. Answer in {language_name} from the <source-{nonce}> blocks only, or reply exactly {refusal}"
_SOURCE = re.compile(r"<source-\w+ n=\"1\">\s*(.*?)</source-", re.S)


def reader(body):
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    if REFUSAL["es"] not in system:  # the judge's requests: no verdict to give
        return ""
    if system.startswith("WHEN-IN-DOUBT"):
        return REFUSAL["es"]
    first = _SOURCE.search(user)
    return (first.group(1).split(". ")[0].rstrip(".") + ". [1]") if first else REFUSAL["es"]


@pytest.fixture
def refusal_set(conn, tenant):
    ids = [ingest(conn, text, title, {}, tenant) for title, text, _ in TOPICS]
    for i, text in enumerate(FILLER):
        ingest(conn, text, f"Nota {i}", {}, tenant)
    conn.execute("SELECT rag.refresh_text_stats()")
    tag = uuid.uuid4().hex[:8]
    name = f"refusals_{tag}"
    set_id = conn.execute("INSERT INTO rag.eval_sets (name) VALUES (%s) RETURNING id", (name,)).fetchone()["id"]
    for (title, _, question), doc in zip(TOPICS, ids):
        conn.execute("INSERT INTO rag.eval_cases (set_id, external_id, question, relevant_document_ids, tenant)"
                     " VALUES (%s, %s, %s, %s, %s)", (set_id, title, question, [doc], tenant))
    for i, question in enumerate(UNANSWERABLE):
        conn.execute("INSERT INTO rag.eval_cases (set_id, external_id, question, tenant, metadata)"
                     " VALUES (%s, %s, %s, %s, '{\"answerable\": false}')", (set_id, f"none{i}", question, tenant))
    prompts = {"cautious": f"cautious_{tag}", "plain": f"plain_{tag}"}
    conn.execute("INSERT INTO rag.answer_prompts (name, template) VALUES (%s, %s), (%s, %s)",
                 (prompts["cautious"], CAUTIOUS, prompts["plain"], PLAIN))
    conn.execute("INSERT INTO rag.promotion_gates (kind, set_name, metric, tolerance)"
                 " VALUES ('answer_prompt', %s, 'refusal_f1', 0.05)", (name,))
    yield {"set": name, **prompts}
    conn.execute("DELETE FROM rag.promotion_gates WHERE set_name = %s", (name,))
    conn.execute("DELETE FROM rag.eval_sets WHERE id = %s", (set_id,))
    if stage_of(conn, "answer_prompt", "answer_v3") != "Production":
        transition(conn, "answer_prompt", "answer_v3", "Production", force=True, reason="test cleanup")
    conn.execute("DELETE FROM rag.artefact_stages WHERE name IN (%s, %s)", (prompts["cautious"], prompts["plain"]))
    conn.execute("DELETE FROM rag.answer_prompts WHERE name IN (%s, %s)", (prompts["cautious"], prompts["plain"]))


def evaluate(conn, name, prompt=None):
    return conn.execute("SELECT rag.evaluate(%s, generate => true, prompt => %s) AS id", (name, prompt)).fetchone()["id"]


def refusal_figures(conn, run_id):
    """Refusal precision, recall and F1 counted here from the run's rows."""
    rows = conn.execute("SELECT x.supported, c.metadata @> '{\"answerable\": false}' AS unanswerable"
                        " FROM rag.eval_results x JOIN rag.eval_cases c ON c.id = x.case_id WHERE x.run_id = %s",
                        (run_id,)).fetchall()
    refused = [r for r in rows if not r["supported"]]
    hits = sum(r["unanswerable"] for r in refused)
    precision, recall = hits / len(refused), hits / sum(r["unanswerable"] for r in rows)
    return precision, recall, 2 * precision * recall / (precision + recall)


def test_a_prompt_that_refuses_too_much_is_blocked_and_an_equal_one_promoted(conn, refusal_set):
    name = refusal_set["set"]
    with loopback_chat(conn, "prompt_gate") as server:
        server.responder = reader
        production_run = evaluate(conn, name)
        generation = [r for r in server.requests if REFUSAL["es"] in r["body"]["messages"][0]["content"]]
        assert generation and all(r["body"]["messages"][0]["content"].startswith("Answer the question")
                                  for r in generation)  # the shipped prompt, in Production
        cautious_run = evaluate(conn, name, refusal_set["cautious"])
        metrics = {r["run_id"]: r for r in conn.execute(
            "SELECT run_id, refusal_precision, refusal_recall, refusal_f1 FROM rag.eval_run_metrics"
            " WHERE run_id IN (%s, %s)", (production_run, cautious_run)).fetchall()}
        for run_id in (production_run, cautious_run):
            m = metrics[run_id]
            assert (m["refusal_precision"], m["refusal_recall"], m["refusal_f1"]) == pytest.approx(
                refusal_figures(conn, run_id))
        assert conn.execute("SELECT config ->> 'answer_prompt' AS p FROM rag.eval_runs WHERE id = %s",
                            (cautious_run,)).fetchone()["p"] == refusal_set["cautious"]
        weak, strong = metrics[cautious_run]["refusal_f1"], metrics[production_run]["refusal_f1"]
        assert weak < strong - 0.05  # measured: the cautious prompt refuses answerable questions
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as blocked:
            transition(conn, "answer_prompt", refusal_set["cautious"], "Production")
        assert (f"refusal_f1 {weak:.3f} < production {strong:.3f} - tolerance 0.050: worse by {strong - weak:.3f}"
                in str(blocked.value))
        assert stage_of(conn, "answer_prompt", "answer_v3") == "Production"

        evaluate(conn, name, refusal_set["plain"])
        moved = transition(conn, "answer_prompt", refusal_set["plain"], "Production", reason="same refusals")
        assert (moved["from"], moved["replaced"], moved["forced"]) == ("None", "answer_v3", False)
        assert stage_of(conn, "answer_prompt", "answer_v3") == "Archived"
        conn.execute("SELECT rag.answer(%s, tenant => (SELECT tenant FROM rag.eval_cases c JOIN rag.eval_sets s"
                     " ON s.id = c.set_id WHERE s.name = %s LIMIT 1))", (TOPICS[0][2], name))
        assert server.requests[-1]["body"]["messages"][0]["content"].startswith("PLAIN-V2")
    evidence = conn.execute("SELECT evidence FROM rag.stage_history WHERE name = %s ORDER BY id DESC LIMIT 1",
                            (refusal_set["plain"],)).fetchone()["evidence"]
    assert [(g["metric"], g["production_name"], g["passes"]) for g in evidence["gate"]] == [
        ("refusal_f1", "answer_v3", True)]


def test_a_prompt_is_evaluated_only_when_registered_and_given_to_an_llm(conn, refusal_set):
    before = conn.execute("SELECT count(*) AS n FROM rag.eval_runs").fetchone()["n"]
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="only given to an LLM") as e:
        evaluate(conn, refusal_set["set"], refusal_set["plain"])  # no chat endpoint: extractive answers
    assert "generate => true" in e.value.diag.message_hint
    with loopback_chat(conn, "prompt_gate") as server:
        server.responder = reader
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="unknown answer prompt 'nope'"):
            evaluate(conn, refusal_set["set"], "nope")
    assert conn.execute("SELECT count(*) AS n FROM rag.eval_runs").fetchone()["n"] == before
    assert stage_of(conn, "answer_prompt", refusal_set["plain"]) == "None"
