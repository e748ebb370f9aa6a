"""`ragsql mcp`: the intent registry's functions, `search` and `answer` as
Model Context Protocol tools, over stdio or streamable HTTP on loopback.

The server acts as exactly the database role of its DATABASE_URL: the
registry functions listed are those that role may call, and row security
applies to what it reads. A function that changes data (read_only = false)
is never confirmed here: its call comes back as a tool error and changes
nothing; a person runs it with rag.execute_intent(..., confirm => true).
Every call is one autocommit statement under a statement timeout.
"""
import json
import sys

import anyio
import mcp_types as types
import psycopg
from mcp.server import Server
from psycopg.rows import dict_row

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_TEXT = 20_000  # characters of a tool result's text; the structured result is whole

_BUILTIN = {
    "search": types.Tool(
        name="search",
        description="Hybrid (vector + full-text) search over the documents the caller may see. "
                    "Returns the best chunks with their title, score and document id.",
        input_schema={"type": "object", "additionalProperties": False, "required": ["query"], "properties": {
            "query": {"type": "string", "description": "what to look for, in Spanish or English"},
            "k": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5},
            "tenant": {"type": "string", "description": "one of the caller's tenants (default: all of them)"},
            "filter": {"type": "object", "description": "metadata the chunks must contain (jsonb @>)"},
            "mode": {"type": "string", "enum": ["hybrid", "vector", "text"], "default": "hybrid"}}},
        annotations=types.ToolAnnotations(read_only_hint=True, open_world_hint=False)),
    "answer": types.Tool(
        name="answer",
        description="An answer from the documents with [N] citations, or an honest refusal when they "
                    "do not say. Returns the answer, whether the sources support it, and the sources.",
        input_schema={"type": "object", "additionalProperties": False, "required": ["question"], "properties": {
            "question": {"type": "string"},
            "tenant": {"type": "string", "description": "one of the caller's tenants (default: all of them)"},
            "k": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
            "graph": {"type": "boolean", "default": False,
                      "description": "retrieve over the entity graph (questions that need two documents)"}}},
        annotations=types.ToolAnnotations(read_only_hint=True, open_world_hint=False)),
}


class Database:
    """One connection, one statement at a time (the SDK serves requests
    concurrently; psycopg's connection is not shared across statements)."""

    def __init__(self, url, statement_timeout_ms):
        self.conn = psycopg.connect(url, autocommit=True, row_factory=dict_row,
                                    options=f"-c statement_timeout={int(statement_timeout_ms)}")
        self.lock = anyio.Lock()

    async def rows(self, sql, args=()):
        async with self.lock:
            return await anyio.to_thread.run_sync(lambda: self.conn.execute(sql, args).fetchall())

    def whoami(self):
        return self.conn.execute("SELECT current_user AS role, current_database() AS db").fetchone()


def registry_tools(rows):
    """The registry rows (rag.intent_functions) as MCP tools."""
    tools = []
    for r in rows:
        if r["name"] in _BUILTIN:
            continue  # a registry function cannot shadow search or answer
        changes = not r["read_only"]
        description = f"{r['description_en']} / {r['description_es']}"
        if changes:
            description += (" (Changes data: refused over MCP; a person runs it with "
                            "rag.execute_intent(intent, confirm => true).)")
        tools.append(types.Tool(
            name=r["name"], description=description, input_schema=r["parameters"],
            annotations=types.ToolAnnotations(read_only_hint=not changes, destructive_hint=changes,
                                              open_world_hint=False)))
    return tools


def error_result(exc, hint=None):
    """A database error as the tool's error text: SQLSTATE, message, hint;
    never a Python traceback."""
    diag = getattr(exc, "diag", None)
    state = getattr(diag, "sqlstate", None) or "XX000"
    message = getattr(diag, "message_primary", None) or str(exc).strip().splitlines()[0]
    hint = hint or getattr(diag, "message_hint", None)
    text = f"SQLSTATE {state}: {message}" + (f" (hint: {hint})" if hint else "")
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True,
                                structured_content={"sqlstate": state, "message": message, "hint": hint})


def _result(payload, text):
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"… ({len(text)} characters; the structured result is complete)"
    return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=payload)


