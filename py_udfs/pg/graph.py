"""Entry module of sql/idempotent/150_graph.sql: a batch of chunks' entities
and relations (py_udfs/graph.py extracts), and the entity names' vectors."""
import json

from .. import embedding, graph, llm
from .backend import encode, llm_config, model_row, run, vector_type


def extract(plpy, texts, languages, extractors, endpoints):
    """One row per text: (i, entities, relations, extractor used, note).
    'llm' and 'auto' with a configured chat endpoint ask the LLM; a failed
    or malformed reply falls back to the offline extractor and says why in
    `note`, so a flaky endpoint never stalls the queue."""
    rows, configs = [], {}
    for i, (text, language, extractor, endpoint) in enumerate(zip(texts, languages, extractors, endpoints), 1):
        used, note, result = "offline", None, None
        if extractor in ("llm", "auto"):
            if endpoint not in configs:
                configs[endpoint] = llm_config(plpy, endpoint)
            cfg = configs[endpoint]
            if cfg.configured:
                try:
                    result, used = graph.extract_llm(cfg, text), "llm"
                except llm.LLMError as exc:
                    note = f"LLM extraction failed ({exc}); extracted offline"
            elif extractor == "llm":
                note = "no chat endpoint is configured; extracted offline"
        if result is None:
            result = graph.extract_offline(text, language)
        rows.append((i, json.dumps(result["entities"], ensure_ascii=False),
                     json.dumps(result["relations"], ensure_ascii=False), used, note))
    return rows


def embed_names(plpy, ids):
    """Embeds the names of entities `ids` with the active model; returns how
    many were stored."""
    row = model_row(plpy, None)
    found = run(plpy, "SELECT id, name FROM rag.entities WHERE id = ANY ($1) ORDER BY id", ["bigint[]"], [ids])
    if not found:
        return 0
    vectors = encode(plpy, row, [r["name"] for r in found], is_query=False)
    run(plpy, f"UPDATE rag.entities e SET embedding = u.v, model_id = $3"
              f" FROM unnest($1::bigint[], $2::{vector_type(plpy)}[]) AS u(id, v) WHERE e.id = u.id",
        ["bigint[]", vector_type(plpy) + "[]", "int"],
        [[r["id"] for r in found], [embedding.to_pgvector(v) for v in vectors], row["id"]])
    return len(found)
