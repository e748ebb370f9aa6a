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
    remote = embedding_endpoint(plpy) if row["provider"] == "openai" else None
    try:
        vecs = embedding.encode(row, clean, is_query=(input_type == "query"), remote=remote)
    except Exception as exc:
        plpy.error(f"embedding with model {row['name']!r} failed: {exc}")
    return [embedding.to_pgvector(v) for v in vecs]


def embedding_endpoint(plpy):
    """OpenAI-compatible embeddings endpoint: rag.embedding_base_url (or env
    RAGSQL_EMBEDDING_BASE_URL, OPENAI_BASE_URL), the LLM key and timeout."""
    import os
    rows = plpy.execute(
        "SELECT current_setting('rag.embedding_base_url', true) AS base_url,"
        "       current_setting('rag.llm_api_key', true) AS api_key,"
        "       current_setting('rag.llm_timeout_ms', true) AS timeout_ms")
    settings = dict(rows[0])
    settings["base_url"] = settings["base_url"] or os.environ.get("RAGSQL_EMBEDDING_BASE_URL", "")
    try:
        return llm.config_from(settings)
    except llm.LLMError as exc:
        plpy.error(str(exc))


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


def answer(plpy, question, k, tenant, filter_, model_name, max_sources, rerank=False):
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
                              "SELECT * FROM rag.search($1, k => $2, tenant => $3, filter => $4, model => $5,"
                              " rerank => $6)",
                              ["text", "int", "text", "jsonb", "text", "bool"]),
                        [question, max(k, max_sources), tenant, filter_, model_name, bool(rerank)])
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


def rerank(plpy, query, chunk_ids, reranker_name):
    import json as _json

    from . import rerank as rr
    if not query or not query.strip():
        plpy.error("query must not be empty")
    chunk_ids = [c for c in (chunk_ids or []) if c is not None]
    if not chunk_ids:
        return []
    if reranker_name:
        rows = plpy.execute(_plan(plpy, "reranker_by_name", "SELECT * FROM rag.rerankers WHERE name = $1",
                                  ["text"]), [reranker_name])
        if not rows:
            plpy.error(f"unknown reranker {reranker_name!r}",
                       hint="SELECT name FROM rag.rerankers lists the registered rerankers")
    else:
        rows = plpy.execute(_plan(plpy, "reranker_default", "SELECT * FROM rag.rerankers WHERE is_default", []))
        if not rows:
            plpy.error("no default reranker", hint="SELECT rag.register_reranker(..., make_default => true)")
    r = dict(rows[0])
    options = _json.loads(r["options"]) if isinstance(r["options"], str) else (r["options"] or {})
    if r["provider"] == "cross-encoder":
        texts = plpy.execute(_plan(plpy, "rerank_texts",
                                   "SELECT coalesce(d.title || E'\\n', '') || c.content AS text"
                                   " FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ord)"
                                   " JOIN rag.chunks c ON c.id = u.id JOIN rag.documents d ON d.id = c.document_id"
                                   " ORDER BY u.ord", ["bigint[]"]), [chunk_ids])
        try:
            scores = rr.cross_encoder_scores(r["model_ref"], query, [t["text"] for t in texts])
        except rr.RerankError as exc:
            plpy.error(str(exc))
        return list(zip(chunk_ids, scores))
    feats = plpy.execute(_plan(plpy, "rerank_signals",
                               "SELECT * FROM rag.rerank_signals($1, $2, $3, $4)",
                               ["text", "bigint[]", "text", "text"]),
                         [query, chunk_ids, options.get("model"), options.get("secondary_model")])
    rows = [dict(f, rrf=1.0 / (60 + i)) for i, f in enumerate(feats, start=1)]
    return [(f["chunk_id"], s) for f, s in zip(rows, rr.signal_scores(rows, options.get("weights")))]
