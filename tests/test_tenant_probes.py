"""The cross-tenant probe suite: an analyst of tenant A tries, every way we
could think of, to read, infer or change tenant B's data — every table and
view of schema rag with several filter tricks, the search, rerank, text and
answer functions aimed at B, writes on every table, and session settings.
One test runs them all and reports per category; any leak or cross-tenant
write fails it."""
import collections
import itertools
import json
import uuid

import psycopg
import pytest
from psycopg.rows import dict_row

from .conftest import ingest

SECRET = "Orquídea"
B_TEXT = f"El presupuesto confidencial del proyecto {SECRET} es de 4 millones de pesos, aprobado por zafiro."
A_TEXT = "Los clientes mayoristas pueden devolver mercadería dentro de los 30 días corridos."
B_QUESTION = f"¿Cuál es el presupuesto del proyecto {SECRET}?"


def as_role(db_url, role):
    """A session logged in as `role` itself (not SET ROLE from a superuser,
    whose session could switch back)."""
    return psycopg.connect(db_url.replace("postgres@", f"{role}@", 1), autocommit=True, row_factory=dict_row)


@pytest.fixture(scope="module")
def world(db_url):
    """Tenants A and B with a document, an answer, an intent call, an
    evaluation case and result each; one analyst role per tenant."""
    tag = uuid.uuid4().hex[:8]
    t = {"a": f"probe_a_{tag}", "b": f"probe_b_{tag}"}
    roles = {"a": f"probe_analyst_a_{tag}", "b": f"probe_analyst_b_{tag}"}
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
        b_source = f"/b/{tag}/presupuesto.md"
        docs = {"a": ingest(c, A_TEXT, "Devoluciones", tenant=t["a"]),
                "b": ingest(c, B_TEXT, "Presupuesto secreto", tenant=t["b"], source=b_source)}
        # a table of B's kept searchable by a vectorizer (its owner: the DBA)
        b_table = f"public.probe_items_{tag}"
        c.execute(f"CREATE TABLE {b_table} (id int PRIMARY KEY, body text)")
        c.execute(f"INSERT INTO {b_table} VALUES (1, %s)", (f"Ficha {SECRET}: zafiro guarda el inventario.",))
        c.execute("SELECT rag.create_vectorizer(%s, text => 'body', default_tenant => %s)", (b_table, t["b"]))
        # work still queued for B: A's queue worker must leave it alone
        ingest(c, "Nota pendiente: zafiro revisa el presupuesto el lunes.", "Pendiente", tenant=t["b"], sync=False)
        c.execute("SELECT rag.refresh_text_stats()")
        c.execute("SELECT rag.set_pii_policy(%s, 'redact_on_output')", (t["b"],))
        for k in ("a", "b"):
            c.execute(f'CREATE ROLE "{roles[k]}" LOGIN IN ROLE rag_user')
            c.execute("SELECT rag.grant_tenant(%s, %s)", (roles[k], t[k]))
        with psycopg.connect(db_url, autocommit=True) as b:
            b.execute(f'SET ROLE "{roles["b"]}"')
            b.execute("SET rag.session_id = 'b-session'")
            b.execute("SELECT rag.answer(%s)", (B_QUESTION,))
            b.execute("SELECT rag.ask(%s)", (B_QUESTION,))
            # B's ratings, of an answer across its tenants and of one in tenant B
            answers_b = [b.execute("SELECT (rag.answer(%s, tenant => %s) ->> 'answer_id')::bigint",
                                   (B_QUESTION, tenant)).fetchone()[0] for tenant in (None, t["b"])]
            for answer_id in answers_b:
                b.execute("SELECT rag.give_feedback(%s, 2, 'zafiro no aprobó el presupuesto')", (answer_id,))
        set_id = c.execute("INSERT INTO rag.eval_sets (name) VALUES (%s) RETURNING id", (f"probe-{tag}",)).fetchone()["id"]
        c.execute("INSERT INTO rag.eval_cases (set_id, question, reference_answer, relevant_document_ids, tenant)"
                  " VALUES (%s, %s, '4 millones', %s, %s)", (set_id, B_QUESTION, [docs["b"]], t["b"]))
        c.execute("SELECT rag.evaluate(%s, generate => true)", (f"probe-{tag}",))
        chunk_b = c.execute("SELECT id FROM rag.chunks WHERE document_id = %s", (docs["b"],)).fetchone()["id"]
        yield {"tenants": t, "roles": roles, "docs": docs, "chunk_b": chunk_b, "set_id": set_id,
               "answers_b": answers_b, "b_source": b_source, "b_table": b_table}
        c.execute("SELECT rag.drop_vectorizer(%s)", (b_table,))
        c.execute(f"DROP TABLE {b_table}")
        c.execute("DELETE FROM rag.eval_sets WHERE id = %s", (set_id,))
        c.execute("DELETE FROM rag.tenant_policies WHERE tenant = %s", (t["b"],))
        for k in ("a", "b"):
            c.execute("SELECT rag.revoke_tenant(%s, %s)", (roles[k], t[k]))
            c.execute("DELETE FROM rag.answer_log WHERE asked_by = %s", (roles[k],))
            c.execute("DELETE FROM rag.intent_log WHERE asked_by = %s", (roles[k],))
            c.execute("DELETE FROM rag.conversation_turns WHERE asked_by = %s", (roles[k],))
            c.execute("DELETE FROM rag.documents WHERE tenant = %s", (t[k],))
            c.execute(f'DROP ROLE "{roles[k]}"')


