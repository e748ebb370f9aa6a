"""GraphRAG: entities and relations extracted through the queue, entity
resolution, rag.graph_search's walk and its fusion, rag.answer(graph =>
true), the LLM extractor and its fallback, and the graph's tenancy."""
import json

import psycopg
import pytest
from psycopg.rows import dict_row

from py_udfs import graph

from .conftest import ingest, loopback_chat

ANDINA = ("Distribuidora Andina S.A. es una distribuidora mayorista con sede en Tandil. "
          "Su proveedor principal es Química Las Moras S.R.L., que le vende detergentes.")
LAS_MORAS = ("La planta de Química Las Moras está en Zárate, donde elabora detergentes desde 1990. "
             "Dirige la compañía Nicolás Paz.")
OTHER_SUPPLIERS = [f"La planta de {name} está en {city}, donde elabora {what}. Dirige la compañía {head}."
                   for name, city, what, head in [
                       ("Molinos Tres Cerros", "Rafaela", "harina", "Ana Rojas"),
                       ("Lácteos El Ceibo", "Junín", "leche en polvo", "Pablo Vera"),
                       ("Bodegas Cerro Azul", "Mendoza", "vino tinto", "Elena Ríos"),
                       ("Papelera Dos Ríos", "Zárate", "papel kraft", "Bruno Luna")]]
BRIDGE = "¿Quién dirige la empresa que es el proveedor principal de Distribuidora Andina?"


def test_offline_extraction_keeps_legal_names_and_drops_sentence_openers():
    out = graph.extract_offline(ANDINA, "es")
    names = {e["name"]: e["type"] for e in out["entities"]}
    assert names == {"Distribuidora Andina S.A.": "org", "Tandil": "entity", "Química Las Moras S.R.L.": "org"}
    rel = {(r["source"], r["target"]): r for r in out["relations"]}
    # another sentence, so a weaker link, typed by the words before the name
    supplier = rel[("Distribuidora Andina S.A.", "Química Las Moras S.R.L.")]
    assert supplier["weight"] == graph.CHUNK_WEIGHT and supplier["type"] == "su proveedor principal es"
    assert rel[("Distribuidora Andina S.A.", "Tandil")]["weight"] == graph.SENTENCE_WEIGHT


def test_english_text_adds_the_ner_pipelines_entities():
    out = graph.extract_offline("Linus Torvalds wrote the first Linux kernel in Helsinki.", "en")
    names = {e["name"] for e in out["entities"]}
    assert {"Linus Torvalds", "Helsinki"} <= names
    assert not names & {"The", "Linus"}


def test_entity_key_merges_spellings(conn):
    keys = conn.execute("SELECT rag.entity_key(n) AS k FROM unnest(%s::text[]) n",
                        (["Distribuidora Andina S.A.", "DISTRIBUIDORA ANDINA", "Distribuidora Andina, S. A.",
                          "distribuidora andina srl", "Distribuidora Ándina"],)).fetchall()
    assert {r["k"] for r in keys} == {"distribuidora andina"}
    assert conn.execute("SELECT rag.entity_key('Banco') AS k").fetchone()["k"] == "banco"


@pytest.fixture
def bridge_tenant(conn, tenant):
    conn.execute("SELECT rag.enable_graph(%s, 'offline')", (tenant,))
    ids = {"andina": ingest(conn, ANDINA, "Ficha: Distribuidora Andina", tenant=tenant),
           "las_moras": ingest(conn, LAS_MORAS, "Perfil: Química Las Moras S.A.", tenant=tenant)}
    for i, text in enumerate(OTHER_SUPPLIERS):
        ids[f"other{i}"] = ingest(conn, text, f"Perfil {i}", tenant=tenant)
    yield tenant, ids
    conn.execute("SELECT rag.disable_graph(%s, drop_graph => true)", (tenant,))


