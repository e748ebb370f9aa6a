"""Entry module of sql/idempotent/100_evaluation.sql: rag.evaluate and the
rag.run_evaluation procedure. Reaches retrieval and answering through SQL
(rag.search, rag.answer), exactly as a user would."""
import json
import time

import numpy as np

from .. import __version__, llm
from .. import answer as compose_answer
from .. import evaluation as ev
from ..grounding import statement_supported
from . import answer as pg_answer
from .backend import encode, llm_config, model_row, run

_RESULT_COLUMNS = [
    ("run_id", "bigint"), ("case_id", "bigint"), ("retrieved_document_ids", "bigint[]"),
    ("retrieved_chunk_ids", "bigint[]"), ("first_relevant_rank", "int"), ("ndcg_at_10", "float8"),
    ("answer", "text"), ("supported", "bool"), ("contains_reference", "bool"), ("token_f1", "float8"),
    ("faithfulness", "float8"), ("answer_relevancy", "float8"), ("context_precision", "float8"),
    ("context_recall", "float8"), ("retrieval_ms", "float8"), ("answer_ms", "float8"), ("details", "jsonb"),
]


def evaluate(plpy, set_name, mode, k, rerank, reranker, generate, label, max_cases, model_name,
             vector_weight, text_weight, sources, prompt=None, commit=False):
    """Runs an evaluation set, stores one rag.eval_results row per case and
    returns the run id. With commit (rag.run_evaluation), the run row and
    every case are committed as they are made: a long run holds no locks
    for its whole length, and a failure keeps what was done. `prompt`: the
    registered answer prompt the LLM is given instead of Production's."""
    sets = run(plpy, "SELECT id FROM rag.eval_sets WHERE name = $1", ["text"], [set_name])
    if not sets:
        plpy.error(f"unknown evaluation set {set_name!r}", hint="SELECT name FROM rag.eval_sets")
    if mode not in ("hybrid", "vector", "text"):
        plpy.error(f"mode must be hybrid, vector or text, got {mode!r}")
    set_id = sets[0]["id"]
    row = model_row(plpy, model_name)
    cfg = llm_config(plpy)
    use_llm = bool(generate and cfg.configured)
    candidate = _candidate_prompt(plpy, prompt, use_llm)
    # The reranker by name, the default one resolved: a run is evidence for
    # the promotion gate of the reranker it names.
    named = reranker or (run(plpy, "SELECT name FROM rag.rerankers WHERE is_default")[0]["name"] if rerank else None)
    config = _run_config(row, cfg, mode, k, rerank, named, generate, use_llm, vector_weight, text_weight, sources)
    if candidate:  # the run is the evidence of the prompt the answers came from
        config["answer_prompt"] = candidate["name"]
    elif use_llm:
        config["answer_prompt"] = run(plpy, "SELECT coalesce((SELECT name FROM rag._production_prompt()), $1) AS n",
                                      ["text"], [compose_answer.PROMPT_VERSION])[0]["n"]
    run_id = run(plpy, "INSERT INTO rag.eval_runs (set_id, label, config) VALUES ($1, $2, $3) RETURNING id",
                 ["int", "text", "jsonb"], [set_id, label, json.dumps(config)])[0]["id"]
    cases = run(plpy, "SELECT * FROM rag.eval_cases WHERE set_id = $1 ORDER BY id LIMIT $2", ["int", "int"],
                [set_id, max_cases])
    judge = _Judge(plpy, row, cfg if use_llm else None)
    if commit:
        plpy.commit()
    pg_answer._evaluated_prompt = candidate
    try:
        for case in cases:
            result = {"run_id": run_id, "case_id": case["id"], "details": {}}
            result.update(_retrieve(plpy, case, k, mode, model_name, vector_weight, text_weight, rerank, reranker))
            if generate:
                result.update(_answer(plpy, case, model_name, sources, rerank, judge))
            _store(plpy, result)
            if commit:
                plpy.commit()
    finally:
        pg_answer._evaluated_prompt = None
    run(plpy, "UPDATE rag.eval_runs SET status = 'done', finished_at = clock_timestamp(), n_cases = $2"
              " WHERE id = $1", ["bigint", "int"], [run_id, len(cases)])
    return run_id


def _candidate_prompt(plpy, name, use_llm):
    """The registered answer prompt to evaluate (None: Production's)."""
    if name is None:
        return None
    if not use_llm:
        plpy.error("an answer prompt is only given to an LLM", sqlstate="22023",
                   hint="evaluate it with generate => true and a chat endpoint configured (rag.llm_endpoint)")
    rows = run(plpy, "SELECT name, template FROM rag.answer_prompts WHERE name = $1", ["text"], [name])
    if not rows:
        plpy.error(f"unknown answer prompt {name!r}", sqlstate="22023",
                   hint="SELECT name FROM rag.artefact_stages_current WHERE kind = 'answer_prompt'")
    return dict(rows[0])


