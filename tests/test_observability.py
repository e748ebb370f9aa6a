"""Where a question's time and money go: stage timings of answers and intent
calls, LLM tokens (the reply's usage, else the model's tokenizer), cost from
rag.llm_prices at the time asked, and the views BI tools read."""
import statistics
import uuid

import psycopg
import pytest

from .conftest import ingest, loopback_chat

QUESTION = "¿Cuántos días tienen los mayoristas para devolver mercadería?"
SEARCH_STAGES = ("embed_ms", "vector_ms", "text_ms", "fusion_ms")


@pytest.fixture
def doc(conn, tenant):
    ingest(conn, "Los clientes mayoristas pueden devolver mercadería dentro de los 30 días corridos desde la "
                 "entrega, con la factura original.", "Devoluciones", {}, tenant)
    conn.execute("SELECT rag.refresh_text_stats()")
    return tenant


@pytest.fixture
def prices(conn):
    """A provider and model of this test's own in rag.llm_prices, removed afterwards."""
    model = "m-" + uuid.uuid4().hex[:8]
    yield model
    conn.execute("DELETE FROM rag.llm_prices WHERE model = %s", (model,))


def logged(conn, answer_id):
    return conn.execute("SELECT * FROM rag.answers WHERE id = %s", (answer_id,)).fetchone()


def ask(conn, tenant, **kw):
    args = "".join(f", {k} => %({k})s" for k in kw)
    return conn.execute(f"SELECT rag.answer(%(q)s, tenant => %(t)s{args}) AS a",
                        dict(q=QUESTION, t=tenant, **kw)).fetchone()["a"]


def test_an_answer_logs_the_time_of_each_search_stage(conn, doc):
    row = logged(conn, ask(conn, doc)["answer_id"])
    for stage in SEARCH_STAGES + ("support_ms", "total_ms"):
        assert row[stage] is not None and row[stage] >= 0, stage
    assert row["rerank_ms"] is None  # no reranker ran
    # the search's stages are parts of retrieval, and retrieval of the whole
    assert sum(row[s] for s in SEARCH_STAGES) <= row["retrieval_ms"] + 0.05
    assert row["retrieval_ms"] + row["support_ms"] <= row["total_ms"] + 0.05
    assert row["tokens_in"] is None and row["llm_provider"] is None  # the extractive answer calls no LLM


def test_a_reranked_answer_logs_the_reranker_and_a_later_plain_one_does_not(conn, doc):
    first = logged(conn, ask(conn, doc, rerank=True)["answer_id"])
    assert first["rerank_ms"] is not None and first["rerank_ms"] >= 0
    # the stage settings are cleared by each search: no stale reranker time
    assert logged(conn, ask(conn, doc)["answer_id"])["rerank_ms"] is None


def test_tokens_come_from_the_replys_usage_and_are_priced_when_asked(conn, doc, prices):
    with loopback_chat(conn, "obs_usage", model=prices) as server:
        server.reply = "Los mayoristas tienen 30 días corridos [1]."
        server.usage = {"prompt_tokens": 1200, "completion_tokens": 80, "total_tokens": 1280}
        before = ask(conn, doc)["answer_id"]
        # a price from now on: the answer above stays unpriced, the next is priced
        conn.execute("INSERT INTO rag.llm_prices (provider, model, input_per_1k, output_per_1k)"
                     " VALUES ('127.0.0.1', %s, 0.5, 2.0)", (prices,))
        after = ask(conn, doc)["answer_id"]
    row = logged(conn, after)
    assert (row["llm_provider"], row["llm_model"]) == ("127.0.0.1", prices)
    assert (row["tokens_in"], row["tokens_out"], row["tokens_counted_by"]) == (1200, 80, "usage")
    assert row["generation_ms"] is not None
    cost = {r["id"]: r["cost"] for r in conn.execute(
        "SELECT id, cost FROM rag.llm_calls WHERE kind = 'answer' AND id IN (%s, %s)", (before, after))}
    assert cost[before] is None  # asked before any price was in force
    assert float(cost[after]) == pytest.approx(1200 * 0.5 / 1000 + 80 * 2.0 / 1000)