def test_a_synchronous_ingest_extracts_and_resolves_entities(conn, bridge_tenant):
    tenant, _ = bridge_tenant
    assert conn.execute("SELECT count(*) AS n FROM rag.graph_queue WHERE tenant = %s", (tenant,)).fetchone()["n"] == 0
    row = conn.execute("SELECT name, type, aliases, embedding IS NOT NULL AS has_vector FROM rag.entities"
                       " WHERE tenant = %s AND key = 'quimica las moras'", (tenant,)).fetchone()
    # "Química Las Moras S.R.L.", "Química Las Moras" and "…S.A." (a title) are one entity
    assert row["type"] == "org" and row["has_vector"]
    assert set(row["aliases"]) == {"Química Las Moras S.R.L.", "Química Las Moras", "Química Las Moras S.A."}
    mentions = conn.execute("SELECT count(DISTINCT m.chunk_id) AS n FROM rag.mentions m JOIN rag.entities e"
                            " ON e.id = m.entity_id WHERE e.tenant = %s AND e.key = 'quimica las moras'",
                            (tenant,)).fetchone()["n"]
    assert mentions == 2


def test_graph_search_reaches_the_fact_behind_the_bridge(conn, bridge_tenant):
    tenant, ids = bridge_tenant
    rows = conn.execute("SELECT document_id, path, hops_away, graph_rank FROM rag.graph_search(%s, k => 3,"
                        " tenant => %s)", (BRIDGE, tenant)).fetchall()
    docs = [r["document_id"] for r in rows]
    assert docs[0] == ids["andina"] and ids["las_moras"] in docs, rows
    hop = next(r for r in rows if r["document_id"] == ids["las_moras"])
    path = conn.execute("SELECT array_agg(rag.entity_key(n)) AS p FROM unnest(%s::text[]) n", (hop["path"],))
    assert hop["hops_away"] == 1 and path.fetchone()["p"] == ["distribuidora andina", "quimica las moras"]
    # with no hops, only what names the question's entities is graph-ranked
    rows = conn.execute("SELECT document_id, graph_rank FROM rag.graph_search(%s, k => 7, hops => 0, tenant => %s)",
                        (BRIDGE, tenant)).fetchall()
    assert {r["document_id"] for r in rows if r["graph_rank"] is not None} == {ids["andina"]}


def test_the_answer_cites_graph_sources_with_their_path(conn, bridge_tenant):
    tenant, ids = bridge_tenant
    out = conn.execute("SELECT rag.answer(%s, tenant => %s, graph => true, sources => 3) AS a",
                       (BRIDGE, tenant)).fetchone()["a"]
    by_doc = {s["document_id"]: s for s in out["sources"]}
    assert ids["las_moras"] in by_doc and by_doc[ids["las_moras"]]["graph_path"][-1].startswith("Química Las Moras")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="graph and rerank cannot be combined"):
        conn.execute("SELECT rag.answer(%s, tenant => %s, graph => true, rerank => true)", (BRIDGE, tenant))


def test_a_changed_or_deleted_document_takes_its_graph_rows_along(conn, bridge_tenant):
    tenant, ids = bridge_tenant
    conn.execute("SELECT rag.delete_document(%s)", (ids["andina"],))
    n = conn.execute("SELECT count(*) AS n FROM rag.relations r JOIN rag.entities e ON e.id = r.source_id"
                     " WHERE e.tenant = %s AND e.key = 'distribuidora andina'", (tenant,)).fetchone()["n"]
    assert n == 0
    rows = conn.execute("SELECT graph_rank FROM rag.graph_search(%s, k => 5, hops => 0, tenant => %s)",
                        (BRIDGE, tenant)).fetchall()
    assert all(r["graph_rank"] is None for r in rows)


def test_bad_arguments_are_refused_clearly(conn, tenant):
    for sql, args, match in [
        ("SELECT * FROM rag.graph_search('x', hops => 5)", (), "hops must be between 0 and 3"),
        ("SELECT * FROM rag.graph_search('x', neighbours => 0)", (), "neighbours must be between 1 and 200"),
        ("SELECT rag.enable_graph(%s, 'magic')", (tenant,), "extractor must be auto, offline or llm"),
        ("SELECT rag.enable_graph(%s, 'llm', endpoint => 'nope')", (tenant,), "unknown chat endpoint nope"),
    ]:
        with pytest.raises(psycopg.errors.InvalidParameterValue, match=match):
            conn.execute(sql, args)
    assert conn.execute("SELECT count(*) AS n FROM rag.graph_settings WHERE tenant = %s",
                        (tenant,)).fetchone()["n"] == 0