def _run_config(row, cfg, mode, k, rerank, reranker, generate, use_llm, vector_weight, text_weight, sources):
    """The configuration snapshot stored with the run."""
    judge = {"faithfulness": f"llm:{cfg.describe()}" if use_llm else "lexical+embedding",
             "answer_relevancy": f"llm:{cfg.describe()}" if use_llm else "embedding",
             "context_precision": "reference-span", "context_recall": "reference-span",
             "prompt_versions": [compose_answer.PROMPT_VERSION, ev.JUDGE_PROMPT_VERSION]}
    return {"mode": mode, "k": k, "embedding_model": row["name"], "embedding_version": row["version"],
            "vector_weight": vector_weight, "text_weight": text_weight,
            "fusion": "convex", "rrf_k": 60,  # rag.search's defaults; evaluation runs do not change them
            "rerank": bool(rerank or reranker), "reranker": reranker,
            "generator": (cfg.describe() if use_llm else "extractive") if generate else None,
            "sources": sources, "judge": judge if generate else None, "code_version": __version__}


def _retrieve(plpy, case, k, mode, model_name, vector_weight, text_weight, rerank, reranker):
    t = time.perf_counter()
    hits = run(plpy, "SELECT chunk_id, document_id FROM rag.search($1, k => $2, tenant => $3, mode => $4,"
                     " model => $5, vector_weight => $6, text_weight => $7, rerank => $8, reranker => $9)",
               ["text", "int", "text", "text", "text", "float8", "float8", "bool", "text"],
               [case["question"], k, case["tenant"], mode, model_name, vector_weight, text_weight, bool(rerank),
                reranker])
    retrieval_ms = (time.perf_counter() - t) * 1000
    documents = list(dict.fromkeys(h["document_id"] for h in hits))
    rank = ev.first_relevant_rank(documents, set(case["relevant_document_ids"] or []))
    return {"retrieved_document_ids": documents, "retrieved_chunk_ids": [h["chunk_id"] for h in hits],
            "first_relevant_rank": rank, "ndcg_at_10": ev.ndcg_at_10(rank), "retrieval_ms": retrieval_ms}


def _answer(plpy, case, model_name, sources, rerank, judge):
    """The answer metrics of one case: reference overlap, context precision
    and recall against the reference span, and the judge's faithfulness and
    relevancy."""
    t = time.perf_counter()
    a = json.loads(run(plpy, "SELECT rag.answer($1, tenant => $2, model => $3, sources => $4, rerank => $5) AS a",
                       ["text", "text", "text", "int", "bool"],
                       [case["question"], case["tenant"], model_name, sources, bool(rerank)])[0]["a"])
    out = {"answer_ms": (time.perf_counter() - t) * 1000, "answer": a["answer"], "supported": a["supported"],
           "details": {"answer_model": a["model"], "answer_error": a["error"]}}
    contexts = [r["content"] for r in run(plpy, "SELECT c.content FROM unnest($1::bigint[]) WITH ORDINALITY u(id, o)"
                                                " JOIN rag.chunks c ON c.id = u.id ORDER BY u.o", ["bigint[]"],
                                          [[s["chunk_id"] for s in a["sources"]]])]
    refs = [case["reference_answer"]] if case["reference_answer"] else []
    if refs:
        useful = [ev.span_useful(c, refs) for c in contexts]
        out.update(contains_reference=ev.contains_reference(a["answer"], refs), token_f1=ev.token_f1(a["answer"], refs),
                   context_precision=ev.context_precision(useful), context_recall=float(any(useful)))
    if not a["supported"]:
        out["answer_relevancy"] = 0.0  # a refusal is non-committal
        return out
    try:
        faith, n_statements, n_unsupported = judge.faithfulness(a["answer"], contexts)
        out.update(faithfulness=faith, answer_relevancy=judge.relevancy(case["question"], a["answer"]))
        out["details"].update(statements=n_statements, unsupported=n_unsupported)
    except (llm.LLMError, ValueError) as exc:
        out["details"]["judge_error"] = str(exc)
    return out


class _Judge:
    """Faithfulness and answer relevancy: by the LLM when one is configured,
    else lexical grounding and embedding similarity."""

    def __init__(self, plpy, row, cfg):
        self.plpy, self.row, self.cfg = plpy, row, cfg

    def _chat(self, messages):
        return llm.chat(self.cfg, messages, max_tokens=200)

    def faithfulness(self, answer, contexts):
        if self.cfg:
            return ev.llm_faithfulness(self._chat, answer, contexts)
        flags = [statement_supported(s, contexts) for s in ev.statements(answer)]
        return (sum(flags) / len(flags) if flags else 1.0), len(flags), flags.count(False)

    def relevancy(self, question, answer):
        if self.cfg:
            generated = ev.llm_generated_questions(self._chat, answer)
            if not generated:
                return 0.0
            v = encode(self.plpy, self.row, [question] + generated, True)
            return float(np.mean(v[1:] @ v[0]))
        text = " ".join(ev.statements(answer)) or answer
        q = encode(self.plpy, self.row, [question], True)[0]
        return float(q @ encode(self.plpy, self.row, [text], False)[0])


def _store(plpy, result):
    names = [n for n, _ in _RESULT_COLUMNS]
    values = [result.get(n) for n in names]
    values[names.index("details")] = json.dumps(result["details"])
    run(plpy, f"INSERT INTO rag.eval_results ({', '.join(names)})"
              f" VALUES ({', '.join(f'${i}' for i in range(1, len(names) + 1))})",
        [t for _, t in _RESULT_COLUMNS], values)