def fingerprint_b(c, world):
    """Everything of tenant B's, as the owner sees it."""
    t, role = world["tenants"]["b"], world["roles"]["b"]
    q = {
        "documents": ("SELECT md5(string_agg(d::text, '|' ORDER BY id)) FROM rag.documents d WHERE tenant = %s", t),
        "chunks": ("SELECT md5(string_agg(c::text, '|' ORDER BY id)) FROM rag.chunks c WHERE tenant = %s", t),
        "embeddings": ("SELECT md5(string_agg(e::text, '|' ORDER BY chunk_id, model_id)) FROM rag.embeddings e"
                       " WHERE tenant = %s", t),
        "sentence vectors": ("SELECT md5(string_agg(s::text, '|' ORDER BY chunk_id, model_id, n))"
                             " FROM rag.sentence_embeddings s WHERE tenant = %s", t),
        "queue": ("SELECT md5(string_agg(q::text, '|' ORDER BY chunk_id, model_id)) FROM rag.embedding_queue q"
                  " WHERE tenant = %s", t),
        "answers": ("SELECT md5(string_agg(l::text, '|' ORDER BY id)) FROM rag.answer_log l WHERE asked_by = %s", role),
        "intents": ("SELECT md5(string_agg(l::text, '|' ORDER BY id)) FROM rag.intent_log l WHERE asked_by = %s", role),
        # every rating of B's answers, whoever gave it: a rating by A would show
        "feedback": ("SELECT md5(string_agg(f::text, '|' ORDER BY id)) FROM rag.feedback f"
                     " WHERE answer_id = ANY (%s) OR given_by = %s", (world["answers_b"], role)),
        "turns": ("SELECT md5(string_agg(x::text, '|' ORDER BY id)) FROM rag.conversation_turns x"
                  " WHERE asked_by = %s", role),
        "cases": ("SELECT md5(string_agg(x::text, '|' ORDER BY id)) FROM rag.eval_cases x WHERE tenant = %s", t),
        "grants": ("SELECT md5(string_agg(x::text, '|' ORDER BY role_name)) FROM rag.tenant_access x"
                   " WHERE tenant = %s", t),
        "stats": ("SELECT md5(string_agg(x::text, '|' ORDER BY lexeme)) FROM rag.text_stats x WHERE tenant = %s", t),
        "policy": ("SELECT md5(string_agg(x::text, '|')) FROM rag.tenant_policies x WHERE tenant = %s", t),
        "vectorizer": ("SELECT md5(string_agg(x::text, '|')) FROM rag.vectorizers x WHERE x.default_tenant = %s", t),
        "table": (f"SELECT md5(string_agg(x::text, '|' ORDER BY id)) FROM {world['b_table']} x WHERE %s::text IS NOT NULL", t),
    }
    with c.cursor(row_factory=psycopg.rows.tuple_row) as cur:
        return {k: cur.execute(sql, arg if isinstance(arg, tuple) else (arg,)).fetchone()[0]
                for k, (sql, arg) in q.items()}


