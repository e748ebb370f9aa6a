"""Mirrors evaluation runs and stage transitions into MLflow. Runs with the
MLflow venv's Python (make mlflow-sync, or the follower `make mlflow`
starts), so the product venv that PL/Python embeds never imports MLflow:

  .venv-mlflow/bin/python -m ragsql.mlflow_sync [--tracking-uri URL] [--follow SECONDS]

Each finished evaluation run (rag.eval_runs) becomes an MLflow run in the
experiment "ragsql/<set>": its configuration as params, the metrics of
rag.eval_run_metrics, the worst cases as an artifact, tags back to the run.
Each row of rag.stage_history moves the registered model
"ragsql.<kind>.<name>" (one version per artefact) to that stage, and in
Production gets the alias "production". What could not be mirrored (MLflow
down, slow) stays pending with its error in rag.mlflow_runs /
rag.mlflow_stage_transitions and is tried again next time; a run already
in MLflow (found by its tags) is not created twice."""
import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from decimal import Decimal
from pathlib import Path

# Fail fast when MLflow is down or slow: the row stays pending, the next
# sync retries. (The client's default retries for minutes.)
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")

import mlflow  # noqa: E402
import psycopg  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402
from psycopg.rows import dict_row  # noqa: E402

# Registry stages are deprecated in MLflow (aliases replace them) but still
# served; ragsql mirrors its own stages into both.
warnings.filterwarnings("ignore", message=".*transition_model_version_stage.*", category=FutureWarning)

STAGES = {"None": "None", "Staging": "Staging", "Production": "Production", "Archived": "Archived"}


def _params(config, prefix=""):
    """The configuration snapshot, flattened (judge.faithfulness, ...)."""
    out = {}
    for key, value in (config or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_params(value, name + "."))
        else:
            out[name] = json.dumps(value) if isinstance(value, (list, bool)) or value is None else str(value)
    return {k: v[:6000] for k, v in out.items()}


def _pending_runs(conn):
    return conn.execute("""
        SELECT r.id, r.label, r.config, r.started_at, r.finished_at, s.name AS set_name
          FROM rag.eval_runs r JOIN rag.eval_sets s ON s.id = r.set_id
          LEFT JOIN rag.mlflow_runs m ON m.eval_run_id = r.id
         WHERE r.status = 'done' AND m.mlflow_run_id IS NULL
         ORDER BY r.id""").fetchall()


def _mirror_run(conn, client, database, run):
    exp_name = f"ragsql/{run['set_name']}"
    exp = client.get_experiment_by_name(exp_name)
    exp_id = exp.experiment_id if exp else client.create_experiment(exp_name)
    found = client.search_runs([exp_id], filter_string=f"tags.`ragsql.eval_run_id` = '{run['id']}'"
                                                       f" and tags.`ragsql.database` = '{database}'", max_results=1)
    if found:
        return found[0].info.run_id
    metrics = conn.execute("SELECT * FROM rag.eval_run_metrics WHERE run_id = %s", (run["id"],)).fetchone()
    worst = conn.execute("SELECT case_id, external_id, question, reference_answer, first_relevant_rank, ndcg_at_10,"
                         " answer, faithfulness, token_f1 FROM rag.eval_worst_cases WHERE run_id = %s"
                         " AND badness_rank <= 20 ORDER BY badness_rank, case_id", (run["id"],)).fetchall()
    created = client.create_run(exp_id, start_time=int(run["started_at"].timestamp() * 1000),
                                run_name=run["label"] or f"eval run {run['id']}",
                                tags={"ragsql.eval_run_id": str(run["id"]), "ragsql.database": database,
                                      "ragsql.set": run["set_name"]})
    rid = created.info.run_id
    params = [mlflow.entities.Param(k, v) for k, v in _params(run["config"]).items()]
    # averages of integers come back as numeric (Decimal): metrics too
    values = [mlflow.entities.Metric(k, float(v), int(time.time() * 1000), 0) for k, v in metrics.items()
              if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) and k not in ("run_id",)]
    client.log_batch(rid, metrics=values, params=params)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "worst_cases.json"
        path.write_text(json.dumps(worst, ensure_ascii=False, indent=1, default=str))
        client.log_artifact(rid, str(path))
    client.set_terminated(rid, end_time=int(run["finished_at"].timestamp() * 1000) if run["finished_at"] else None)
    return rid


