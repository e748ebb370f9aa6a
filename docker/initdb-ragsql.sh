#!/usr/bin/env bash
# First start of the container: migrate the database to head (tables,
# functions, indexes; DiskANN because vectorscale is installed here).
set -euo pipefail
cd /opt/ragsql
export DATABASE_URL="postgresql://${POSTGRES_USER:-postgres}@/${POSTGRES_DB:-postgres}?host=/var/run/postgresql"
/opt/ragsql/venv/bin/alembic upgrade head
echo "ragsql: migrated; vector index method: $(psql -tAc 'SELECT method FROM rag.vector_indexes WHERE active' "$DATABASE_URL")"
