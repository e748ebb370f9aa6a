"""The scheduled jobs: `ragsql cron install` schedules the drift snapshot
and the nightly evaluation with pg_cron for this database, pg_cron really
runs them, and `ragsql cron remove` takes them away."""
import os
import subprocess
import sys
import time

import psycopg
import pytest

from .conftest import ROOT, ingest


def ragsql(db_url, *args):
    env = dict(os.environ, DATABASE_URL=db_url)
    return subprocess.run([sys.executable, "-m", "ragsql", "cron", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def cron_conn(db_url):
    with psycopg.connect(db_url) as c:
        name = c.execute("SHOW cron.database_name").fetchone()[0]
    return psycopg.connect(db_url.replace(f"/{psycopg.conninfo.conninfo_to_dict(db_url)['dbname']}?", f"/{name}?", 1),
                           autocommit=True)


@pytest.fixture
def cluster_has_pg_cron(conn):
    try:
        conn.execute("SHOW cron.database_name")
    except psycopg.errors.UndefinedObject:
        pytest.skip("this cluster does not preload pg_cron (the project-local cluster does)")


def test_pg_cron_runs_the_drift_job_and_remove_takes_it_away(conn, db_url, tenant, cluster_has_pg_cron):
    for i, text in enumerate(["Las devoluciones se aceptan dentro de los 30 días.",
                              "Los envíos al interior demoran siete días hábiles.",
                              "La garantía de los electrodomésticos es de un año."]):
        ingest(conn, text, f"doc {i}", {}, tenant)
    conn.execute("SELECT rag.fit_drift_centroids(%s, 2)", (tenant,))
    out = ragsql(db_url, "install", "--drift", "* * * * *")
    assert out.returncode == 0, out.stderr
    db = conn.execute("SELECT current_database() AS d").fetchone()["d"]
    assert f"scheduled ragsql-drift@{db}: * * * * *" in out.stdout
    assert ragsql(db_url, "install", "--drift", "* * * * *").returncode == 0  # again: replaced, not doubled
    try:
        with cron_conn(db_url) as c:
            assert c.execute("SELECT count(*) FROM cron.job WHERE jobname = %s", (f"ragsql-drift@{db}",)).fetchone()[0] == 1
            deadline = time.monotonic() + 80  # pg_cron 1.4 wakes once a minute
            while time.monotonic() < deadline:
                run = c.execute("SELECT d.status, d.return_message FROM cron.job_run_details d JOIN cron.job j"
                                " ON j.jobid = d.jobid WHERE j.jobname = %s AND d.status IN ('succeeded', 'failed')"
                                " ORDER BY d.start_time DESC LIMIT 1", (f"ragsql-drift@{db}",)).fetchone()
                if run:
                    break
                time.sleep(2)
        assert run is not None, "pg_cron did not run the drift job within 80 s"
        assert run[0] == "succeeded", run
        taken = conn.execute("SELECT count(*) AS n FROM rag.drift_snapshots WHERE tenant = %s", (tenant,)).fetchone()
        assert taken["n"] == 4  # one row per signal, taken by the job
        status = ragsql(db_url, "status")
        assert f"ragsql-drift@{db}" in status.stdout and "succeeded" in status.stdout
    finally:
        removed = ragsql(db_url, "remove")
        conn.execute("DELETE FROM rag.drift_snapshots WHERE tenant = %s", (tenant,))
        conn.execute("DELETE FROM rag.drift_centroids WHERE tenant = %s", (tenant,))
    assert removed.returncode == 0 and f"ragsql-drift@{db}" in removed.stdout
    with cron_conn(db_url) as c:
        assert c.execute("SELECT count(*) FROM cron.job WHERE jobname LIKE %s", (f"ragsql-%@{db}",)).fetchone()[0] == 0


def test_the_nightly_evaluation_runs_every_golden_set(conn, tenant):
    doc = ingest(conn, "Las devoluciones se aceptan dentro de los 30 días.", "Devoluciones", {}, tenant)
    set_id = conn.execute("INSERT INTO rag.eval_sets (name) VALUES (%s) RETURNING id", (tenant,)).fetchone()["id"]
    conn.execute("INSERT INTO rag.eval_cases (set_id, question, relevant_document_ids, tenant)"
                 " VALUES (%s, '¿En cuántos días se aceptan devoluciones?', %s, %s)", (set_id, [doc], tenant))
    conn.execute("INSERT INTO rag.golden_sets (set_name) VALUES (%s), ('missing_set_x')", (tenant,))
    try:
        conn.execute("CALL rag.run_golden_evaluations()")  # what the job calls; a missing set only warns
        run = conn.execute("SELECT status, label, n_cases FROM rag.eval_runs WHERE set_id = %s", (set_id,)).fetchone()
        assert (run["status"], run["label"], run["n_cases"]) == ("done", "nightly", 1)
    finally:
        conn.execute("DELETE FROM rag.golden_sets WHERE set_name IN (%s, 'missing_set_x')", (tenant,))
        conn.execute("DELETE FROM rag.eval_sets WHERE id = %s", (set_id,))
