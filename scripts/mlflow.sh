#!/usr/bin/env bash
# MLflow's tracking server and UI on loopback, its backend store a database
# of the project's PostgreSQL cluster, its artifacts a folder of the checkout.
#   scripts/mlflow.sh start | stop | status | url
# RAGSQL_MLFLOW_PORT (54350), RAGSQL_MLFLOW_DB (mlflow), RAGSQL_MLFLOW_DIR
# (.mlflow: artifacts, pid and log) choose another instance (the tests do).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${RAGSQL_MLFLOW_PORT:-54350}
MDB=${RAGSQL_MLFLOW_DB:-mlflow}
DIR=${RAGSQL_MLFLOW_DIR:-$PWD/.mlflow}
PY=.venv-mlflow/bin/python
# The follower mirrors DATABASE_URL's evaluation runs and stage transitions
# every RAGSQL_MLFLOW_FOLLOW seconds (0: none; `make mlflow-sync` once).
FOLLOW=${RAGSQL_MLFLOW_FOLLOW:-30}

backend_uri() {  # the project's URL with the MLflow database, as SQLAlchemy's psycopg 3 form
  $PY - "$DATABASE_URL" "$MDB" <<'PY'
import sys
from urllib.parse import urlsplit, urlunsplit
u = urlsplit(sys.argv[1])
print(urlunsplit(u._replace(scheme="postgresql+psycopg", path="/" + sys.argv[2])))
PY
}

running() { [ -s "$DIR/server.pid" ] && kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null; }

follower_running() { [ -s "$DIR/sync.pid" ] && kill -0 "$(cat "$DIR/sync.pid")" 2>/dev/null; }

case "${1:-}" in
  start)
    : "${DATABASE_URL:?DATABASE_URL names the cluster (make sets it)}"
    if running; then echo "==> MLflow already running on http://127.0.0.1:$PORT"; exit 0; fi
    mkdir -p "$DIR/artifacts"
    $PY - "$DATABASE_URL" "$MDB" <<'PY'
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (sys.argv[2],)).fetchone():
        c.execute(f'CREATE DATABASE "{sys.argv[2]}"')
PY
    # One worker: a tracking server for one team's evaluation runs.
    nohup .venv-mlflow/bin/mlflow server --backend-store-uri "$(backend_uri)" \
      --artifacts-destination "$DIR/artifacts" --serve-artifacts \
      --host 127.0.0.1 --port "$PORT" --workers 1 >"$DIR/server.log" 2>&1 &
    echo $! >"$DIR/server.pid"
    for _ in $(seq 1 120); do
      if curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then
        echo "==> MLflow on http://127.0.0.1:$PORT (backend: database $MDB)"
        if [ "$FOLLOW" != 0 ] && ! follower_running; then
          PYTHONPATH=$PWD nohup $PY -m ragsql.mlflow_sync --tracking-uri "http://127.0.0.1:$PORT" \
            --follow "$FOLLOW" >"$DIR/sync.log" 2>&1 &
          echo $! >"$DIR/sync.pid"
          echo "==> mirroring evaluation runs and stage transitions every $FOLLOW s ($DIR/sync.log)"
        fi
        exit 0
      fi
      running || { echo "MLflow failed to start; see $DIR/server.log" >&2; tail -n 20 "$DIR/server.log" >&2; exit 1; }
      sleep 0.5
    done
    echo "MLflow did not answer within 60 s; see $DIR/server.log" >&2; exit 1 ;;
  stop)
    if follower_running; then kill "$(cat "$DIR/sync.pid")" 2>/dev/null || true; fi
    rm -f "$DIR/sync.pid"
    if running; then
      pid=$(cat "$DIR/server.pid")
      pkill -TERM -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      rm -f "$DIR/server.pid"; echo "==> MLflow stopped"
    else echo "==> MLflow not running"; fi ;;
  status)
    if running; then echo "running on http://127.0.0.1:$PORT"; else echo "stopped"; fi ;;
  url) echo "http://127.0.0.1:$PORT" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
