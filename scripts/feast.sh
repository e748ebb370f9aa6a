#!/usr/bin/env bash
# Feast on the project's PostgreSQL: the FEAST_PG_* settings that
# feature_store/feature_store.yaml reads, from DATABASE_URL (over loopback
# TCP), then a feast command in the Feast venv.
#   scripts/feast.sh apply | materialize [END] | frame [ARGS] | python ARGS | feast ARGS...
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?DATABASE_URL names the database (make sets it)}"
PY=.venv-feast/bin/python
eval "$($PY - "$DATABASE_URL" <<'PY'
import shlex, sys
from urllib.parse import parse_qs, unquote, urlsplit
u = urlsplit(sys.argv[1])
q = {k: v[-1] for k, v in parse_qs(u.query).items()}
host = u.hostname or q.get("host", "")
host = "127.0.0.1" if not host or host.startswith("/") else host
print(f"export FEAST_PG_HOST={shlex.quote(host)}")
print(f"export FEAST_PG_PORT={u.port or int(q.get('port', 5432))}")
print(f"export FEAST_PG_DB={shlex.quote(unquote(u.path.lstrip('/')) or q.get('dbname', ''))}")
print(f"export FEAST_PG_USER={shlex.quote(unquote(u.username or q.get('user', '')))}")
PY
)"
export FEAST_PG_PASSWORD=${FEAST_PG_PASSWORD:-}
# Loopback to the local cluster: no SSL there (Feast's default is require).
export FEAST_PG_SSLMODE=${FEAST_PG_SSLMODE:-$([ "$FEAST_PG_HOST" = 127.0.0.1 ] && echo disable || echo require)}
export FEAST_USAGE=False
psql_db() { .venv-feast/bin/python -c "import psycopg,sys; psycopg.connect(sys.argv[1], autocommit=True).execute(sys.argv[2])" "$DATABASE_URL" "$1"; }
cmd=${1:-}; shift || true
case "$cmd" in
  apply)
    psql_db "CREATE SCHEMA IF NOT EXISTS feast"
    (cd feature_store && ../.venv-feast/bin/feast apply) ;;
  materialize)
    end=${1:-$(date -u +%Y-%m-%dT%H:%M:%S)}
    (cd feature_store && ../.venv-feast/bin/feast materialize-incremental "$end") ;;
  frame) PYTHONPATH=feature_store $PY feature_store/training_frame.py "$@" ;;
  python) (cd feature_store && PYTHONPATH=. ../$PY "$@") ;;
  feast) (cd feature_store && ../.venv-feast/bin/feast "$@") ;;
  *) echo "usage: $0 apply | materialize [END] | frame [--days N] | python ARGS | feast ARGS..." >&2; exit 2 ;;
esac
