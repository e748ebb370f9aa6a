"""The public API, as the catalog of the migrated database describes it,
compared with the checked-in tests/api_snapshot.txt: any change to a
function's signature, result, volatility or security, or to a table's or
view's columns, shows up as a diff in review.

After an intended change, regenerate the file and commit it:

    RAGSQL_UPDATE_API_SNAPSHOT=1 pytest tests/test_api_snapshot.py
"""
import difflib
import os
import warnings
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

SNAPSHOT = Path(__file__).with_name("api_snapshot.txt")
UPDATE_VAR = "RAGSQL_UPDATE_API_SNAPSHOT"

HEADER = f"""\
# The public API of ragsql: every object in schema rag and the public rag_*
# objects, one line each, sorted. Checked by tests/test_api_snapshot.py;
# regenerate with {UPDATE_VAR}=1 pytest tests/test_api_snapshot.py
"""

# Objects owned by the API: schema rag, and public.rag_* (the unqualified
# entry points). Members of an extension are not the project's API.
IN_API = """(n.nspname = 'rag' OR (n.nspname = 'public' AND {name} LIKE 'rag\\_%'))
    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = {catalog}::regclass
                    AND e.objid = {oid} AND e.deptype = 'e')"""

ROUTINES = f"""
SELECT CASE p.prokind WHEN 'f' THEN 'function' WHEN 'p' THEN 'procedure'
                      WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function' END AS kind,
       format('%I.%I', n.nspname, p.proname) AS name,
       pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result,
       CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END AS volatility,
       p.prosecdef AS security_definer
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE {IN_API.format(name="p.proname", catalog="'pg_proc'", oid="p.oid")}
"""

# Tables, views and standalone composite types with their columns in order.
# Indexes are left out (some are named after model ids); so are sequences
# that only back an identity or serial column.
RELATIONS = f"""
SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
                      WHEN 'c' THEN 'type' WHEN 'S' THEN 'sequence' END AS kind,
       format('%I.%I', n.nspname, c.relname) AS name,
       (SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', '
                          ORDER BY a.attnum)
          FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c', 'S')
   AND {IN_API.format(name="c.relname", catalog="'pg_class'", oid="c.oid")}
   AND NOT (c.relkind = 'S' AND EXISTS (
            SELECT 1 FROM pg_depend o WHERE o.classid = 'pg_class'::regclass AND o.objid = c.oid
               AND o.refobjsubid > 0 AND o.deptype IN ('a', 'i')))
"""

# Enums, domains and ranges (composite types are listed with the relations;
# array types come with their element type).
TYPES = f"""
SELECT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range'
                      WHEN 'm' THEN 'multirange' ELSE 'type' END AS kind,
       format('%I.%I', n.nspname, t.typname) AS name,
       CASE t.typtype
            WHEN 'e' THEN (SELECT string_agg(quote_literal(l.enumlabel), ', ' ORDER BY l.enumsortorder)
                             FROM pg_enum l WHERE l.enumtypid = t.oid)
            WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod)
       END AS detail
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype IN ('b', 'd', 'e', 'r', 'm') AND t.typcategory <> 'A'
   AND {IN_API.format(name="t.typname", catalog="'pg_type'", oid="t.oid")}
"""

TEXT_SEARCH = f"""
SELECT 'text search configuration' AS kind, format('%I.%I', n.nspname, c.cfgname) AS name
  FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
 WHERE {IN_API.format(name="c.cfgname", catalog="'pg_ts_config'", oid="c.oid")}
UNION ALL
SELECT 'text search dictionary', format('%I.%I', n.nspname, d.dictname)
  FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace
 WHERE {IN_API.format(name="d.dictname", catalog="'pg_ts_dict'", oid="d.oid")}
"""


def api_lines(conn):
    """One line per API object, sorted; nothing in a line depends on OIDs."""
    lines = []
    for r in conn.execute(ROUTINES):
        line = f"{r['kind']} {r['name']}({r['arguments']})"
        if r["result"] is not None:
            line += f" returns {r['result']}"
        line += f"; {r['volatility']}"
        line += "; security definer" if r["security_definer"] else "; security invoker"
        lines.append(line)
    for r in conn.execute(RELATIONS):
        lines.append(f"{r['kind']} {r['name']}" + ("" if r["kind"] == "sequence" else f"({r['columns'] or ''})"))
    for r in conn.execute(TYPES):
        lines.append(f"{r['kind']} {r['name']}" + (f"({r['detail']})" if r["detail"] else ""))
    for r in conn.execute(TEXT_SEARCH):
        lines.append(f"{r['kind']} {r['name']}")
    return sorted(lines)


def render(lines):
    return HEADER + "".join(line + "\n" for line in lines)


def test_public_api_matches_the_checked_in_snapshot(db_url):
    # A search_path of its own: types and defaults print the same in every session.
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
        c.execute("SET search_path = public")
        actual = render(api_lines(c))
    expected = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    if actual == expected:
        return
    if os.environ.get(UPDATE_VAR) == "1":
        SNAPSHOT.write_text(actual)
        warnings.warn(f"{UPDATE_VAR}=1: rewrote tests/{SNAPSHOT.name} from the database catalog; "
                      "review the change and commit it")
        return
    diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                        fromfile=f"tests/{SNAPSHOT.name} (expected)",
                                        tofile="database catalog (actual)"))
    pytest.fail(f"The public API differs from tests/{SNAPSHOT.name}:\n\n{diff}\n"
                f"If the change is intended, regenerate the file and commit it:\n"
                f"    {UPDATE_VAR}=1 pytest tests/test_api_snapshot.py", pytrace=False)