def test_a_price_change_leaves_earlier_calls_at_the_old_price(conn, doc, prices):
    conn.execute("INSERT INTO rag.llm_prices (provider, model, input_per_1k, output_per_1k, valid_from)"
                 " VALUES ('127.0.0.1', %s, 1.0, 1.0, now() - interval '1 day')", (prices,))
    with loopback_chat(conn, "obs_price", model=prices) as server:
        server.reply = "Los mayoristas tienen 30 días corridos [1]."
        server.usage = {"prompt_tokens": 1000, "completion_tokens": 1000, "total_tokens": 2000}
        old = ask(conn, doc)["answer_id"]
        conn.execute("INSERT INTO rag.llm_prices (provider, model, input_per_1k, output_per_1k)"
                     " VALUES ('127.0.0.1', %s, 3.0, 3.0)", (prices,))
        new = ask(conn, doc)["answer_id"]
    cost = {r["id"]: float(r["cost"]) for r in conn.execute(
        "SELECT id, cost FROM rag.llm_calls WHERE kind = 'answer' AND id IN (%s, %s)", (old, new))}
    assert cost == {old: pytest.approx(2.0), new: pytest.approx(6.0)}


def test_without_usage_the_models_tokenizer_counts_and_without_either_nothing_is_invented(conn, doc, prices):
    with loopback_chat(conn, "obs_tok", model=prices) as server:
        server.reply = "Los mayoristas tienen 30 días corridos [1]."
        server.usage = None
        server.tokenizer = True
        counted = logged(conn, ask(conn, doc)["answer_id"])
        server.tokenizer = False
        unknown = logged(conn, ask(conn, doc)["answer_id"])
    assert counted["tokens_counted_by"] == "tokenizer"
    assert counted["tokens_out"] == len("Los mayoristas tienen 30 días corridos [1].".split())
    assert counted["tokens_in"] > 50  # the prompt: rules, the fenced source and the question
    assert (unknown["tokens_in"], unknown["tokens_out"], unknown["tokens_counted_by"]) == (None, None, None)
    assert unknown["llm_model"] == prices  # the call is still on record, as unpriced
    unpriced = conn.execute("SELECT cost FROM rag.llm_calls WHERE kind = 'answer' AND id = %s",
                            (unknown["id"],)).fetchone()["cost"]
    assert unpriced is None


def test_an_llm_answer_the_guardrails_discard_is_a_fallback_but_not_an_error(conn, doc):
    with loopback_chat(conn, "obs_discard") as server:
        server.reply = "Las jirafas de Marte votan los martes en Saturno [1]."
        row = conn.execute("SELECT * FROM rag.answer_log WHERE id = %s", (ask(conn, doc)["answer_id"],)).fetchone()
    assert (row["model"], row["error"], row["supported"]) == ("extractive", None, True)
    assert "do not support" in row["guardrails"]["answer"]  # every statement it wrote was dropped
    stats = conn.execute("SELECT * FROM rag.answer_stats WHERE tenant = %s", (doc,)).fetchone()
    assert (stats["answers"], stats["errors"], stats["fallbacks"], stats["fallback_rate"]) == (1, 0, 1, 1.0)
    ask(conn, doc)  # no LLM asked: extractive by choice, not a fallback
    stats = conn.execute("SELECT * FROM rag.answer_stats WHERE tenant = %s", (doc,)).fetchone()
    assert (stats["answers"], stats["fallbacks"]) == (2, 1)


def test_cost_daily_counts_every_question_and_the_calls_left_unpriced(conn, doc, prices):
    conn.execute("INSERT INTO rag.llm_prices (provider, model, input_per_1k, output_per_1k, valid_from)"
                 " VALUES ('127.0.0.1', %s, 1.0, 2.0, now() - interval '1 hour')", (prices,))
    ask(conn, doc)  # extractive: a question with no LLM call
    with loopback_chat(conn, "obs_daily", model=prices) as server:
        server.reply = "Los mayoristas tienen 30 días corridos [1]."
        server.usage = {"prompt_tokens": 500, "completion_tokens": 100, "total_tokens": 600}
        ask(conn, doc)
        server.usage = None  # no usage, no tokenizer: unpriced
        ask(conn, doc)
    day = conn.execute("SELECT * FROM rag.cost_daily WHERE tenant = %s AND kind = 'answer'", (doc,)).fetchone()
    assert (day["queries"], day["llm_calls"], day["unpriced_calls"]) == (3, 2, 1)
    assert (day["tokens_in"], day["tokens_out"]) == (500, 100)
    assert float(day["cost"]) == pytest.approx(0.5 + 0.2)
    assert float(day["cost_per_query"]) == pytest.approx(0.7 / 3)
    assert day["currency"] == "USD"


def percentile(values, q):
    """The interpolated percentile (PostgreSQL's percentile_cont), computed here."""
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = int(pos)
    return v[lo] + (v[min(lo + 1, len(v) - 1)] - v[lo]) * (pos - lo)


