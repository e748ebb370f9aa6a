"""Stages of versioned artefacts and the promotion gate: a candidate reaches
Production only with an evaluation run on the gated sets and no gated
metric worse than Production's beyond the tolerance; owners may force it,
and every move is in the history."""
import json
import uuid

import psycopg
import pytest

from .conftest import ingest, loopback_chat

TOPICS = [
    ("Devoluciones", "Los clientes mayoristas pueden devolver mercadería dentro de los 30 días corridos.",
     "¿Cuántos días tienen los mayoristas para devolver mercadería?"),
    ("Envíos", "Los pedidos confirmados antes de las 14 horas se despachan el mismo día hábil.",
     "¿Hasta qué hora se despachan los pedidos en el día?"),
    ("Garantía", "Los productos nuevos tienen doce meses de garantía desde la entrega.",
     "¿Cuántos meses de garantía tienen los productos nuevos?"),
    ("Pagos", "Aceptamos transferencias bancarias y tarjetas de crédito en hasta seis cuotas.",
     "¿En cuántas cuotas se puede pagar con tarjeta?"),
    ("Horarios", "El local de atención al público abre de lunes a viernes de 9 a 18 horas.",
     "¿Qué horario tiene el local de atención al público?"),
    ("Facturas", "Las facturas electrónicas se envían por correo dentro de las 48 horas de la compra.",
     "¿Cuándo llega la factura electrónica por correo?"),
]
FILLER = [f"Nota interna número {i} sobre inventario, depósito y logística del trimestre." for i in range(8)]


def transition(conn, kind, name, stage, **kw):
    args = "".join(f", {k} => %({k})s" for k in kw)
    return conn.execute(f"SELECT rag.transition_stage(%(kind)s, %(name)s, %(stage)s{args}) AS r",
                        dict(kind=kind, name=name, stage=stage, **kw)).fetchone()["r"]


def stage_of(conn, kind, name):
    return conn.execute("SELECT stage FROM rag.artefact_stages_current WHERE kind = %s AND name = %s",
                        (kind, name)).fetchone()["stage"]


@pytest.fixture
def gated_set(conn, tenant):
    """A small retrieval set in a tenant of its own, gating reranker
    promotions on nDCG@10; the gate, the set and the rerankers the test
    registers are removed afterwards, and 'signals' is the default again."""
    tag = uuid.uuid4().hex[:8]
    ids = [ingest(conn, text, title, {}, tenant) for title, text, _ in TOPICS]
    for i, text in enumerate(FILLER):
        ingest(conn, text, f"Nota {i}", {}, tenant)
    conn.execute("SELECT rag.refresh_text_stats()")
    name = f"gate_{tag}"
    set_id = conn.execute("INSERT INTO rag.eval_sets (name) VALUES (%s) RETURNING id", (name,)).fetchone()["id"]
    for (title, _, question), doc in zip(TOPICS, ids):
        conn.execute("INSERT INTO rag.eval_cases (set_id, external_id, question, relevant_document_ids, tenant)"
                     " VALUES (%s, %s, %s, %s, %s)", (set_id, title, question, [doc], tenant))
    conn.execute("INSERT INTO rag.promotion_gates (kind, set_name, metric, tolerance)"
                 " VALUES ('reranker', %s, 'ndcg_at_10', 0.01)", (name,))
    yield {"set": name, "tag": tag}
    conn.execute("UPDATE rag.rerankers SET is_default = false WHERE is_default")
    conn.execute("UPDATE rag.rerankers SET is_default = true WHERE name = 'signals'")
    conn.execute("DELETE FROM rag.artefact_stages WHERE kind = 'reranker'")
    conn.execute("DELETE FROM rag.rerankers WHERE name LIKE %s", (f"%_{tag}",))
    conn.execute("DELETE FROM rag.promotion_gates WHERE set_name = %s", (name,))
    conn.execute("DELETE FROM rag.eval_sets WHERE id = %s", (set_id,))


def register_reranker(conn, name, cosine):
    conn.execute("SELECT rag.register_reranker(%s, 'signals', '', %s)",
                 (name, json.dumps({"weights": {"cosine": cosine, "coverage": cosine / 2, "rrf": 0.0}})))


def ndcg(conn, run_id):
    return conn.execute("SELECT ndcg_at_10 FROM rag.eval_run_metrics WHERE run_id = %s", (run_id,)).fetchone()[
        "ndcg_at_10"]


