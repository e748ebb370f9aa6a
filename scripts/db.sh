#!/usr/bin/env bash
# Project-local PostgreSQL cluster: data and socket inside the checkout,
# a non-standard port, run as the postgres OS user (postgres refuses root).
#   scripts/db.sh start | stop | status | url
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
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
