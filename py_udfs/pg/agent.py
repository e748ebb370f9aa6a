"""Entry module of sql/idempotent/160_agents.sql: rag.agent_run (the loop is
py_udfs/agent.py) and the read-only SQL tool."""
import json

from .. import agent, llm
from .backend import llm_config
from .backend import run as _sql

MAX_TOKENS = 60_000  # a run's tokens in + out
_CANCEL = {"57014", "40P01"}  # a cancel, a statement timeout, a deadlock: end the statement as they would


def run_agent(plpy, goal, tenant, max_steps, max_seconds, tools, endpoint):
    """rag._agent_run: runs the loop as the caller; returns the run as JSON."""
    if goal is None or not goal.strip() or len(goal) > 4000:
        plpy.error("goal must be 1 to 4000 characters", sqlstate="22023")
    if max_steps is None or not 1 <= max_steps <= 30:
        plpy.error(f"max_steps must be between 1 and 30, not {max_steps}", sqlstate="22023")
    if max_seconds is None or not 1 <= max_seconds <= 900:
        plpy.error(f"max_seconds must be between 1 and 900, not {max_seconds}", sqlstate="22023")
    cfg = llm_config(plpy, endpoint)
    if not cfg.configured:
        plpy.error("an agent needs a chat endpoint", sqlstate="55000",
                   hint="start the local one with `make llm` and register it (rag.register_endpoint), "
                        "or pass endpoint => 'name'")
    registry = [dict(r, parameters=json.loads(r["parameters"])) for r in _sql(
        plpy, "SELECT name, description_en, rag.tool_schema(parameters) AS parameters, read_only"
              " FROM rag.intent_functions WHERE enabled AND pg_has_role(current_user, allowed_role, 'MEMBER')"
              " ORDER BY name")]
    specs = agent.tool_specs(registry, set(tools) if tools is not None else None)
    names = {s["function"]["name"] for s in specs}
    by_name = {r["name"]: r for r in registry}
    run_id = _sql(plpy, "SELECT rag._agent_start($1, $2, $3, $4, $5) AS id",
                  ["text", "text", "int", "int", "text"],
                  [goal, tenant, max_steps, max_seconds, cfg.describe()])[0]["id"]
    current = {"n": 0}

    def chat(messages, tool_specs):
        return llm.chat_tools(cfg, messages, tool_specs, max_tokens=500)

    def execute(name, arguments, reason):
        return _execute(plpy, run_id, current["n"] + 1, names, by_name, tenant, name, arguments, reason)

    def log(step):
        current["n"] = step["n"]
        usage = step.get("usage") or (None, None)
        _sql(plpy, "SELECT rag._agent_log_step($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
             ["bigint", "int", "text", "text", "jsonb", "jsonb", "text", "int", "int", "float8"],
             [run_id, step["n"], step.get("thought"), step.get("tool"), _json(step.get("arguments")),
              _json(step.get("result")), step.get("error"), usage[0], usage[1], step.get("ms")])

    status, answer, error, steps, tokens_in, tokens_out = agent.loop(
        chat, execute, log, goal, specs, max_steps, max_seconds, MAX_TOKENS,
        changes=frozenset(r["name"] for r in registry if not r["read_only"]))
    _sql(plpy, "SELECT rag._agent_finish($1, $2, $3, $4, $5, $6, $7)",
         ["bigint", "text", "text", "text", "int", "int", "int"],
         [run_id, status, answer, error, steps, tokens_in or None, tokens_out or None])
    pending = [r["id"] for r in _sql(plpy, "SELECT id FROM rag.pending_actions WHERE run_id = $1 ORDER BY id",
                                     ["bigint"], [run_id])]
    return json.dumps({"run_id": run_id, "status": status, "answer": answer, "error": error, "steps": steps,
                       "tokens_in": tokens_in or None, "tokens_out": tokens_out or None,
                       "pending_actions": pending}, ensure_ascii=False)