def test_a_worse_candidate_is_blocked_and_an_equal_one_promoted(conn, gated_set):
    tag, name = gated_set["tag"], gated_set["set"]
    production = ndcg(conn, conn.execute("SELECT rag.evaluate(%s, rerank => true) AS id", (name,)).fetchone()["id"])
    worse, equal = f"inverted_{tag}", f"same_{tag}"
    register_reranker(conn, worse, -1.0)  # ranks the least similar chunk first
    register_reranker(conn, equal, 1.0)
    weak = ndcg(conn, conn.execute("SELECT rag.evaluate(%s, reranker => %s) AS id", (name, worse)).fetchone()["id"])
    assert weak < production - 0.01  # the candidate really is worse, measured
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as blocked:
        transition(conn, "reranker", worse, "Production")
    msg = str(blocked.value)
    assert "ndcg_at_10" in msg and f"< production {production:.3f}"[:22] in msg and "tolerance 0.010" in msg
    assert f"worse by {production - weak:.3f}" in msg
    assert "force => true" in blocked.value.diag.message_hint
    assert stage_of(conn, "reranker", worse) == "None"
    assert conn.execute("SELECT name FROM rag.rerankers WHERE is_default").fetchone()["name"] == "signals"

    conn.execute("SELECT rag.evaluate(%s, reranker => %s)", (name, equal))
    moved = transition(conn, "reranker", equal, "Production", reason="same weights, evaluated")
    assert (moved["from"], moved["to"], moved["forced"], moved["replaced"]) == ("None", "Production", False, "signals")
    assert [g["passes"] for g in moved["gate"]] == [True]
    assert conn.execute("SELECT name FROM rag.rerankers WHERE is_default").fetchone()["name"] == equal
    assert stage_of(conn, "reranker", "signals") == "Archived"  # archive_existing => true
    history = conn.execute("SELECT name, from_stage, to_stage, forced, changed_by, evidence FROM rag.stage_history"
                           " WHERE kind = 'reranker' ORDER BY id DESC LIMIT 2").fetchall()
    assert [(h["name"], h["from_stage"], h["to_stage"]) for h in history] == [
        (equal, "None", "Production"), ("signals", "Production", "Archived")]
    assert history[0]["evidence"]["gate"][0]["candidate"] == pytest.approx(production, abs=0.01)
    assert history[0]["changed_by"] == "postgres"


def test_without_a_run_or_without_gates_nothing_is_promoted(conn, gated_set):
    fresh = f"fresh_{gated_set['tag']}"
    register_reranker(conn, fresh, 1.0)
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="no finished evaluation run"):
        transition(conn, "reranker", fresh, "Production")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="no golden set gates intent_parser") as e:
        transition(conn, "intent_parser", "rules", "Production")
    assert "rag.promotion_gates" in e.value.diag.message_hint
    assert stage_of(conn, "intent_parser", "llm") == "Production"


def test_archive_existing_false_returns_production_to_staging_and_a_forced_move_is_recorded(conn, gated_set):
    other = f"forced_{gated_set['tag']}"
    register_reranker(conn, other, 0.5)
    moved = transition(conn, "reranker", other, "Production", archive_existing=False, force=True,
                       reason="hotfix: evaluated offline")
    assert moved["forced"] is True
    assert stage_of(conn, "reranker", "signals") == "Staging"
    row = conn.execute("SELECT forced, reason FROM rag.stage_history WHERE kind = 'reranker' AND name = %s",
                       (other,)).fetchone()
    assert (row["forced"], row["reason"]) == (True, "hotfix: evaluated offline")


def test_intent_parsers_are_gated_on_their_golden_set_accuracy(conn):
    first = conn.execute("SELECT coalesce(max(id), 0) AS id FROM rag.intent_eval_runs").fetchone()["id"]
    conn.execute("INSERT INTO rag.promotion_gates (kind, set_name, metric, tolerance)"
                 " VALUES ('intent_parser', 'golden_intents', 'intent_accuracy', 0.01)")
    try:
        # as `make eval-intents` records them: one row per parser and run
        for parser, accuracy in (("llm", 0.97), ("rules", 0.95)):
            conn.execute("INSERT INTO rag.intent_eval_runs (parser, cases, accuracy, coverage, rejection, median_ms)"
                         " VALUES (%s, 100, %s, 1, 1, 20)", (parser, accuracy))
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState,
                           match=r"intent_accuracy 0\.950 < production 0\.970 - tolerance 0\.010"):
            transition(conn, "intent_parser", "rules", "Production")
    finally:
        conn.execute("DELETE FROM rag.promotion_gates WHERE kind = 'intent_parser'")
        conn.execute("DELETE FROM rag.intent_eval_runs WHERE id > %s", (first,))


def test_the_production_prompt_and_parser_are_the_ones_used(conn, tenant):
    ingest(conn, "Los clientes mayoristas pueden devolver mercadería dentro de los 30 días corridos.",
           "Devoluciones", {}, tenant)
    name = "terse_" + uuid.uuid4().hex[:8]
    conn.execute("INSERT INTO rag.answer_prompts (name, template) VALUES (%s, %s)",
                 (name, "MARKER-PROMPT. Answer in {language_name} from the <source-{nonce}> blocks or say {refusal}"))
    try:
        transition(conn, "answer_prompt", name, "Production", force=True, reason="prompt test")
        transition(conn, "intent_parser", "rules", "Production", force=True, reason="rules only")
        with loopback_chat(conn, "stage_prompt") as server:
            server.reply = "Treinta días [1]."
            conn.execute("SELECT rag.answer('¿Cuántos días tienen los mayoristas para devolver mercadería?',"
                         " tenant => %s)", (tenant,))
            assert server.requests[-1]["body"]["messages"][0]["content"].startswith("MARKER-PROMPT")
            calls = len(server.requests)
            conn.execute("SELECT rag.ask('¿Cuánto vendió la sucursal Palermo en marzo de 2025?')")
            assert len(server.requests) == calls  # the rules parser in Production: no LLM parse
    finally:
        transition(conn, "answer_prompt", "answer_v3", "Production", force=True, reason="restore")
        transition(conn, "intent_parser", "llm", "Production", force=True, reason="restore")
    assert stage_of(conn, "answer_prompt", name) == "Archived"


