"""Applies the SQL files in sql/ from Alembic revisions.

sql/schema/NNN_*.sql are applied once by the revision that names them;
sql/idempotent/*.sql (CREATE OR REPLACE, views, grants) are re-applied in
file-name order by every revision; a file whose first lines say
`-- requires: rag.some_table` waits for the revision that creates it.
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


def _requires(path):
    """Relations named on a `-- requires: a, b` line: the file is applied only
    once the revision that creates them has run."""
    for line in path.read_text().splitlines()[:5]:
        if line.startswith("-- requires:"):
            return [r.strip() for r in line.split(":", 1)[1].split(",") if r.strip()]
    return []


def apply_idempotent(dbapi_conn):
    for path in sorted((SQL_DIR / "idempotent").glob("*.sql")):
        needed = _requires(path)
        if needed:
            with dbapi_conn.cursor() as cur:
                cur.execute("SELECT bool_and(to_regclass(r) IS NOT NULL) FROM unnest(%s::text[]) r", (needed,))
                if not cur.fetchone()[0]:
                    continue
        apply(dbapi_conn, path.relative_to(SQL_DIR))


if __name__ == "__main__":
    # Developer shortcut: re-apply sql/idempotent/ to DATABASE_URL without a
    # new revision (functions and views only; data untouched).
    import psycopg

    from . import database_url
    with psycopg.connect(database_url()) as conn:
        apply_idempotent(conn)
    print("re-applied sql/idempotent/")
