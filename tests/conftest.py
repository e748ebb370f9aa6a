"""Fixtures: a fresh database on the real server (DATABASE_URL's cluster),
migrated with Alembic exactly as a DBA would, shared by the session."""
import contextlib
import json
import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from alembic import command
from alembic.config import Config
from psycopg.rows import dict_row

from ragsql import sqlfiles

ROOT = Path(__file__).resolve().parent.parent


def url_for_db(url, dbname):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


def admin_url():
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.exit("DATABASE_URL is not set: run the suite with `make test`", returncode=2)
    return url


def recreate_db(name):
    with psycopg.connect(admin_url(), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    return url_for_db(admin_url(), name)


def alembic_cfg(url):
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# Several suites may share one cluster (a developer and CI, or parallel
# checkouts): RAGSQL_TEST_DB names this run's database.
TEST_DB = os.environ.get("RAGSQL_TEST_DB", "ragsql_test")


@pytest.fixture(scope="session")
def db_url():
    url = recreate_db(TEST_DB)
    command.upgrade(alembic_cfg(url), "head")
    with psycopg.connect(url, autocommit=True) as c:
        sqlfiles.install_demo(c)  # the sales domain the intent tests call
    yield url


@pytest.fixture
def conn(db_url):
    """Autocommit; rows come back as dicts keyed by column name."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
        yield c


@pytest.fixture
def tenant(conn):
    """A tenant of its own for each test; its rows are removed afterwards."""
    name = "t_" + uuid.uuid4().hex[:10]
    yield name
    conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (name,))


def ingest(conn, content, title=None, metadata=None, tenant="default", sync=True, **kw):
    """rag.ingest_document with keyword arguments; returns the document id.
    Works on any connection, whatever its row factory."""
    args = ", ".join(f"{k} => %({k})s" for k in kw)
    sql = ("SELECT rag.ingest_document(%(content)s, title => %(title)s, metadata => %(metadata)s::jsonb,"
           " tenant => %(tenant)s, sync => %(sync)s" + (", " + args if args else "") + ") AS document_id")
    params = dict(content=content, title=title, metadata=json.dumps(metadata or {}), tenant=tenant,
                  sync=sync, **kw)
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params).fetchone()["document_id"]


def counts(conn):
    """Row counts of the tables ingestion writes to, as a dict."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT (SELECT count(*) FROM rag.documents) AS documents,"
                           " (SELECT count(*) FROM rag.chunks) AS chunks,"
                           " (SELECT count(*) FROM rag.embeddings) AS embeddings,"
                           " (SELECT count(*) FROM rag.embedding_queue) AS queued").fetchone()


def use_endpoint(conn, name, base_url, kind="chat", **kw):
    """Register a (loopback) model endpoint and choose it for this session."""
    args = "".join(f", {k} => %({k})s" for k in kw)
    conn.execute(f"SELECT rag.register_endpoint(%(name)s, %(kind)s, %(url)s{args})",
                 dict(name=name, kind=kind, url=base_url, **kw))
    setting = "rag.llm_endpoint" if kind == "chat" else "rag.embedding_endpoint"
    conn.execute("SELECT set_config(%s, %s, false)", (setting, name))


@contextlib.contextmanager
def loopback_chat(conn, name, **kw):
    """A loopback OpenAI-compatible server registered as chat endpoint `name`
    and chosen for this session; unregistered afterwards. Yields the server."""
    from ragsql.loopback_llm import FakeOpenAI
    with FakeOpenAI() as server:
        use_endpoint(conn, name, server.base_url, **kw)
        try:
            yield server
        finally:
            conn.execute("RESET rag.llm_endpoint")
            conn.execute("SELECT rag.unregister_endpoint(%s)", (name,))