@pytest.mark.parametrize("args, state, msg", [
    (("model", "x", "Production"), "22023", "unknown artefact kind"),
    (("reranker", "signals", "Live"), "22023", "unknown stage"),
    (("reranker", "nope", "Staging"), "22023", "unknown reranker 'nope'"),
    (("reranker", "signals", "Archived"), "55000", "is in Production"),
])
def test_bad_transitions_are_clear_errors_and_change_nothing(conn, args, state, msg):
    before = conn.execute("SELECT count(*) AS n FROM rag.stage_history").fetchone()["n"]
    with pytest.raises(psycopg.Error, match=msg) as e:
        transition(conn, *args)
    assert e.value.sqlstate == state
    assert conn.execute("SELECT count(*) AS n FROM rag.stage_history").fetchone()["n"] == before


def test_analysts_cannot_move_stages_and_promoters_cannot_force(conn, db_url):
    tag = uuid.uuid4().hex[:8]
    analyst, promoter = f"st_analyst_{tag}", f"st_promoter_{tag}"
    conn.execute(f'CREATE ROLE "{analyst}" LOGIN IN ROLE rag_user')
    conn.execute(f'CREATE ROLE "{promoter}" LOGIN IN ROLE rag_promoter')
    try:
        with psycopg.connect(db_url.replace("postgres@", f"{analyst}@", 1), autocommit=True) as c:
            assert c.execute("SELECT count(*) FROM rag.artefact_stages_current").fetchone()[0] >= 4
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("SELECT rag.transition_stage('reranker', 'signals', 'Staging')")
        with psycopg.connect(db_url.replace("postgres@", f"{promoter}@", 1), autocommit=True) as c:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="only an owner may force"):
                c.execute("SELECT rag.transition_stage('intent_parser', 'rules', 'Production', force => true,"
                          " reason => 'x')")
            with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="no golden set gates"):
                c.execute("SELECT rag.transition_stage('intent_parser', 'rules', 'Production')")
    finally:
        conn.execute(f'DROP ROLE "{analyst}"')
        conn.execute(f'DROP ROLE "{promoter}"')


def test_an_english_only_model_is_blocked_on_spanish_and_forcing_keeps_activate_models_checks(conn, gated_set):
    name, weak_model, active = gated_set["set"], "all-minilm-l6-v2", "multilingual-e5-small"
    conn.execute("INSERT INTO rag.promotion_gates (kind, set_name, metric, tolerance)"
                 " VALUES ('embedding_model', %s, 'ndcg_at_10', 0.01)", (name,))
    try:
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="no finished evaluation run"):
            transition(conn, "embedding_model", weak_model, "Production")
        conn.execute("CALL rag.reembed(%s, 16)", (weak_model,))
        # vector-only: the text leg would hide what the model cannot do
        runs = {m: conn.execute("SELECT rag.evaluate(%s, mode => 'vector', model => %s) AS id", (name, m)
                                ).fetchone()["id"] for m in (active, weak_model)}
        strong, weak = ndcg(conn, runs[active]), ndcg(conn, runs[weak_model])
        assert weak < strong - 0.01  # measured: MiniLM was trained on English only
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState,
                           match=rf"ndcg_at_10 {weak:.3f} < production {strong:.3f} - tolerance 0\.010"):
            transition(conn, "embedding_model", weak_model, "Production")
        assert conn.execute("SELECT name FROM rag.embedding_models WHERE active").fetchone()["name"] == active

        moved = transition(conn, "embedding_model", weak_model, "Production", force=True, reason="compare in prod")
        assert (moved["forced"], moved["replaced"]) == (True, active)
        assert conn.execute("SELECT name FROM rag.embedding_models WHERE active").fetchone()["name"] == weak_model
        assert stage_of(conn, "embedding_model", active) == "Archived"
        conn.execute("SELECT rag.drop_embeddings(%s)", (active,))
        with pytest.raises(psycopg.Error, match=f"model {active} has no embedding for"):  # activate_model's check
            transition(conn, "embedding_model", active, "Production", force=True, reason="back")
        assert stage_of(conn, "embedding_model", active) == "Archived"
    finally:
        conn.execute("CALL rag.reembed(%s, 16)", (active,))
        conn.execute("SELECT rag.activate_model(%s)", (active,))
        conn.execute("SELECT rag.drop_embeddings(%s)", (weak_model,))
        conn.execute("DELETE FROM rag.artefact_stages WHERE kind = 'embedding_model'")
        conn.execute("DELETE FROM rag.promotion_gates WHERE kind = 'embedding_model'")