def build_server(db):
    async def list_tools(ctx, params):
        rows = await db.rows(
            "SELECT name, description_en, description_es, rag.tool_schema(parameters) AS parameters, read_only"
            " FROM rag.intent_functions"
            " WHERE enabled AND pg_has_role(current_user, allowed_role, 'MEMBER') ORDER BY name")
        return types.ListToolsResult(tools=list(_BUILTIN.values()) + registry_tools(rows))

    async def call_tool(ctx, params):
        args = params.arguments or {}
        try:
            if params.name == "search":
                rows = await db.rows(
                    "SELECT chunk_id, document_id, title, content, metadata, round(score::numeric, 6)::float8 AS score"
                    " FROM rag.search(%s, k => %s, tenant => %s, filter => %s::jsonb, mode => %s)",
                    (args.get("query"), int(args.get("k", 5)), args.get("tenant"),
                     json.dumps(args["filter"]) if args.get("filter") is not None else None,
                     args.get("mode", "hybrid")))
                text = "\n\n".join(f"[{i}] {r['title']} (document {r['document_id']}, score {r['score']})\n"
                                   f"{r['content']}" for i, r in enumerate(rows, 1)) or "no matching documents"
                return _result({"rows": rows}, text)
            if params.name == "answer":
                out = (await db.rows("SELECT rag.answer(%s, k => %s, tenant => %s, graph => %s) AS a",
                                     (args.get("question"), int(args.get("k", 10)), args.get("tenant"),
                                      bool(args.get("graph", False)))))[0]["a"]
                if out is None:
                    return error_result(ValueError("question is missing"))
                cites = "\n".join(f"[{s['n']}] {s['citation']}" for s in out["sources"] if s.get("cited"))
                return _result(out, out["answer"] + (f"\n\n{cites}" if cites else ""))
            intent = {"funcion": params.name, "parametros": args}
            try:
                out = (await db.rows("SELECT rag.execute_intent(%s::jsonb) AS r", (json.dumps(intent),)))[0]["r"]
            except psycopg.errors.InsufficientPrivilege as exc:
                if "changes data" not in (exc.diag.message_primary or ""):
                    raise
                # the database's hint says how to confirm; over MCP nobody can
                return error_result(exc, hint="MCP never confirms a change of data: a person runs SELECT "
                                              f"rag.execute_intent('{json.dumps(intent, ensure_ascii=False)}',"
                                              " confirm => true)")
            return _result(out, json.dumps(out.get("result"), ensure_ascii=False, default=str))
        except psycopg.Error as exc:
            return error_result(exc)
        except (TypeError, ValueError) as exc:  # e.g. k that is no integer
            return types.CallToolResult(content=[types.TextContent(text=f"invalid arguments: {exc}")],
                                        is_error=True)

    return Server("ragsql", version="0.1.0",
                  instructions="Search and answer from the documents of this PostgreSQL database, and run the "
                               "registered functions over its data. Functions that change data are refused.",
                  on_list_tools=list_tools, on_call_tool=call_tool)


def serve(url, args):
    """Runs until stdin closes (stdio) or the process is stopped (http).
    Returns an exit status; errors go to stderr, never to the protocol."""
    transport, host, port = args.transport, args.host, args.port
    allow_remote, statement_timeout_ms = args.allow_remote, args.statement_timeout_ms
    if transport == "http" and host not in LOOPBACK and not allow_remote:
        print(f"ragsql mcp: refusing to listen on {host}: the server acts with its database role for anyone "
              "who reaches the port. Use 127.0.0.1, or --allow-remote behind an authenticating proxy.",
              file=sys.stderr)
        return 2
    try:
        db = Database(url, statement_timeout_ms)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        print(f"ragsql mcp: cannot connect to the database: {reason}", file=sys.stderr)
        return 2
    who = db.whoami()
    server = build_server(db)
    where = "stdio" if transport == "stdio" else f"http://{host}:{port}/mcp"
    print(f"ragsql mcp: serving database {who['db']} as role {who['role']} on {where}", file=sys.stderr)
    try:
        if transport == "stdio":
            anyio.run(_run_stdio, server)
        else:
            import uvicorn
            app = server.streamable_http_app(host=host)
            uvicorn.run(app, host=host, port=port, log_level="warning")
    except KeyboardInterrupt:
        pass
    finally:
        db.conn.close()
    return 0


async def _run_stdio(server):
    from mcp.server.stdio import stdio_server
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
