#!/usr/bin/env bash
# Project-local PostgreSQL cluster: data and socket inside the checkout,
# a non-standard port, run as the postgres OS user (postgres refuses root).
#   scripts/db.sh start | stop | status | url | url-tcp [URL] | url-jdbc [URL]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PG_MAJOR=${PG_MAJOR:-15}
BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PGDATA_DIR=$ROOT/.pgdata/data
SOCK=$ROOT/.pgdata/run
PORT=${RAGSQL_PGPORT:-54329}
DB=${RAGSQL_DB:-ragsql}

as_pg() {
  if [ "$(id -un)" = postgres ]; then "$@";
  elif [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@";
  else "$@"; fi  # a non-root user runs the cluster as themselves
}
dbuser() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }

case "${1:-}" in
  start)
    mkdir -p "$ROOT/.pgdata"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$ROOT/.pgdata"; fi
    if [ ! -s "$PGDATA_DIR/PG_VERSION" ]; then
      echo "==> initdb $PGDATA_DIR"
      as_pg "$BIN/initdb" -D "$PGDATA_DIR" -U "$(dbuser)" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
      cat >> "$PGDATA_DIR/postgresql.conf" <<CONF
# ragsql project-local cluster
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK'
shared_buffers = 256MB
max_connections = 50
CONF
    fi
    # pg_cron runs the scheduled jobs (drift snapshot, nightly evaluation);
    # it must be preloaded, so a cluster made before it gets the lines and a
    # restart once.
    if ! grep -q "^shared_preload_libraries = 'pg_cron'" "$PGDATA_DIR/postgresql.conf"; then
      cat >> "$PGDATA_DIR/postgresql.conf" <<CONF
shared_preload_libraries = 'pg_cron'
cron.database_name = '$DB'
cron.use_background_workers = on
max_worker_processes = 16
CONF
      if as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
        echo "==> restarting PostgreSQL to load pg_cron"
        as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null
      fi
    fi
    as_pg mkdir -p "$SOCK"
    if as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
      :
    else
      echo "==> starting PostgreSQL $PG_MAJOR on port $PORT"
      as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" -l "$ROOT/.pgdata/server.log" -w -o "-p $PORT -k $SOCK" start >/dev/null
    fi
    if ! "$BIN/psql" -h "$SOCK" -p "$PORT" -U "$(dbuser)" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1; then
      "$BIN/createdb" -h "$SOCK" -p "$PORT" -U "$(dbuser)" "$DB"
    fi
    ;;
  stop)
    if [ -s "$PGDATA_DIR/PG_VERSION" ] && as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
      as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null && echo "==> stopped"
    else
      echo "==> not running"
    fi
    ;;
  status)
    as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" status ;;
  url)
    echo "postgresql://$(dbuser)@/$DB?host=$SOCK&port=$PORT" ;;
  # The same database over TCP on loopback (listen_addresses above), for
  # tools that cannot use a Unix socket: libpq form, and the JDBC form that
  # DBeaver, DataGrip, Metabase and other Java tools accept. Given a URL
  # (DATABASE_URL), its user, database and port are kept. No password is
  # ever printed: initdb's loopback rule here is trust; a cluster that asks
  # for one gets it from the tool's own password field or ~/.pgpass.
  url-tcp|url-jdbc)
    python3 - "$1" "${2:-postgresql://$(dbuser)@/$DB?host=$SOCK&port=$PORT}" <<'PY'
import sys
from urllib.parse import parse_qs, quote, urlsplit
form, url = sys.argv[1], sys.argv[2]
u = urlsplit(url)
q = {k: v[-1] for k, v in parse_qs(u.query).items()}
host = u.hostname or q.get("host", "")
host = "127.0.0.1" if not host or host.startswith("/") else host
port = u.port or int(q.get("port", 5432))
user = u.username or q.get("user", "")
db = u.path.lstrip("/") or q.get("dbname", user)
if form == "url-tcp":
    print(f"postgresql://{quote(user, safe='') + '@' if user else ''}{host}:{port}/{quote(db, safe='')}")
else:
    print(f"jdbc:postgresql://{host}:{port}/{quote(db, safe='')}" + (f"?user={quote(user, safe='')}" if user else ""))
PY
    ;;
  *) echo "usage: $0 start|stop|status|url|url-tcp [URL]|url-jdbc [URL]" >&2; exit 2 ;;
esac