def test_stage_latency_percentiles_match_a_direct_computation(conn, doc):
    ids = [ask(conn, doc)["answer_id"] for _ in range(7)]
    rows = [logged(conn, i) for i in ids]
    for stage in ("total", "embed", "vector", "text", "support"):
        ms = [r[stage + "_ms"] for r in rows]
        row = conn.execute("SELECT * FROM rag.stage_latency WHERE kind = 'answer' AND tenant = %s AND stage = %s",
                           (doc, stage)).fetchone()
        assert row["calls"] == 7
        assert row["p50_ms"] == pytest.approx(statistics.median(ms)), stage
        for q in (95, 99):
            assert row[f"p{q}_ms"] == pytest.approx(percentile(ms, q / 100)), (stage, q)
    stages = {r["stage"] for r in conn.execute(
        "SELECT stage FROM rag.stage_latency WHERE kind = 'answer' AND tenant = %s", (doc,))}
    assert {"embed", "vector", "text", "fusion", "support", "retrieval", "total"} <= stages


def test_an_intent_call_logs_its_stages(conn):
    first = conn.execute("SELECT coalesce(max(id), 0) AS id FROM rag.intent_log").fetchone()["id"]
    conn.execute("SELECT rag.ask('¿Cuánto vendió la sucursal Palermo en marzo de 2025?')")
    row = conn.execute("SELECT * FROM rag.intent_log WHERE id > %s ORDER BY id", (first,)).fetchone()
    assert row["path"] == "intent", row
    t = row["timings_ms"]
    assert {"parse_ms", "validate_ms", "execute_ms", "reply_ms", "total_ms"} <= set(t)
    assert min(t.values()) >= 0 and t["validate_ms"] > 0
    assert t["parse_ms"] + t["validate_ms"] + t["execute_ms"] + t["reply_ms"] <= t["total_ms"] + 0.05
    assert row["tokens_in"] is None  # the rules parsed it: no LLM
    # a question that names no function is not validated: no validate stage
    conn.execute("SELECT rag.ask('¿Qué es la política de devoluciones?')")
    t = conn.execute("SELECT timings_ms FROM rag.intent_log WHERE id > %s ORDER BY id DESC", (first,)).fetchone()
    assert "validate_ms" not in t["timings_ms"] and "parse_ms" in t["timings_ms"], t
    conn.execute("DELETE FROM rag.intent_log WHERE id > %s", (first,))


def test_the_llm_intent_parser_logs_its_tokens(conn, prices):
    first = conn.execute("SELECT coalesce(max(id), 0) AS id FROM rag.intent_log").fetchone()["id"]
    with loopback_chat(conn, "obs_parser", model=prices) as server:
        server.reply = '{"funcion": null, "parametros": {}, "resumen": "no"}'
        server.usage = {"prompt_tokens": 900, "completion_tokens": 20, "total_tokens": 920}
        conn.execute("SELECT rag.ask('¿Cuánto vendió la sucursal Palermo en marzo de 2025?')")
    row = conn.execute("SELECT * FROM rag.intent_log WHERE id > %s ORDER BY id", (first,)).fetchone()
    assert (row["llm_model"], row["tokens_in"], row["tokens_out"]) == (prices, 900, 20)
    conn.execute("DELETE FROM rag.intent_log WHERE id > %s", (first,))


def test_an_analyst_reads_prices_but_cannot_change_them_and_sees_only_own_costs(conn, db_url, doc, prices):
    ask(conn, doc)
    role = "obs_analyst_" + uuid.uuid4().hex[:8]
    conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE rag_user')
    try:
        with psycopg.connect(db_url.replace("postgres@", f"{role}@", 1), autocommit=True) as c:
            c.execute("SELECT count(*) FROM rag.llm_prices")
            assert c.execute("SELECT count(*) FROM rag.cost_daily").fetchone()[0] == 0
            assert c.execute("SELECT count(*) FROM rag.stage_latency").fetchone()[0] == 0
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("INSERT INTO rag.llm_prices (provider, model, input_per_1k, output_per_1k)"
                          " VALUES ('x', %s, 0, 0)", (prices,))
    finally:
        conn.execute(f'DROP ROLE "{role}"')


