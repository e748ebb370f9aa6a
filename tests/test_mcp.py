"""`ragsql mcp` through the MCP SDK's own client, over stdio and over
streamable HTTP: the tools a role gets, a call, a refused destructive call,
the tenant boundary, and what an unreachable database or a public address
gets."""
import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from .conftest import ROOT, ingest


def _as_role(db_url, role):
    parts = urlsplit(db_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}"))


def _env(url):
    return {"DATABASE_URL": url, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


def _stdio(url):
    return StdioServerParameters(command=sys.executable, args=["-m", "ragsql", "mcp"], cwd=str(ROOT), env=_env(url))


def _run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


async def _session(server, steps):
    async with Client(server) as client:
        return await steps(client)


@pytest.fixture
def roles(conn, tenant):
    """Two analysts with a tenant each (one document each), and an editor
    who may void sales (ventas_editor) with the first tenant."""
    tag = uuid.uuid4().hex[:8]
    names = {"a": f"mcp_a_{tag}", "b": f"mcp_b_{tag}", "editor": f"mcp_ed_{tag}"}
    tenants = {"a": tenant, "b": tenant + "_b", "editor": tenant}
    ingest(conn, "Los mayoristas pueden devolver mercadería dentro de los 30 días con factura.", "Devoluciones A",
           tenant=tenants["a"])
    ingest(conn, "El presupuesto confidencial del proyecto Orquídea es de 4 millones de pesos.", "Secreto B",
           tenant=tenants["b"])
    for key, role in names.items():
        conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE rag_user')
        conn.execute("SELECT rag.grant_tenant(%s, %s)", (role, tenants[key]))
    conn.execute(f'GRANT ventas_editor TO "{names["editor"]}"')
    yield names, tenants
    for key, role in names.items():
        conn.execute("SELECT rag.revoke_tenant(%s, %s)", (role, tenants[key]))
        conn.execute("DELETE FROM rag.answer_log WHERE asked_by = %s", (role,))
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE "{role}"')
    conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (tenants["b"],))


def test_tools_calls_and_refusals_over_stdio(db_url, conn, roles):
    names, tenants = roles

    async def analyst(client):
        listed = {t.name: t for t in (await client.list_tools()).tools}
        conn.execute("UPDATE rag.intent_functions SET enabled = false WHERE name = 'obtenerGananciaTotal'")
        try:
            after_disable = {t.name for t in (await client.list_tools()).tools}
        finally:
            conn.execute("UPDATE rag.intent_functions SET enabled = true WHERE name = 'obtenerGananciaTotal'")
        top = await client.call_tool("topProductos", {"fechaInicio": "2024-07-01", "fechaFin": "2024-07-31",
                                                      "limite": 3})
        bad = await client.call_tool("topProductos", {"fechaInicio": "julio"})
        found = await client.call_tool("search", {"query": "devolver mercadería mayoristas", "k": 5})
        return listed, after_disable, top, bad, found

    listed, after_disable, top, bad, found = _run(_session(_stdio(_as_role(db_url, names["a"])), analyst))
    assert {"search", "answer", "topProductos", "obtenerGananciaTotal"} <= set(listed)
    assert "anularVentasSucursal" not in listed  # its allowed_role is ventas_editor
    assert "obtenerGananciaTotal" not in after_disable  # the registry is read per listing
    assert "x-catalog" not in str(listed["topProductos"].input_schema)
    assert listed["topProductos"].annotations.read_only_hint is True
    assert not top.is_error and len(top.structured_content["result"]) == 3, top
    assert bad.is_error and bad.content[0].text.startswith("SQLSTATE 22023: invalid intent"), bad
    assert "Traceback" not in bad.content[0].text
    assert not found.is_error and found.structured_content["rows"][0]["title"] == "Devoluciones A"


def test_a_destructive_function_is_listed_as_such_and_refused(db_url, conn, roles):
    names, _ = roles
    lines = conn.execute("SELECT count(*) AS n FROM ventas.lineas").fetchone()["n"]

    async def editor(client):
        listed = {t.name: t for t in (await client.list_tools()).tools}
        result = await client.call_tool("anularVentasSucursal", {"sucursal": "Abasto", "fecha": "2024-07-01"})
        return listed, result

    listed, result = _run(_session(_stdio(_as_role(db_url, names["editor"])), editor))
    assert listed["anularVentasSucursal"].annotations.destructive_hint is True
    assert "refused over MCP" in listed["anularVentasSucursal"].description
    assert result.is_error and result.content[0].text.startswith("SQLSTATE 42501: function anularVentasSucursal"
                                                                 " changes data")
    assert "MCP never confirms" in result.structured_content["hint"]
    assert conn.execute("SELECT count(*) AS n FROM ventas.lineas").fetchone()["n"] == lines


def test_the_tenant_boundary_holds_over_mcp(db_url, roles):
    names, tenants = roles

    async def steps(client):
        return [await client.call_tool("search", {"query": "presupuesto del proyecto Orquídea", "k": 10}),
                await client.call_tool("search", {"query": "presupuesto Orquídea", "tenant": tenants["b"]}),
                await client.call_tool("answer", {"question": "¿Cuál es el presupuesto del proyecto Orquídea?"}),
                await client.call_tool("answer", {"question": "¿Cuál es el presupuesto del proyecto Orquídea?",
                                                  "tenant": tenants["b"]})]

    results = _run(_session(_stdio(_as_role(db_url, names["a"])), steps))
    for r in results:
        assert "Orquídea es de 4 millones" not in str(r.structured_content) and "4 millones" not in r.content[0].text
    assert [row["title"] for row in results[0].structured_content["rows"]] == ["Devoluciones A"]
    assert results[1].structured_content["rows"] == []
    assert results[3].structured_content["supported"] is False


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_streamable_http_on_loopback(db_url, roles):
    names, _ = roles
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ragsql", "mcp", "--transport", "http", "--port", str(port)],
                            cwd=ROOT, env={**os.environ, **_env(_as_role(db_url, names["a"]))},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                time.sleep(0.3)

        async def steps(client):
            return (await client.list_tools(),
                    await client.call_tool("search", {"query": "devolver mercadería", "k": 1}))

        tools, found = _run(_session(f"http://127.0.0.1:{port}/mcp", steps))
        assert "topProductos" in {t.name for t in tools.tools}
        assert found.structured_content["rows"][0]["title"] == "Devoluciones A"
    finally:
        proc.terminate()
        proc.wait(10)


def test_an_unreachable_database_and_a_public_address_are_refused_clearly():
    bad = subprocess.run([sys.executable, "-m", "ragsql", "mcp"], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, **_env("postgresql://nobody@127.0.0.1:1/none")}, timeout=60)
    assert bad.returncode == 2 and "cannot connect to the database" in bad.stderr
    assert "Traceback" not in bad.stderr and bad.stdout == ""
    public = subprocess.run([sys.executable, "-m", "ragsql", "mcp", "--transport", "http", "--host", "0.0.0.0"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, **_env("postgresql://nobody@127.0.0.1:1/none")})
    assert public.returncode == 2 and "refusing to listen on 0.0.0.0" in public.stderr