def test_an_analyst_cannot_read_infer_or_change_another_tenants_data(db_url, world):
    t, roles = world["tenants"], world["roles"]
    secrets = [SECRET, "zafiro", t["b"], roles["b"], "b-session", "4 millones"]
    counts = collections.Counter()
    leaks = []

    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as owner:
        before = fingerprint_b(owner, world)
        relations = [r["rel"] for r in owner.execute(
            "SELECT format('%I.%I', n.nspname, c.relname) AS rel FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = 'rag' AND c.relkind IN ('r', 'v') ORDER BY 1")]
        columns = {r["rel"]: r["cols"] for r in owner.execute(
            "SELECT format('%I.%I', c.table_schema, c.table_name) AS rel, array_agg(c.column_name::text) AS cols"
            " FROM information_schema.columns c WHERE c.table_schema = 'rag' GROUP BY 1")}
        monitors = [r["fn"] for r in owner.execute(  # every monitor_* function, those added later included
            "SELECT format('rag.%I', proname) AS fn FROM pg_proc WHERE pronamespace = 'rag'::regnamespace"
            " AND proname LIKE 'monitor\\_%' AND pronargs = pronargdefaults")]
    assert len(relations) >= 25
    assert {"rag.monitor_answers", "rag.monitor_costs", "rag.monitor_stage_latency"} <= set(monitors)

    def check(category, rows):
        counts[category] += 1
        text = json.dumps(rows, default=str, ensure_ascii=False)
        found = [s for s in secrets if s in text]
        if found:
            leaks.append((category, found, text[:300]))

    def blocked(category, c, sql, args=(), targets_b=True):
        """A write probe: refused, or (when it targets B's rows) touching
        none. Whatever it did is judged by B's fingerprint at the end."""
        counts[category] += 1
        try:
            cur = c.execute(sql, args)
        except psycopg.Error:
            return  # refused
        rows = cur.fetchall() if cur.description else []
        if (targets_b and cur.rowcount > 0 and not cur.description) or \
                any(s in json.dumps(rows, default=str, ensure_ascii=False) for s in secrets):
            leaks.append((category, sql, cur.rowcount))

    with as_role(db_url, roles["a"]) as c:

        # 1. every table and view, with filter tricks
        tricks = ["", "WHERE true", "WHERE NOT false", "LIMIT 100000", "ORDER BY 1 DESC",
                  "WHERE coalesce(NULL, true)", "OFFSET 0"]
        tenant_tricks = ["WHERE tenant = %(b)s", "WHERE tenant IS DISTINCT FROM %(a)s", "WHERE tenant LIKE '%%'",
                         "WHERE tenant = ANY (ARRAY[%(a)s, %(b)s])", "WHERE lower(tenant) = lower(%(b)s)"]
        for rel in relations:
            forms = tricks + (tenant_tricks if "tenant" in columns.get(rel, []) else [])
            for form in forms:
                try:
                    with c.transaction():
                        rows = c.execute(f"SELECT * FROM {rel} {form}", {"a": t["a"], "b": t["b"]}).fetchall()
                    check("read: table or view", rows)
                except psycopg.errors.InsufficientPrivilege:
                    counts["read: table or view"] += 1  # refused outright

        # 2. functions aimed at B
        queries = [B_QUESTION, SECRET, "presupuesto confidencial", "zafiro", "4 millones de pesos",
                   "proyecto", "¿Qué aprobó zafiro?", "budget of the project", "orquidea", "ORQUÍDEA presupuesto",
                   "confidencial", "millones", "aprobado por zafiro", "presupuesto del proyecto", "pesos",
                   "secret budget"]
        for q, mode, rerank, tenant, flt in itertools.product(
                queries, ("hybrid", "vector", "text"), (False, True), (t["b"], None),
                (None, '{}', '{"area": "x"}')):
            rows = c.execute("SELECT * FROM rag.search(%s, tenant => %s, mode => %s, rerank => %s,"
                             " filter => %s::jsonb, k => 50)", (q, tenant, mode, rerank, flt)).fetchall()
            check("function: rag.search", rows)
        for q in queries[:3]:
            check("function: rag.answer", c.execute("SELECT rag.answer(%s, tenant => %s) AS a",
                                                     (q, t["b"])).fetchall())
        for q in queries:
            for fn in ("rag.rerank(%s, %s)", "rag.rerank_signals(%s, %s)"):
                check("function: rerank", c.execute(f"SELECT * FROM {fn}", (q, [world['chunk_b']])).fetchall())
        # The term weights must not say whether a word exists in B: B's words
        # weigh like words that exist nowhere.
        for word, tenant in itertools.product(["zafiro", "presupuesto", "confidencial", "aprobado", "orquidea",
                                               "millones", "pesos", "proyecto"], (t["b"], None, t["a"])):
            counts["oracle: text statistics"] += 1
            nowhere = c.execute("SELECT idf FROM rag.text_query('xqzvwy', 'es', %s)", (tenant,)).fetchone()["idf"]
            idf = c.execute("SELECT idf FROM rag.text_query(%s, 'es', %s)", (word, tenant)).fetchone()["idf"]
            mine = c.execute("SELECT count(*) AS n FROM rag.chunks WHERE tsv @@ to_tsquery('rag.spanish', %s)",
                             (word,)).fetchone()["n"]
            if not mine and idf != nowhere:
                leaks.append(("oracle: text statistics", word, tenant, idf, nowhere))
        # The answer's evidence: B's chunk yields no row, source or sentence
        rows = c.execute("SELECT * FROM rag._answer_evidence(%s, NULL, NULL)", ([world["chunk_b"]],)).fetchall()
        check("function: answer evidence", rows)
        if rows:
            leaks.append(("function: answer evidence", rows))
        # B's PII policy: naming B tells A nothing a made-up tenant would not
        counts["oracle: PII policy"] += 1
        modes = [c.execute("SELECT rag._pii_mode(%s) AS m", (name,)).fetchone()["m"]
                 for name in (t["b"], "no_such_tenant_" + t["a"])]
        if modes[0] != modes[1]:
            leaks.append(("oracle: PII policy", modes))
        for fn in monitors:
            blocked("function: monitoring", c, f"SELECT * FROM {fn}()")
        c.execute("SET rag.session_id = 'b-session'")  # B's conversation: A must not continue it
        check("function: rag.ask history", c.execute("SELECT rag.ask('¿y el proyecto?') AS a").fetchall())
        c.execute("RESET rag.session_id")

        # 3. writes on every table
        for rel in relations:
            cols = columns.get(rel, [])
            if rel.startswith("rag.") and rel.split(".")[1] in ("answers", "answer_latency", "eval_run_metrics",
                                                                  "eval_trend", "eval_worst_cases",
                                                                  "intent_parse_stats", "vector_indexes",
                                                                  "embedding_queue_status", "reembed_progress",
                                                                  "answer_stats", "intent_stats", "feedback_daily"):
                blocked("write: view", c, f"DELETE FROM {rel}")
                continue
            blocked("write: update all", c, f"UPDATE {rel} SET {cols[0]} = {cols[0]}", targets_b=False)
            blocked("write: truncate", c, f"TRUNCATE {rel} CASCADE")
            if "tenant" in cols:
                blocked("write: delete B", c, f"DELETE FROM {rel} WHERE tenant = %s", (t["b"],))
                blocked("write: update B", c, f"UPDATE {rel} SET tenant = %s WHERE tenant = %s", (t["a"], t["b"]))
                # judged by B's fingerprint: a row that kept its tenant is no leak
                blocked("write: move A to B", c, f"UPDATE {rel} SET tenant = %s WHERE tenant = %s", (t["b"], t["a"]),
                        targets_b=False)
        blocked("write: insert as B", c, "SELECT rag.ingest_document('Intruso. Texto de otro.', tenant => %s)",
                (t["b"],))
        blocked("write: insert as B", c, "INSERT INTO rag.documents (tenant, content, language, content_hash)"
                " VALUES (%s, 'x', 'es', '\\x00')", (t["b"],))
        for target in ("chunks", "embeddings", "sentence_embeddings", "embedding_queue"):
            blocked("write: attach to B", c, {
                "chunks": "INSERT INTO rag.chunks (document_id, tenant, position, content, ts_config, tsv)"
                          " VALUES (%s, %s, 9, 'x', 'rag.simple', ''::tsvector)",
                "embeddings": "INSERT INTO rag.embeddings (chunk_id, model_id, embedding, tenant) SELECT %s, id,"
                              " array_fill(0.1, ARRAY[384])::real[]::vector, %s FROM rag.embedding_models WHERE active",
                "sentence_embeddings": "INSERT INTO rag.sentence_embeddings (chunk_id, model_id, n, start_at, end_at,"
                                       " embedding, tenant) SELECT %s, id, 99, 0, 1,"
                                       " array_fill(0.1, ARRAY[384])::real[]::vector, %s"
                                       " FROM rag.embedding_models WHERE active",
                "embedding_queue": "INSERT INTO rag.embedding_queue (chunk_id, model_id, tenant) SELECT %s, id, %s"
                                   " FROM rag.embedding_models WHERE active",
            }[target], (world["docs"]["b"] if target == "chunks" else world["chunk_b"], t["a"]))
        for answer_id in world["answers_b"]:  # rating B's answers: refused, and no row
            blocked("write: rate B's answer", c, "SELECT rag.give_feedback(%s, 5, 'de A')", (answer_id,),
                    targets_b=False)
        blocked("write: grants", c, "SELECT rag.grant_tenant(%s, %s)", (roles["a"], t["b"]))
        blocked("write: grants", c, "INSERT INTO rag.tenant_access VALUES (%s, %s)", (roles["a"], t["b"]))
        blocked("write: delete B document", c, "SELECT rag.delete_document(%s)", (world["docs"]["b"],),
                targets_b=False)
        # the API's writers, called directly: they act for A and only A
        blocked("write: API writers", c, "SELECT rag.process_embedding_queue(document_id => %s)",
                (world["docs"]["b"],), targets_b=False)
        blocked("write: API writers", c, "CALL rag.drain_embedding_queue()", targets_b=False)
        blocked("write: API writers", c, "SELECT rag._log_answer(%s, %s, %s, 'x', true, 'x', '{}', NULL, '{}')",
                (t["b"], B_QUESTION, [world["chunk_b"]]), targets_b=False)
        blocked("write: API writers", c, "SELECT rag._log_intent_call('b-session', %s, current_date, '{}', '{}',"
                " 'rejected', 0, 1, '{}')", (B_QUESTION,), targets_b=False)
        blocked("write: API writers", c, "SELECT rag.evaluate('probe')", targets_b=False)
        # versions of a source and vectorizers: B's source and B's table
        b_src, b_tab = world["b_source"], world["b_table"]
        blocked("write: versions", c, "SELECT rag.delete_source(%s, %s)", (b_src, t["b"]), targets_b=False)
        blocked("write: versions", c, "SELECT rag.ingest_document('Intruso. Otra versión.', tenant => %s,"
                " source => %s)", (t["b"], b_src))
        blocked("write: versions", c, "SELECT rag.ingest_document('Versión propia de A. Texto nuevo.', tenant => %s,"
                " source => %s)", (t["a"], b_src), targets_b=False)
        blocked("write: versions", c, "SELECT rag._store_document('Intruso. Texto.', NULL, '{}', %s, %s, NULL,"
                " 1000, 200, '\\x00')", (t["b"], b_src), targets_b=False)
        blocked("write: versions", c, "SELECT rag._delete_source(%s, %s)", (t["b"], b_src), targets_b=False)
        blocked("write: versions", c, "SELECT rag._promote_versions(%s, true)", ([world["docs"]["b"]],),
                targets_b=False)
        blocked("write: versions", c, "SELECT rag.promote_versions()", targets_b=False)
        vid_sql = "(SELECT min(id) FROM rag.vectorizers)"
        for op in ("insert", "update", "delete", "truncate"):
            blocked("write: vectorizer", c, f"SELECT rag._vectorizer_write({vid_sql}, %s, '{{\"id\": 1}}',"
                    " 'Intruso. Texto.', NULL, %s, NULL)", (op, t["b"]), targets_b=False)
            blocked("write: vectorizer", c, "SELECT rag._vectorizer_write(v, %s, '{\"id\": 1}', 'Intruso. Texto.',"
                    " NULL, %s, NULL) FROM generate_series(1, 50) v", (op, t["b"]), targets_b=False)
        blocked("write: vectorizer", c, "SELECT rag.drop_vectorizer(%s)", (b_tab,), targets_b=False)
        blocked("write: vectorizer", c, "SELECT rag._unregister_vectorizer(%s, false)", (b_tab,), targets_b=False)
        blocked("write: vectorizer", c, "SELECT rag.create_vectorizer(%s, text => 'body')", (b_tab,), targets_b=False)
        blocked("write: vectorizer", c, "SELECT rag._register_vectorizer(%s, '{id}', 'body', NULL, NULL, %s, NULL,"
                " 1000, 200)", (b_tab, t["a"]), targets_b=False)
        blocked("write: vectorizer", c, f"INSERT INTO {b_tab} VALUES (2, 'Intruso.')", targets_b=False)
        check("vectorizer", c.execute("SELECT * FROM rag._vectorizer_of(%s)", (b_tab,)).fetchall())
        for rel in relations:  # last: a blanket delete empties A's own rows
            blocked("write: delete all", c, f"DELETE FROM {rel}", targets_b=False)

        # 4. session settings
        for sql in ("SET row_security = off", f'SET ROLE "{roles["b"]}"', "SET SESSION AUTHORIZATION postgres",
                    "SET rag.llm_base_url = 'http://203.0.113.9/v1'", "SET search_path = pg_temp, rag, public",
                    "SET rag.llm_endpoint = 'nope'", "SET rag.session_id = 'b-session'"):
            counts["settings"] += 1
            try:
                c.execute(sql)
                rows = c.execute("SELECT * FROM rag.documents").fetchall()
                rows += c.execute("SELECT * FROM rag.search(%s, k => 50)", (SECRET,)).fetchall()
                check("settings", rows)
            except psycopg.Error:
                pass  # refused
            finally:
                c.execute("RESET ALL")

    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as owner:
        after = fingerprint_b(owner, world)
    changed = [k for k in before if before[k] != after[k]]
    total = sum(counts.values())
    print("\ncross-tenant probes:", total, dict(sorted(counts.items())))
    assert leaks == [], "\n".join(map(str, leaks[:20]))
    assert changed == [], changed
    assert total >= 1000, counts
