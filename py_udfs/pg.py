"""Glue between PL/Python and the rest of py_udfs: reads settings and tables
through `plpy`, calls the pure functions, returns what SQL expects. Every
function here is called from a one-line PL/Python body in sql/idempotent/."""
import json
import time

from . import answer as answer_mod
from . import chunking, embedding, llm
from .textutil import detect_language

_plans = {}


def _plan(plpy, name, sql, types):
    p = _plans.get(name)
    if p is None:
        p = _plans[name] = plpy.prepare(sql, types)
    return p


def model_row(plpy, name=None):
    """The named embedding model, or the active one."""
    if name:
        rows = plpy.execute(_plan(plpy, "model_by_name",
                                  "SELECT * FROM rag.embedding_models WHERE name = $1", ["text"]), [name])
        if not rows:
            plpy.error(f"unknown embedding model {name!r}",
                       hint="SELECT name FROM rag.embedding_models lists the registered models")
    else:
        rows = plpy.execute(_plan(plpy, "model_active",
                                  "SELECT * FROM rag.embedding_models WHERE active", []))
        if not rows:
            plpy.error("no active embedding model", hint="SELECT rag.activate_model('name')")
    return dict(rows[0])


def embed(plpy, texts, model_name, input_type):
    if input_type not in ("query", "document"):
        plpy.error(f"input_type must be 'query' or 'document', got {input_type!r}")
    row = model_row(plpy, model_name)
    clean = [t or "" for t in texts]
    try:
        vecs = embedding.encode(row, clean, is_query=(input_type == "query"))
    except Exception as exc:
        plpy.error(f"embedding with model {row['name']!r} failed: {exc}")
    return [embedding.to_pgvector(v) for v in vecs]


def chunk(content, max_chars, overlap_chars):
    try:
        return chunking.chunk_text(content or "", max_chars, overlap_chars)
    except ValueError as exc:
        import plpy
        plpy.error(str(exc))


def llm_config(plpy):
    rows = plpy.execute(
        "SELECT current_setting('rag.llm_base_url', true) AS base_url,"
        "       current_setting('rag.llm_model', true) AS model,"
        "       current_setting('rag.llm_api_key', true) AS api_key,"
        "       current_setting('rag.llm_timeout_ms', true) AS timeout_ms")
    try:
        return llm.config_from(dict(rows[0]))
    except llm.LLMError as exc:
        plpy.error(str(exc))


def answer(plpy, question, k, tenant, filter_, model_name, max_sources):
    """rag.answer: retrieve, check support, generate or extract, log."""
    if question is None or not question.strip():
        plpy.error("question must not be empty")
    if len(question) > 4000:
        plpy.error(f"question is {len(question)} characters long; the limit is 4000")
    if not 1 <= max_sources <= 10:
        plpy.error("sources must be between 1 and 10")
    timings = {}
    t0 = time.perf_counter()
    row = model_row(plpy, model_name)
    rows = plpy.execute(_plan(plpy, "answer_search",
                              "SELECT * FROM rag.search($1, k => $2, tenant => $3, filter => $4, model => $5)",
                              ["text", "int", "text", "jsonb", "text"]),
                        [question, max(k, max_sources), tenant, filter_, model_name])
    timings["retrieval_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    sources = [dict(r) for r in rows][:max_sources]

    def embed_fn(texts, _):
        q = embedding.encode(row, texts[:1], is_query=True)
        d = embedding.encode(row, texts[1:], is_query=False)
        import numpy as np
        return np.vstack([q, d])

    cfg = llm_config(plpy)
    result = answer_mod.compose(question, sources, embed_fn, cfg, max_sources)
    timings.update(result["timings_ms"])
    timings["total_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    cited = set(answer_mod.cited_numbers(result["answer"]))
    out_sources = [{"n": n, "chunk_id": s["chunk_id"], "document_id": s["document_id"],
                    "title": s["title"], "score": round(float(s["score"]), 6),
                    "cited": n in cited}
                   for n, s in enumerate(sources, start=1)]
    model_desc = result["model"] if result["model"] == "extractive" else cfg.describe()
    plpy.execute(_plan(plpy, "answer_log",
                       "INSERT INTO rag.answer_log (tenant, question, chunk_ids, answer, supported, model,"
                       " timings_ms, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                       ["text", "text", "bigint[]", "text", "bool", "text", "jsonb", "text"]),
                 [tenant, question, [s["chunk_id"] for s in sources], result["answer"],
                  result["supported"], model_desc, json.dumps(timings), result["error"]])
    return json.dumps({
        "answer": result["answer"],
        "supported": result["supported"],
        "language": result["language"],
        "sources": out_sources,
        "model": model_desc,
        "embedding_model": row["name"],
        "error": result["error"],
        "timings_ms": timings,
    }, ensure_ascii=False)


def language_of(text):
    return detect_language(text or "")