def test_the_llm_extractor_and_its_offline_fallback(conn, tenant):
    reply = {"entities": [{"name": "Distribuidora Andina S.A.", "type": "org"},
                          {"name": "Química Las Moras S.R.L.", "type": "org"},
                          {"name": "Atlantis", "type": "place"}],  # not in the text: dropped
             "relations": [{"source": "Distribuidora Andina S.A.", "target": "Química Las Moras S.R.L.",
                            "type": "compra detergentes a"}]}
    with loopback_chat(conn, "graph_llm") as server:
        server.reply = json.dumps(reply)
        conn.execute("SELECT rag.enable_graph(%s, 'llm', endpoint => 'graph_llm')", (tenant,))
        ingest(conn, ANDINA, "Ficha", tenant=tenant)
        rels = conn.execute("SELECT r.type FROM rag.relations r WHERE r.tenant = %s", (tenant,)).fetchall()
        assert [r["type"] for r in rels] == ["compra detergentes a"]
        assert server.requests and server.requests[-1]["body"]["response_format"] == {"type": "json_object"}
        names = {r["name"] for r in conn.execute("SELECT name FROM rag.entities WHERE tenant = %s", (tenant,))}
        assert "Atlantis" not in names and "Química Las Moras S.R.L." in names
        server.mode = "error"  # a failing endpoint: the offline extractor takes over, nothing stays queued
        ingest(conn, LAS_MORAS, "Perfil", tenant=tenant)
        assert conn.execute("SELECT count(*) AS n FROM rag.graph_queue WHERE tenant = %s",
                            (tenant,)).fetchone()["n"] == 0
        assert conn.execute("SELECT count(*) AS n FROM rag.entities WHERE tenant = %s AND key = 'zarate'",
                            (tenant,)).fetchone()["n"] == 1
    conn.execute("SELECT rag.disable_graph(%s, drop_graph => true)", (tenant,))


def test_background_ingest_queues_and_the_drain_extracts(conn, tenant):
    conn.execute("SELECT rag.enable_graph(%s, 'offline')", (tenant,))
    ingest(conn, LAS_MORAS, "Perfil", tenant=tenant, sync=False)
    assert conn.execute("SELECT queued FROM rag.graph_queue_status WHERE tenant = %s", (tenant,)).fetchone()["queued"] == 1
    conn.execute("CALL rag.drain_embedding_queue()")
    assert conn.execute("SELECT count(*) AS n FROM rag.graph_queue WHERE tenant = %s", (tenant,)).fetchone()["n"] == 0
    assert conn.execute("SELECT count(*) AS n FROM rag.entities WHERE tenant = %s", (tenant,)).fetchone()["n"] >= 3
    conn.execute("SELECT rag.disable_graph(%s, drop_graph => true)", (tenant,))


def test_the_graph_is_sealed_per_tenant(db_url, conn, bridge_tenant):
    tenant, ids = bridge_tenant
    other = tenant + "_g"
    role = f"graph_analyst_{tenant}"
    conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE rag_user')
    conn.execute("SELECT rag.grant_tenant(%s, %s)", (role, other))
    ingest(conn, "Un documento propio sin relación.", "Propio", tenant=other)
    try:
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            c.execute(f'SET ROLE "{role}"')
            for table in ("entities", "mentions", "relations", "graph_settings", "graph_queue"):
                assert c.execute(f"SELECT count(*) AS n FROM rag.{table} WHERE tenant = %s",
                                 (tenant,)).fetchone()["n"] == 0, table
            assert c.execute("SELECT * FROM rag.graph_search(%s, tenant => %s)", (BRIDGE, tenant)).fetchall() == []
            assert not {r["document_id"] for r in c.execute("SELECT document_id FROM rag.graph_search(%s)",
                                                           (BRIDGE,))} & set(ids.values())
            for sql in ("INSERT INTO rag.entities (tenant, key, name) VALUES (%s, 'x', 'X')",
                        "DELETE FROM rag.entities WHERE tenant = %s"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    c.execute(sql, (tenant,))
            for sql in ("SELECT rag.enable_graph(%s)", "SELECT rag.disable_graph(%s, true)"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="may not change tenant"):
                    c.execute(sql, (tenant,))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("SELECT * FROM rag._extract_graph(ARRAY['x'], ARRAY['es'], ARRAY['offline'], ARRAY[NULL])")
    finally:
        conn.execute("SELECT rag.revoke_tenant(%s, %s)", (role, other))
        conn.execute(f'DROP ROLE "{role}"')
        conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (other,))
    assert conn.execute("SELECT count(*) AS n FROM rag.entities WHERE tenant = %s", (tenant,)).fetchone()["n"] > 0