def _pending_transitions(conn):
    return conn.execute("""
        SELECT h.* FROM rag.stage_history h LEFT JOIN rag.mlflow_stage_transitions m ON m.history_id = h.id
         WHERE m.synced_at IS NULL ORDER BY h.id""").fetchall()


def _mirror_transition(client, database, row):
    name = f"ragsql.{row['kind']}.{row['name']}"
    try:
        client.get_registered_model(name)
    except mlflow.exceptions.MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        client.create_registered_model(name, tags={"ragsql.kind": row["kind"], "ragsql.database": database})
    versions = client.search_model_versions(f"name = '{name}'")
    version = versions[0].version if versions else client.create_model_version(
        name, source=f"ragsql://{database}/{row['kind']}/{row['name']}", tags={"ragsql.database": database}).version
    client.transition_model_version_stage(name, version, STAGES[row["to_stage"]])
    if row["to_stage"] == "Production":
        client.set_registered_model_alias(name, "production", version)
    elif row["from_stage"] == "Production":
        try:
            client.delete_registered_model_alias(name, "production")
        except mlflow.exceptions.MlflowException:
            pass
    client.set_model_version_tag(name, version, f"ragsql.history.{row['id']}",
                                 f"{row['from_stage']} -> {row['to_stage']}{' (forced)' if row['forced'] else ''}"
                                 f" by {row['changed_by']}")
    return name, version


def sync(database_url, tracking_uri):
    """One pass; returns counts: runs and transitions mirrored, and failed."""
    client = MlflowClient(tracking_uri=tracking_uri)
    counts = {"runs": 0, "transitions": 0, "failed": 0}
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as conn:
        database = conn.execute("SELECT current_database() AS d").fetchone()["d"]
        for run in _pending_runs(conn):
            try:
                rid = _mirror_run(conn, client, database, run)
                conn.execute("INSERT INTO rag.mlflow_runs AS m (eval_run_id, mlflow_run_id, synced_at, attempts)"
                             " VALUES (%s, %s, now(), 1) ON CONFLICT (eval_run_id) DO UPDATE SET mlflow_run_id ="
                             " excluded.mlflow_run_id, synced_at = now(), attempts = m.attempts + 1, last_error = NULL",
                             (run["id"], rid))
                counts["runs"] += 1
            except Exception as exc:  # noqa: BLE001 — recorded, retried on the next pass
                _failed(conn, "rag.mlflow_runs", "eval_run_id", run["id"], exc)
                counts["failed"] += 1
        for row in _pending_transitions(conn):
            try:
                name, version = _mirror_transition(client, database, row)
                conn.execute("INSERT INTO rag.mlflow_stage_transitions AS m (history_id, model_name, model_version,"
                             " synced_at, attempts) VALUES (%s, %s, %s, now(), 1) ON CONFLICT (history_id) DO UPDATE"
                             " SET model_name = excluded.model_name, model_version = excluded.model_version,"
                             " synced_at = now(), attempts = m.attempts + 1, last_error = NULL",
                             (row["id"], name, version))
                counts["transitions"] += 1
            except Exception as exc:  # noqa: BLE001
                _failed(conn, "rag.mlflow_stage_transitions", "history_id", row["id"], exc)
                counts["failed"] += 1
                break  # transitions are applied in order: a later one must not overtake this one
    return counts


def _failed(conn, table, key, value, exc):
    reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:500]
    conn.execute(f"INSERT INTO {table} AS m ({key}, attempts, last_error) VALUES (%s, 1, %s)"
                 f" ON CONFLICT ({key}) DO UPDATE SET attempts = m.attempts + 1, last_error = excluded.last_error",
                 (value, reason))


def main(argv=None):
    p = argparse.ArgumentParser(prog="ragsql.mlflow_sync", description=__doc__.split("\n\n")[0])
    p.add_argument("--tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI", "http://127.0.0.1:54350"))
    p.add_argument("--follow", type=float, default=0, help="sync again every SECONDS until stopped")
    args = p.parse_args(argv)
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("DATABASE_URL is not set", file=sys.stderr)
        return 2
    while True:
        counts = sync(url, args.tracking_uri)
        print(f"mlflow sync: {counts['runs']} evaluation runs and {counts['transitions']} stage transitions mirrored,"
              f" {counts['failed']} failed (kept pending)", flush=True)
        if not args.follow:
            return 1 if counts["failed"] else 0
        time.sleep(args.follow)


if __name__ == "__main__":
    sys.exit(main())
