"""Applies the SQL files in sql/.

  sql/schema/NNNN_<revision>.sql  the DDL of one Alembic revision, applied once
                                  by it; frozen once released (a test checks).
  sql/idempotent/*.sql            the API: functions, views, triggers, and last
                                  all grants and policies; applied in file-name
                                  order once the database is at the head
                                  revision (migrations/env.py), on every
                                  `alembic upgrade head`.
  sql/seed/*.sql                  seed data, after the API; fills only empty
                                  registries.
  sql/demo/*.sql                  the demo sales domain (`make demo` and the
                                  tests install it; a migration never does).
Placeholders filled at apply time:
  @extschema_vector@ / @unaccent_schema@  schemas the extensions live in
  @python_path@   the server-side Python path (venv site-packages and the
                  directory holding py_udfs); RAGSQL_SERVER_PYTHONPATH
                  (colon-separated) overrides it for a server elsewhere.
"""
import os
import sysconfig
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def server_python_path():
    env = os.environ.get("RAGSQL_SERVER_PYTHONPATH")
    if env:
        return [p for p in env.split(":") if p]
    return [str(SQL_DIR.parent), sysconfig.get_paths()["purelib"]]


def _ext_schema(cur, ext):
    cur.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
                " WHERE e.extname = %s", (ext,))
    row = cur.fetchone()
    return row[0] if row else "public"


def render(cur, text):
    from psycopg import sql
    if "@python_path@" in text:
        text = text.replace("@python_path@", repr(server_python_path()))
    for ext, token in (("vector", "@extschema_vector@"), ("unaccent", "@unaccent_schema@")):
        if token in text:
            name = sql.Identifier(_ext_schema(cur, ext)).as_string(cur)
            text = text.replace(token, name)
    return text


def apply(dbapi_conn, relpath):
    """Execute one SQL file (multi-statement, no parameters) on a psycopg connection."""
    path = SQL_DIR / relpath
    with dbapi_conn.cursor() as cur:
        cur.execute(render(cur, path.read_text()))


def _apply_folder(dbapi_conn, folder):
    for path in sorted((SQL_DIR / folder).glob("*.sql")):
        apply(dbapi_conn, path.relative_to(SQL_DIR))


def apply_api(dbapi_conn):
    """The idempotent API, then the seed data."""
    _apply_folder(dbapi_conn, "idempotent")
    _apply_folder(dbapi_conn, "seed")


def install_demo(dbapi_conn):
    """The demo sales domain and its intent registry rows (idempotent)."""
    _apply_folder(dbapi_conn, "demo")


# The data-quality agent's demo (sql/demo_dq): its checks and incident tool
# in the registry, over a copy of the sales lines. Kept apart from the demo
# so that only the agent demo and its tests register them.
DQ_FUNCTIONS = ("dqSucursalesSinVentas", "dqCaidasDeVentas", "dqMargenesNegativos", "abrirIncidente")


def install_demo_dq(dbapi_conn):
    _apply_folder(dbapi_conn, "demo_dq")


def remove_demo_dq(dbapi_conn):
    with dbapi_conn.cursor() as cur:
        cur.execute("DELETE FROM rag.intent_functions WHERE name = ANY (%s)", (list(DQ_FUNCTIONS),))


if __name__ == "__main__":
    # python -m ragsql.sqlfiles [--demo]: re-apply the API to DATABASE_URL
    # (what `alembic upgrade head` does at head), or install the demo domain.
    import sys

    import psycopg

    from . import database_url
    with psycopg.connect(database_url()) as conn:
        if "--demo" in sys.argv[1:]:
            install_demo(conn)
            print("installed the demo sales domain (sql/demo/)")
        else:
            apply_api(conn)
            print("re-applied sql/idempotent/ and sql/seed/")
