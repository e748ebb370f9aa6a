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
        "guardrail": result.get("guardrail"),
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


# ---- evaluation ---------------------------------------------------------------

def evaluate(plpy, set_name, mode, k, rerank, reranker, generate, label, max_cases, model_name,
             vector_weight, text_weight, sources, commit=False):
    """rag.evaluate: runs an evaluation set, stores per-case results, returns
    the run id. With commit (the rag.run_evaluation procedure), the run row and
    every case's result are committed as they are made: a long run holds no
    locks for its whole length, and a failure keeps what was done."""
    import numpy as np

    from . import __version__, evaluation as ev
    sets = plpy.execute(_plan(plpy, "eval_set", "SELECT id FROM rag.eval_sets WHERE name = $1", ["text"]),
                        [set_name])
    if not sets:
        plpy.error(f"unknown evaluation set {set_name!r}", hint="SELECT name FROM rag.eval_sets")
    if mode not in ("hybrid", "vector", "text"):
        plpy.error(f"mode must be hybrid, vector or text, got {mode!r}")
    set_id = sets[0]["id"]
    row = model_row(plpy, model_name)
    cfg = llm_config(plpy)
    use_llm = bool(generate and cfg.configured)
    judge = {"faithfulness": f"llm:{cfg.describe()}" if use_llm else "lexical+embedding",
             "answer_relevancy": f"llm:{cfg.describe()}" if use_llm else "embedding",
             "context_precision": "reference-span", "context_recall": "reference-span",
             "prompt_versions": [answer_mod.PROMPT_VERSION, ev.JUDGE_PROMPT_VERSION]}
    config = {"mode": mode, "k": k, "embedding_model": row["name"], "embedding_version": row["version"],
              "vector_weight": vector_weight, "text_weight": text_weight, "rrf_k": 60,
              "rerank": bool(rerank or reranker), "reranker": reranker or ("default" if rerank else None),
              "generator": (cfg.describe() if use_llm else "extractive") if generate else None,
              "sources": sources, "judge": judge if generate else None, "code_version": __version__}
    run_id = plpy.execute(_plan(plpy, "eval_run",
                                "INSERT INTO rag.eval_runs (set_id, label, config) VALUES ($1, $2, $3) RETURNING id",
                                ["int", "text", "jsonb"]), [set_id, label, json.dumps(config)])[0]["id"]
    cases = plpy.execute(_plan(plpy, "eval_cases",
                               "SELECT * FROM rag.eval_cases WHERE set_id = $1 ORDER BY id LIMIT $2",
                               ["int", "int"]), [set_id, max_cases])
    search = _plan(plpy, "eval_search",
                   "SELECT chunk_id, document_id, content FROM rag.search($1, k => $2, tenant => $3, mode => $4,"
                   " model => $5, vector_weight => $6, text_weight => $7, rerank => $8, reranker => $9)",
                   ["text", "int", "text", "text", "text", "float8", "float8", "bool", "text"])
    ask = _plan(plpy, "eval_answer",
                "SELECT rag.answer($1, tenant => $2, model => $3, sources => $4, rerank => $5) AS a",
                ["text", "text", "text", "int", "bool"])
    insert = _plan(plpy, "eval_result", """
        INSERT INTO rag.eval_results (run_id, case_id, retrieved_document_ids, retrieved_chunk_ids,
            first_relevant_rank, ndcg_at_10, answer, supported, contains_reference, token_f1, faithfulness,
            answer_relevancy, context_precision, context_recall, retrieval_ms, answer_ms, details)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)""",
                   ["bigint", "bigint", "bigint[]", "bigint[]", "int", "float8", "text", "bool", "bool", "float8",
                    "float8", "float8", "float8", "float8", "float8", "float8", "jsonb"])

    def chat(messages):
        return llm.chat(cfg, messages, max_tokens=200)

    def embed_q(texts):
        return embedding.encode(row, texts, is_query=True)

    if commit:
        plpy.commit()
    for case in cases:
        t = time.perf_counter()
        hits = plpy.execute(search, [case["question"], k, case["tenant"], mode, model_name, vector_weight,
                                     text_weight, bool(rerank), reranker])
        retrieval_ms = (time.perf_counter() - t) * 1000
        docs = []
        for h in hits:
            if h["document_id"] not in docs:
                docs.append(h["document_id"])
        relevant = set(case["relevant_document_ids"] or [])
        rank = next((i for i, d in enumerate(docs, start=1) if d in relevant), None)
        refs = [case["reference_answer"]] if case["reference_answer"] else []
        out = dict(answer=None, supported=None, contains=None, f1=None, faith=None, relevancy=None,
                   cprec=None, crecall=None, answer_ms=None, details={})
        if generate:
            t = time.perf_counter()
            a = json.loads(plpy.execute(ask, [case["question"], case["tenant"], model_name, sources,
                                              bool(rerank)])[0]["a"])
            out["answer_ms"] = (time.perf_counter() - t) * 1000
            ids = [s["chunk_id"] for s in a["sources"]]
            ctx_rows = plpy.execute(_plan(plpy, "eval_ctx",
                                          "SELECT c.content FROM unnest($1::bigint[]) WITH ORDINALITY u(id, o)"
                                          " JOIN rag.chunks c ON c.id = u.id ORDER BY u.o", ["bigint[]"]), [ids])
            contexts = [r["content"] for r in ctx_rows]
            out.update(answer=a["answer"], supported=a["supported"])
            out["details"] = {"answer_model": a["model"], "answer_error": a["error"]}
            if refs:
                out["contains"] = ev.contains_reference(a["answer"], refs)
                out["f1"] = ev.token_f1(a["answer"], refs)
                useful = [ev.span_useful(c, refs) for c in contexts]
                out["cprec"] = ev.context_precision(useful)
                out["crecall"] = float(any(useful))
            if a["supported"]:
                try:
                    if use_llm:
                        f, n_st, n_bad = ev.llm_faithfulness(chat, a["answer"], contexts)
                        gen_qs = ev.llm_generated_questions(chat, a["answer"])
                        if gen_qs:
                            v = embed_q([case["question"]] + gen_qs)
                            out["relevancy"] = float(np.mean(v[1:] @ v[0]))
                        else:
                            out["relevancy"] = 0.0
                    else:
                        stmts = ev.statements(a["answer"])
                        flags = [ev.statement_supported(s, contexts) for s in stmts]
                        f = sum(flags) / len(flags) if flags else 1.0
                        n_st, n_bad = len(flags), flags.count(False)
                        qv = embedding.encode(row, [case["question"]], is_query=True)[0]
                        text = " ".join(stmts) or a["answer"]
                        out["relevancy"] = float(qv @ embedding.encode(row, [text], is_query=False)[0])
                    out["faith"] = f
                    out["details"].update(statements=n_st, unsupported=n_bad)
                except (llm.LLMError, ValueError) as exc:
                    out["details"]["judge_error"] = str(exc)
            else:
                out["relevancy"] = 0.0  # non-committal
        plpy.execute(insert, [run_id, case["id"], docs, [h["chunk_id"] for h in hits], rank, ev.ndcg_at_10(rank),
                              out["answer"], out["supported"], out["contains"], out["f1"], out["faith"],
                              out["relevancy"], out["cprec"], out["crecall"], retrieval_ms, out["answer_ms"],
                              json.dumps(out["details"])])
        if commit:
            plpy.commit()
    plpy.execute(_plan(plpy, "eval_done",
                       "UPDATE rag.eval_runs SET status = 'done', finished_at = clock_timestamp(), n_cases = $2"
                       " WHERE id = $1",
                       ["bigint", "int"]), [run_id, len(cases)])
    return run_id