def _execute(plpy, run_id, step_n, names, registry, tenant, name, arguments, reason):
    """One tool call: (result, None) or (None, error text). A registry
    function that changes data is proposed, never run."""
    if name not in names:
        return None, f"unknown tool {str(name)[:60]!r}: use one of {', '.join(sorted(names))}"
    if not isinstance(arguments, dict):
        return None, "arguments must be a JSON object"
    try:
        with plpy.subtransaction():  # a failing tool rolls back only itself
            if name == "sql":
                return json.loads(_sql(plpy, "SELECT rag._agent_sql($1)::text AS r", ["text"],
                                       [str(arguments.get("query", ""))])[0]["r"]), None
            if name == "search":
                rows = _sql(plpy, "SELECT document_id, title, left(content, 600) AS content FROM"
                                  " rag.search($1, k => $2, tenant => $3)", ["text", "int", "text"],
                            [str(arguments.get("query", "")), int(arguments.get("k") or 5), tenant])
                return {"rows": [dict(r) for r in rows]}, None
            if name == "answer":
                out = json.loads(_sql(plpy, "SELECT rag.answer($1, tenant => $2)::text AS a", ["text", "text"],
                                      [str(arguments.get("question", "")), tenant])[0]["a"])
                return {"answer": out["answer"], "supported": out["supported"],
                        "sources": [s["citation"] for s in out["sources"] if s.get("cited")]}, None
            intent = json.dumps({"funcion": name, "parametros": arguments}, ensure_ascii=False)
            if not registry[name]["read_only"]:
                problems = _sql(plpy, "SELECT rag.validate_intent($1::jsonb) AS p", ["text"], [intent])[0]["p"]
                if problems:
                    return None, "invalid call: " + "; ".join(problems)
                action = _sql(plpy, "SELECT rag._agent_propose($1, $2, $3, $4::jsonb, $5) AS id",
                              ["bigint", "int", "text", "text", "text"],
                              [run_id, step_n, name, json.dumps(arguments, ensure_ascii=False), reason])[0]["id"]
                return {"proposed_action": action, "executed": False,
                        "note": f"{name} changes data: it was NOT run. Action {action} waits for a person's "
                                "approval. Do not call it again."}, None
            out = json.loads(_sql(plpy, "SELECT rag.execute_intent($1::jsonb)::text AS r", ["text"],
                                  [intent])[0]["r"])
            return {"result": out.get("result"), "rows": out.get("rows")}, None
    except plpy.SPIError as exc:
        if getattr(exc, "sqlstate", None) in _CANCEL:
            raise
        return None, f"{getattr(exc, 'sqlstate', None) or 'XX000'}: {str(exc).splitlines()[0][:500]}"
    except (TypeError, ValueError) as exc:
        return None, f"invalid arguments: {exc}"


def read_only_sql(plpy, query, row_limit, timeout_ms):
    """rag._agent_sql: the rows of one SELECT run by rag_agent_reader on a
    connection of its own (read-only, statement_timeout), as JSON."""
    import psycopg
    if query is None or not query.strip():
        plpy.error("query is empty", sqlstate="22023")
    if not 1 <= (row_limit or 0) <= 1000 or not 100 <= (timeout_ms or 0) <= 60_000:
        plpy.error("row_limit must be 1 to 1000 and timeout_ms 100 to 60000", sqlstate="22023")
    where = _sql(plpy, "SELECT * FROM rag._agent_sql_target()")[0]
    try:
        with psycopg.connect(host=where["host"], port=where["port"], dbname=where["dbname"],
                             user="rag_agent_reader", connect_timeout=5, autocommit=False,
                             options=f"-c default_transaction_read_only=on -c statement_timeout={int(timeout_ms)}"
                                     " -c idle_in_transaction_session_timeout=10000") as conn:
            cur = conn.execute(query, prepare=True)  # prepared: one statement, no more
            columns = [d.name for d in cur.description or []]
            rows = cur.fetchmany(row_limit + 1)
            conn.rollback()
    except psycopg.OperationalError as exc:
        if "timeout" in str(exc) or "canceling statement" in str(exc):
            return json.dumps({"error": f"the query ran longer than {timeout_ms} ms and was cancelled"})
        plpy.error("the read-only SQL tool cannot connect as rag_agent_reader",
                   detail=str(exc).strip().splitlines()[-1][:300], sqlstate="08001",
                   hint="pg_hba.conf must let rag_agent_reader log in over the server's own socket (local)")
    except psycopg.Error as exc:
        state = getattr(exc.diag, "sqlstate", None) or "XX000"
        return json.dumps({"error": f"{state}: {exc.diag.message_primary or str(exc).strip()}"[:500]})
    return json.dumps({"columns": columns, "rows": [dict(zip(columns, r)) for r in rows[:row_limit]],
                       "truncated": len(rows) > row_limit}, ensure_ascii=False, default=str)


def _json(value):
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)
