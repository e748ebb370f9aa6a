"""Entry module of sql/idempotent/070_answer.sql: rag._answer, the body of
rag.answer, and rag.format_answer, its text form (rag.answer_text).

One crossing into Python per question: the question's vectors and language
are computed here, in-process, and handed to the SQL search (rag._search),
which then needs no Python of its own."""
import json
import time

import numpy as np

from .. import answer as compose_answer
from .. import guardrails, llm, sentences
from .backend import encode, llm_config, model_row, query_features, require_question, run, vector_type
from .guardrails import mask_pii


def search_plan(plpy, question, k, filter_, model_name, rerank):
    """rag.search's checks of the arguments, and the models whose query
    vectors it needs."""
    return run(plpy, "SELECT rag._search_plan($1, $2, 'hybrid', $3, $4, $5) AS models",
               ["text", "int", "jsonb", "text", "bool"], [question, k, filter_, model_name, rerank])[0]["models"]


def retrieve(plpy, question, models, k, tenant, filter_, model_name, rerank, timings, graph=False):
    """The sources, and into `timings` the retrieval's stages: the query's
    embedding, each search leg and the reranker as the SQL search reports
    them (rag._stage_ms), and the rest of the search (fusing the legs,
    fetching the chunks; with `graph`, the walk over the entities too) as
    fusion_ms."""
    t = time.perf_counter()
    features = query_features(plpy, question, models, None)
    timings["embed_ms"] = _ms_since(t)
    vector = features["embeddings"][models.index(model_name)] if model_name in (models or []) else None
    t = time.perf_counter()
    types = ["text", "text[]", vector_type(plpy) + "[]", "text", "int", "text", "jsonb", "text"]
    args = [question, models, features["embeddings"], features["language"], k, tenant, filter_, model_name]
    if graph:
        rows = run(plpy, "SELECT * FROM rag._graph_search($1, $2, $3, $4, k => $5, tenant => $6,"
                         " filter => $7, model => $8)", types, args)
    else:
        rows = run(plpy, "SELECT * FROM rag._search($1, $2, $3, $4, k => $5, tenant => $6,"
                         " filter => $7, model => $8, rerank => $9)", types + ["bool"], args + [rerank])
    search_ms = _ms_since(t)
    stages = run(plpy, "SELECT rag._stage_ms('vector') AS vector_ms, rag._stage_ms('text') AS text_ms,"
                       " rag._stage_ms('rerank') AS rerank_ms")[0]
    measured = {name: ms for name, ms in stages.items() if ms is not None}
    timings.update(measured)
    timings["fusion_ms"] = round(max(0.0, search_ms - sum(measured.values())), 2)
    return vector, [dict(r) for r in rows]


def _ms_since(t):
    return round((time.perf_counter() - t) * 1000, 2)


# Set only by rag.evaluate(prompt => ...) for the length of its run, so a
# candidate prompt can earn the evidence the promotion gate asks for
# without being put in Production first; no session setting reaches it.
_evaluated_prompt = None


def production_prompt(plpy):
    """The answer prompt in Production (rag.transition_stage), or the one
    an evaluation run is measuring: its name and template, both None when
    none is (the shipped one is used)."""
    return _evaluated_prompt or run(plpy, "SELECT * FROM rag._production_prompt()")[0]


def add_evidence(plpy, sources, model_name, vector):
    """Each source's place (source path or URI, section path, page) and the
    cosines of its sentences to the question, from the vectors stored at
    ingest: one query, no model call."""
    if not sources:
        return
    rows = run(plpy, "SELECT * FROM rag._answer_evidence($1, $2, $3)",
               ["bigint[]", "text", vector_type(plpy)], [[s["chunk_id"] for s in sources], model_name, vector])
    by_id = {r["chunk_id"]: r for r in rows}
    for src in sources:
        r = by_id.get(src["chunk_id"])
        if r is None:
            continue
        src.update(source=r["source"], language=r["language"], section=list(r["section"] or []), page=r["page"])
        if vector is not None and r["sentence_n"]:
            src["sentence_cosine"] = dict(zip(r["sentence_n"], r["sentence_cosine"]))


def _masked(plpy, src):
    """A source with its text, title, file and section path masked; its
    stored sentence cosines stay only while the masked text splits into the
    same sentences."""
    masked = dict(src, content=mask_pii(plpy, src["content"], None), title=mask_pii(plpy, src["title"], None),
                  section=[mask_pii(plpy, h, None) for h in src.get("section") or []],
                  source=mask_pii(plpy, src["source"], None) if src.get("source") else src.get("source"))
    if len(sentences.spans(masked["content"])) != len(sentences.spans(src["content"])):
        masked.pop("sentence_cosine", None)
    return masked


def citation(src):
    """How a source is cited: its file (or the title when it has no source)
    and where in it, e.g. "fs.md › fs.mkdir(path[, options], callback)" or
    "libtasn1.pdf p. 12"."""
    where = src.get("source")
    name = where.rstrip("/").rsplit("/", 1)[-1] if where else (src.get("title") or "")
    label = " › ".join([name] + list(src.get("section") or []))
    return f"{label} p. {src['page']}" if src.get("page") else label


def answer(plpy, question, k, tenant, filter_, model_name, max_sources, rerank=False, endpoint=None, graph=False):
    """rag._answer: the answer as JSON (rag.answer; rag.answer_text formats
    it with format_text); NULL for a NULL question."""
    out = _answer(plpy, question, k, tenant, filter_, model_name, max_sources, rerank, endpoint, bool(graph))
    if out is None:
        return None
    return json.dumps(out, ensure_ascii=False)