# ---- intents ------------------------------------------------------------------

_intent_cache = {}


def _registry(plpy):
    rows = plpy.execute("SELECT name, description_es, description_en, parameters::text AS parameters,"
                        " target::text AS target, keywords, examples::text AS examples, enabled, read_only,"
                        " allowed_role, arg_names::text AS arg_names,"
                        " pg_has_role(current_user, allowed_role, 'MEMBER') AS allowed FROM rag.intent_functions")
    out = []
    for r in rows:
        d = dict(r)
        for k in ("parameters", "examples", "arg_names"):
            d[k] = json.loads(d[k])
        out.append(d)
    return out


def _catalogs(plpy, functions):
    """Allowed values per catalog parameter, read from the tables the registry names."""
    cats = {}
    for fn in functions:
        for p, spec in fn["parameters"].get("properties", {}).items():
            cat = spec.get("x-catalog")
            if cat and p not in cats:
                table = plpy.execute(_plan(plpy, "catalog_sql", "SELECT format('SELECT DISTINCT %I::text AS v FROM %s',"
                                                                " $1::text, $2::regclass::text) AS sql",
                                           ["text", "text"]), [cat["column"], cat["table"]])[0]["sql"]
                cats[p] = [r["v"] for r in plpy.execute(table)]
    return cats


