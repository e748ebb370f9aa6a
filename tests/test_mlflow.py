"""MLflow on the same PostgreSQL: a real MLflow server (its own venv, its
backend store a database of this cluster, artifacts in a folder) started on
loopback; evaluation runs and stage transitions mirrored by the sync and
checked through MLflow's REST API; MLflow down or slow leaves them pending;
the UI shows the run in headless Chromium."""
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest
import requests

from .conftest import ROOT, TEST_DB, admin_url, ingest

MLFLOW_PY = ROOT / ".venv-mlflow" / "bin" / "python"
pytestmark = pytest.mark.skipif(not MLFLOW_PY.exists(), reason="MLflow's venv is missing: make mlflow-venv")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def mlflow_server(db_url, tmp_path_factory):
    port, backend = free_port(), f"{TEST_DB}_mlflow"
    with psycopg.connect(admin_url(), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{backend}" WITH (FORCE)')
    env = dict(os.environ, DATABASE_URL=db_url, RAGSQL_MLFLOW_PORT=str(port), RAGSQL_MLFLOW_DB=backend,
               RAGSQL_MLFLOW_DIR=str(tmp_path_factory.mktemp("mlflow")), RAGSQL_MLFLOW_FOLLOW="0")
    started = subprocess.run(["bash", "scripts/mlflow.sh", "start"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
    assert started.returncode == 0, started.stderr
    yield {"url": f"http://127.0.0.1:{port}", "env": env}
    subprocess.run(["bash", "scripts/mlflow.sh", "stop"], cwd=ROOT, env=env, timeout=60)
    with psycopg.connect(admin_url(), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{backend}" WITH (FORCE)')


def sync(db_url, tracking_uri, timeout_s="10"):
    env = dict(os.environ, DATABASE_URL=db_url, PYTHONPATH=str(ROOT), MLFLOW_HTTP_REQUEST_TIMEOUT=timeout_s)
    return subprocess.run([str(MLFLOW_PY), "-m", "ragsql.mlflow_sync", "--tracking-uri", tracking_uri], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=180)


def api(server, path, **params):
    r = requests.get(f"{server['url']}/api/2.0/mlflow/{path}", params=params, timeout=10)
    r.raise_for_status()
    return r.json()


@pytest.fixture
def evaluated(conn, tenant):
    """One finished evaluation run of a set of this test's own."""
    doc = ingest(conn, "Los clientes mayoristas pueden devolver mercadería dentro de los 30 días corridos.",
                 "Devoluciones", {}, tenant)
    set_id = conn.execute("INSERT INTO rag.eval_sets (name) VALUES (%s) RETURNING id", (tenant,)).fetchone()["id"]
    conn.execute("INSERT INTO rag.eval_cases (set_id, external_id, question, reference_answer, relevant_document_ids,"
                 " tenant) VALUES (%s, 'q1', '¿Cuántos días tienen los mayoristas para devolver?', '30 días', %s, %s)",
                 (set_id, [doc], tenant))
    run_id = conn.execute("SELECT rag.evaluate(%s, generate => true) AS id", (tenant,)).fetchone()["id"]
    yield {"set": tenant, "run_id": run_id}
    conn.execute("DELETE FROM rag.eval_sets WHERE id = %s", (set_id,))


def test_an_evaluation_run_is_mirrored_once_with_params_metrics_and_worst_cases(conn, db_url, mlflow_server, evaluated):
    out = sync(db_url, mlflow_server["url"])
    assert out.returncode == 0, out.stderr + out.stdout
    row = conn.execute("SELECT * FROM rag.mlflow_runs WHERE eval_run_id = %s", (evaluated["run_id"],)).fetchone()
    assert row["mlflow_run_id"] and row["last_error"] is None
    run = api(mlflow_server, "runs/get", run_id=row["mlflow_run_id"])["run"]
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert params["embedding_model"] == "multilingual-e5-small" and params["mode"] == "hybrid"
    stored = conn.execute("SELECT ndcg_at_10, faithfulness FROM rag.eval_run_metrics WHERE run_id = %s",
                          (evaluated["run_id"],)).fetchone()
    assert metrics["ndcg_at_10"] == pytest.approx(stored["ndcg_at_10"])
    assert metrics["faithfulness"] == pytest.approx(stored["faithfulness"])
    assert {"recall_at_5", "mrr", "cases"} <= set(metrics)  # numeric averages too
    assert tags["ragsql.eval_run_id"] == str(evaluated["run_id"]) and run["info"]["status"] == "FINISHED"
    files = api(mlflow_server, "artifacts/list", run_id=row["mlflow_run_id"])["files"]
    assert [f["path"] for f in files] == ["worst_cases.json"]
    again = sync(db_url, mlflow_server["url"])
    assert "0 evaluation runs" in again.stdout  # nothing mirrored twice
    found = requests.post(f"{mlflow_server['url']}/api/2.0/mlflow/runs/search", timeout=10, json={
        "experiment_ids": [run["info"]["experiment_id"]],
        "filter": f"tags.`ragsql.eval_run_id` = '{evaluated['run_id']}'"}).json()["runs"]
    assert len(found) == 1


def test_mlflow_down_or_slow_keeps_the_run_pending_until_it_answers(conn, db_url, mlflow_server, evaluated):
    down = sync(db_url, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    assert down.returncode == 1 and "failed (kept pending)" in down.stdout
    row = conn.execute("SELECT * FROM rag.mlflow_runs WHERE eval_run_id = %s", (evaluated["run_id"],)).fetchone()
    assert row["mlflow_run_id"] is None and "Connection" in row["last_error"]
    # a server that accepts and never answers: the sync gives up after its timeout
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    held = []
    threading.Thread(target=lambda: held.extend(silent.accept() for _ in range(4)), daemon=True).start()
    t = time.monotonic()
    slow = sync(db_url, f"http://127.0.0.1:{silent.getsockname()[1]}", timeout_s="2")
    silent.close()
    assert slow.returncode == 1 and time.monotonic() - t < 60
    assert conn.execute("SELECT attempts FROM rag.mlflow_runs WHERE eval_run_id = %s",
                        (evaluated["run_id"],)).fetchone()["attempts"] == 2
    assert sync(db_url, mlflow_server["url"]).returncode == 0
    assert conn.execute("SELECT mlflow_run_id FROM rag.mlflow_runs WHERE eval_run_id = %s",
                        (evaluated["run_id"],)).fetchone()["mlflow_run_id"]


def test_stage_transitions_are_mirrored_into_the_model_registry(conn, db_url, mlflow_server):
    conn.execute("SELECT rag.transition_stage('intent_parser', 'rules', 'Production', force => true,"
                 " reason => 'mlflow mirror test')")
    try:
        assert sync(db_url, mlflow_server["url"]).returncode == 0
        model = api(mlflow_server, "registered-models/get", name="ragsql.intent_parser.rules")["registered_model"]
        assert model["latest_versions"][0]["current_stage"] == "Production"
        assert {a["alias"] for a in model.get("aliases", [])} == {"production"}
        tags = {t["key"]: t["value"] for t in model["latest_versions"][0]["tags"]}
        assert any("(forced) by postgres" in v for v in tags.values())
    finally:
        conn.execute("SELECT rag.transition_stage('intent_parser', 'llm', 'Production', force => true,"
                     " reason => 'restore')")
    assert sync(db_url, mlflow_server["url"]).returncode == 0
    model = api(mlflow_server, "registered-models/get", name="ragsql.intent_parser.rules")["registered_model"]
    assert model["latest_versions"][0]["current_stage"] == "Archived" and not model.get("aliases")


def test_the_ui_shows_the_run_in_headless_chromium(conn, db_url, mlflow_server, evaluated):
    browser = shutil.which("chromium")
    if not browser:
        pytest.skip("chromium is not installed: make browser")
    assert sync(db_url, mlflow_server["url"]).returncode == 0
    run_id = conn.execute("SELECT mlflow_run_id FROM rag.mlflow_runs WHERE eval_run_id = %s",
                          (evaluated["run_id"],)).fetchone()["mlflow_run_id"]
    exp = api(mlflow_server, "runs/get", run_id=run_id)["run"]["info"]["experiment_id"]
    page = f"{mlflow_server['url']}/#/experiments/{exp}/runs/{run_id}"
    shot = ROOT / ".build" / "screenshots" / "mlflow_run.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,900", "--virtual-time-budget=20000"]
    dom = subprocess.run([browser, *flags, "--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
    subprocess.run([browser, *flags, f"--screenshot={shot}", page], capture_output=True, timeout=120)
    print(f"MLflow run page screenshot: {shot}")
    assert f"eval run {evaluated['run_id']}" in dom and "ndcg_at_10" in dom
    assert shot.stat().st_size > 10_000