def test_each_analyst_sees_exactly_their_own_calls_in_the_cost_and_latency_views(conn, db_url, prices):
    tag = uuid.uuid4().hex[:8]
    who = {k: f"obs_{k}_{tag}" for k in "ab"}  # each analyst's role and tenant share a name
    conn.execute("INSERT INTO rag.llm_prices (provider, model, input_per_1k, output_per_1k, valid_from)"
                 " VALUES ('127.0.0.1', %s, 1.0, 2.0, now() - interval '1 hour')", (prices,))
    for name in who.values():
        ingest(conn, "Los clientes mayoristas pueden devolver mercadería dentro de los 30 días corridos.",
               "Devoluciones", {}, name)
        conn.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE rag_user')
        conn.execute("SELECT rag.grant_tenant(%s, %s)", (name, name))
    seen = {}
    try:
        with loopback_chat(conn, f"obs_{tag}", model=prices) as server:
            server.reply = "Los mayoristas tienen 30 días corridos [1]."
            # a: 2 extractive, 2 LLM answers, 1 LLM failure (the fallback answers); b: 1 LLM answer
            for k, plan in (("a", ["x", "x", "ok", "ok", "error"]), ("b", ["ok"])):
                server.usage = {"prompt_tokens": 100, "completion_tokens": 10 if k == "a" else 40,
                                "total_tokens": 0}
                with psycopg.connect(db_url.replace("postgres@", f"{who[k]}@", 1), autocommit=True,
                                     row_factory=psycopg.rows.dict_row) as c:
                    for step in plan:
                        server.mode = "ok" if step == "x" else step
                        c.execute("SELECT rag.answer(%s, tenant => %s, endpoint => %s)",
                                  (QUESTION, who[k], None if step == "x" else f"obs_{tag}"))
                    seen[k] = {v: c.execute(f"SELECT * FROM rag.{v} ORDER BY 1, 2, 3").fetchall()
                               for v in ("cost_daily", "stage_latency", "llm_calls", "answer_stats")}
        totals = [r["total_ms"] for r in conn.execute(
            "SELECT (timings_ms ->> 'total_ms')::float8 AS total_ms FROM rag.answer_log WHERE asked_by = %s",
            (who["a"],))]
        assert len(totals) == 5
        mine = seen["a"]
        assert {r["tenant"] for v in mine.values() for r in v} == {who["a"]}
        assert {r["tenant"] for v in seen["b"].values() for r in v} == {who["b"]}
        [day] = mine["cost_daily"]
        assert (day["queries"], day["llm_calls"], day["unpriced_calls"]) == (5, 3, 1)  # the failure: no tokens
        assert float(day["cost"]) == pytest.approx(2 * (100 * 1.0 + 10 * 2.0) / 1000)
        assert float(seen["b"]["cost_daily"][0]["cost"]) == pytest.approx((100 * 1.0 + 40 * 2.0) / 1000)
        [total] = [r for r in mine["stage_latency"] if r["stage"] == "total" and r["model"] == "extractive"]
        assert total["calls"] == 3  # 2 extractive + the fallback, which the extractive generator answered
        stats = {r["model"]: r for r in mine["answer_stats"]}
        assert sum(r["answers"] for r in stats.values()) == 5
        assert sum(r["fallbacks"] for r in stats.values()) == 1
        assert sum(r["errors"] for r in stats.values()) == 1
    finally:
        for name in who.values():
            conn.execute("DELETE FROM rag.answer_log WHERE asked_by = %s", (name,))
            conn.execute("SELECT rag.revoke_tenant(%s, %s)", (name, name))
            conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (name,))
            conn.execute(f'DROP ROLE "{name}"')


def test_the_monitor_reads_costs_and_stage_latency_across_tenants(conn, db_url, doc):
    ask(conn, doc)
    role = "obs_monitor_" + uuid.uuid4().hex[:8]
    conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE rag_monitor')
    try:
        with psycopg.connect(db_url.replace("postgres@", f"{role}@", 1), autocommit=True) as c:
            assert c.execute("SELECT count(*) FROM rag.monitor_costs(1) WHERE tenant = %s", (doc,)).fetchone()[0] == 1
            assert c.execute("SELECT count(*) FROM rag.monitor_stage_latency(1) WHERE tenant = %s",
                             (doc,)).fetchone()[0] >= 5
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("SELECT * FROM rag.answer_log")
    finally:
        conn.execute(f'DROP ROLE "{role}"')


@pytest.mark.parametrize("row, msg", [
    (("p", "m", -1, 0, "USD"), "input_per_1k"),
    (("p", "m", 0, 0, "dollars"), "currency"),
    (("", "m", 0, 0, "USD"), "provider"),
])
def test_a_bad_price_is_refused(conn, row, msg):
    with pytest.raises(psycopg.errors.CheckViolation, match=msg):
        conn.execute("INSERT INTO rag.llm_prices (provider, model, input_per_1k, output_per_1k, currency)"
                     " VALUES (%s, %s, %s, %s, %s)", row)