def _fn_vectors(row, functions):
    """Embeddings of each function's descriptions and example questions,
    cached per backend (keyed by the registry content)."""
    key = (row["name"], json.dumps([(f["name"], f["description_es"], f["description_en"], f["examples"])
                                    for f in functions], sort_keys=True))
    vecs = _intent_cache.get(key)
    if vecs is None:
        vecs = {}
        for f in functions:
            texts = [f["description_es"], f["description_en"]] + [e["question"] for e in f["examples"]]
            vecs[f["name"]] = embedding.encode(row, texts, is_query=True)
        _intent_cache.clear()
        _intent_cache[key] = vecs
    return vecs


def parse_intent(plpy, question, reference_date, session_id=None, parser="auto"):
    from datetime import date as _date

    from . import intents
    from .answer import answer_language
    if question is None or not question.strip():
        plpy.error("question must not be empty")
    if len(question) > 2000:
        plpy.error(f"question is {len(question)} characters long; the limit is 2000")
    ref = _date.fromisoformat(reference_date)
    functions = [f for f in _registry(plpy) if f["enabled"]]
    catalogs = _catalogs(plpy, functions)
    row = model_row(plpy, None)
    vecs = _fn_vectors(row, functions)
    q = embedding.encode(row, [question], is_query=True)[0]
    sims = {name: float((v @ q).max()) for name, v in vecs.items()}
    history = []
    if session_id:
        history = [json.loads(r["intent"]) for r in plpy.execute(_plan(
            plpy, "history", "SELECT intent::text AS intent FROM rag.conversation_turns WHERE asked_by = current_user"
            " AND session_id = $1 AND intent ? 'funcion' AND intent->>'funcion' IS NOT NULL ORDER BY id DESC LIMIT 3",
            ["text"]), [session_id])]
    if parser not in ("auto", "rules", "llm"):
        plpy.error(f"parser must be auto, rules or llm, got {parser!r}")
    out = intents.parse(question, ref, functions, catalogs, lambda n: sims.get(n, 0.0), history,
                        answer_language(question))
    cfg = llm_config(plpy)
    if parser == "llm" or (parser == "auto" and cfg.configured and out["parser"] != "rules+history"):
        if not cfg.configured:
            plpy.error("parser => 'llm' needs an LLM endpoint (rag.llm_base_url)")
        # The model's intent goes through the same validation; when it fails,
        # the rules' intent stands.
        try:
            got = intents.parse_llm_reply(llm.chat(cfg, intents.llm_messages(question, ref, functions, catalogs),
                                                   max_tokens=200, json_mode=True))
            fn = next((f for f in functions if f["name"] == got.get("funcion")), None)
            errors = [] if got.get("funcion") is None else intents.validate(
                got, fn, _catalogs(plpy, [fn]) if fn else {}, bool(fn and fn["allowed"]))
            if not errors:
                got.update(parser="llm", confianza=out.get("confianza"))
                return json.dumps(got, ensure_ascii=False)
            out["llm_errors"] = errors
        except (llm.LLMError, ValueError) as exc:
            out["llm_errors"] = [str(exc)]
        out["parser"] = "rules+embedding (llm fallback)"
    return json.dumps(out, ensure_ascii=False)


def validate_intent(plpy, intent_text):
    from . import intents
    try:
        intent = json.loads(intent_text) if intent_text is not None else None
    except ValueError:
        return ["intent is not valid JSON"]
    functions = {f["name"]: f for f in _registry(plpy)}
    fn = functions.get(intent.get("funcion")) if isinstance(intent, dict) else None
    catalogs = _catalogs(plpy, [fn]) if fn else {}
    return intents.validate(intent, fn, catalogs, bool(fn and fn["allowed"]))