def format_text(result_json):
    """rag.format_answer: a stored rag.answer result as rag.answer_text shows it."""
    return compose_answer.as_text(json.loads(result_json))


def _answer(plpy, question, k, tenant, filter_, model_name, max_sources, rerank, endpoint, graph):
    """Retrieve, check support, generate or extract, log; returns the result
    as a dict."""
    if question is None:
        return None
    require_question(plpy, question)
    if graph and rerank:
        plpy.error("graph and rerank cannot be combined", sqlstate="22023",
                   hint="graph => true fuses its own ranking; pass rerank => false")
    if max_sources is None or not 1 <= max_sources <= 10:
        plpy.error(f"sources must be between 1 and 10, not {max_sources}", sqlstate="22023")
    if k is None or k < 1:
        plpy.error(f"k must be at least 1, not {k}", sqlstate="22023")
    cfg = llm_config(plpy, endpoint)  # an unknown endpoint fails before any model work
    timings = {}
    t0 = time.perf_counter()
    row = model_row(plpy, model_name)
    k = max(k, max_sources)
    models = search_plan(plpy, question, k, filter_, row["name"], bool(rerank))
    # Read as the caller: a tenant they may not see looks like one with no
    # documents, so the reply is no oracle of which tenants exist.
    if not run(plpy, "SELECT rag._sees_documents($1) AS yes", ["text"], [tenant])[0]["yes"]:
        return _logged(plpy, compose_answer.no_documents(question, tenant is not None), question, tenant, [],
                       row["name"], "extractive", timings, t0, {})
    vector, sources = retrieve(plpy, question, models, k, tenant, filter_, row["name"], bool(rerank), timings,
                               graph)
    sources = sources[:max_sources]
    timings["retrieval_ms"] = _ms_since(t0)
    t = time.perf_counter()
    add_evidence(plpy, sources, row["name"], vector)
    timings["evidence_ms"] = round((time.perf_counter() - t) * 1000, 2)

    def embed_fn(texts, _):
        return np.vstack([encode(plpy, row, texts[:1], True), encode(plpy, row, texts[1:], False)])

    # Guardrails: a question that tries to override the system is logged as
    # such; under a PII policy the sources (and so the answer and whatever
    # an LLM is sent) and the logged question are masked.
    screen = {}
    overrides = guardrails.question_findings(question)
    if overrides:
        screen["question_injection"] = [{"kind": f["kind"], "excerpt": f["excerpt"]} for f in overrides]
    asked = question
    if run(plpy, "SELECT rag._pii_mode($1) AS mode", ["text"], [tenant])[0]["mode"] != "off":
        t = time.perf_counter()
        asked = mask_pii(plpy, question, None)
        sources = [_masked(plpy, src) for src in sources]
        screen["pii_masked"] = True
        timings["pii_ms"] = round((time.perf_counter() - t) * 1000, 2)
    # The question as logged (masked under a PII policy): the words it names
    # go back to the caller in the refusal reason.
    t = time.perf_counter()
    unknown = run(plpy, "SELECT rag._unknown_terms($1, $2, $3) AS terms", ["text", "text", "text"],
                  [asked, compose_answer.answer_language(asked), tenant])[0]["terms"]
    timings["evidence_ms"] += round((time.perf_counter() - t) * 1000, 2)
    prompt = production_prompt(plpy)["template"] if cfg.configured else None
    result = compose_answer.compose(asked, sources, embed_fn, cfg, max_sources, unknown, prompt)
    if result.get("guardrail"):
        screen["answer"] = result["guardrail"]
    model_desc = result["model"] if result["model"] == "extractive" else cfg.describe()
    return _logged(plpy, result, asked, tenant, sources, row["name"], model_desc, timings, t0, screen, cfg)


def _logged(plpy, result, asked, tenant, sources, embedding_model, model_desc, timings, t0, screen, cfg=None):
    """Logs the answer in rag.answer_log and returns it with its log id."""
    timings.update(result["timings_ms"])
    timings["total_ms"] = _ms_since(t0)
    llm_call = llm.call_record(cfg, result.get("llm_tokens")) if "generation_ms" in timings else None
    cited = set(compose_answer.cited_numbers(result["answer"]))
    out_sources = [{"n": n, "chunk_id": s["chunk_id"], "document_id": s["document_id"],
                    "title": s["title"], "source": s.get("source"), "section": s.get("section") or [],
                    "page": s.get("page"), "citation": citation(s),
                    "score": round(float(s["score"]), 6), "cited": n in cited,
                    **({"graph_path": s["path"]} if s.get("path") else {})}
                   for n, s in enumerate(sources, start=1)]
    answer_id = run(plpy, "SELECT rag._log_answer($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) AS id",
                    ["text", "text", "bigint[]", "text", "bool", "text", "jsonb", "text", "jsonb", "text", "jsonb"],
                    [tenant, asked, [s["chunk_id"] for s in sources], result["answer"], result["supported"],
                     model_desc, json.dumps(timings), result["error"], json.dumps(screen),
                     result.get("refusal_reason"), json.dumps(llm_call)])[0]["id"]
    return {
        "answer_id": answer_id,
        "answer": result["answer"],
        "supported": result["supported"],
        "language": result["language"],
        "sources": out_sources,
        "model": model_desc,
        "embedding_model": embedding_model,
        "error": result["error"],
        "guardrail": result.get("guardrail"),
        "refusal_reason": result.get("refusal_reason"),
        "timings_ms": timings,
    }
