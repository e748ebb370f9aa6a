"""Alembic environment: DATABASE_URL decides the database; each revision
applies its DDL file in sql/schema/, and once the database is at the head
revision the API (sql/idempotent/, then sql/seed/) is applied in one more
transaction (see ragsql/sqlfiles.py). An API written for today's tables is
never run against an older schema, and `alembic upgrade head` on a current
database re-applies it."""
import os
from logging.config import fileConfig

from alembic import context
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from ragsql import sqlfiles

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url():
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL is not set; `make migrate` sets it for the local cluster")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def run_migrations_offline():
    raise SystemExit("offline (--sql) mode is not supported: revisions read the live catalog")


def run_migrations_online():
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        # One transaction for the whole run: a refused or failed revision
        # leaves the database at the revision it started from.
        context.configure(connection=connection, transaction_per_migration=False)
        with context.begin_transaction():
            context.run_migrations()
        heads = set(ScriptDirectory.from_config(config).get_heads())
        if set(context.get_context().get_current_heads()) == heads:
            if connection.in_transaction():  # the version check above began one
                connection.commit()
            with connection.begin():
                sqlfiles.apply_api(connection.connection.dbapi_connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
