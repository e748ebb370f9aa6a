"""make eval: XQuAD Spanish and English as evaluation sets in the database,
then runs of dense-only, text-only, hybrid and hybrid+rerank retrieval, and
answer metrics for the extractive generator and (when an LLM endpoint is
given or the local one runs) the LLM generator. Figures are stored in
rag.eval_runs / rag.eval_results and printed per language.

    python -m ragsql.eval [--data DIR] [--answers N] [--llm-answers N] [--llm-url URL]
"""
import argparse
import os
import time

from . import db, xquad

RETRIEVAL_RUNS = [("dense", "vector", False), ("text", "text", False), ("hybrid", "hybrid", False),
                  ("hybrid+rerank", "hybrid", True)]


def run(conn, set_name, label, **kw):
    args = ", ".join(f"{k} => %({k})s" for k in kw)
    t = time.perf_counter()
    print(f"  {set_name}: {label} ...", end="", flush=True)
    # The procedure commits per case: a long (LLM) run keeps no locks and
    # loses nothing if it stops half-way.
    run_id = conn.execute(f"CALL rag.run_evaluation(%(s)s, label => %(label)s, {args})",
                          dict(s=set_name, label=label, **kw)).fetchone()[0]
    print(f" run {run_id} in {time.perf_counter() - t:.0f} s")
    return run_id


def fmt(v, width=8):
    return f"{v:{width}.3f}" if v is not None else " " * (width - 1) + "–"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/xquad")
    ap.add_argument("--answers", type=int, default=200, help="cases per language for extractive answer metrics")
    ap.add_argument("--llm-answers", type=int, default=20, help="cases per language for LLM answer metrics")
    ap.add_argument("--llm-url", default=os.environ.get("RAGSQL_LLM_BASE_URL") or None)
    ap.add_argument("--llm-model", default=os.environ.get("RAGSQL_LLM_MODEL", "local-qwen"))
    ap.add_argument("--max-cases", type=int, default=None, help="limit retrieval runs (smoke tests)")
    args = ap.parse_args(argv)
    path = xquad.data_dir(args.data)
    conn = db.connect()
    llm_url = args.llm_url or db.local_llm_url()
    runs = {}
    for lang in xquad.LANGS:
        name = xquad.ensure_set(conn, path, lang)
        print(f"evaluation set {name}")
        for label, mode, rerank in RETRIEVAL_RUNS:
            runs[(lang, label)] = run(conn, name, label, mode=mode, rerank=rerank, max_cases=args.max_cases)
        runs[(lang, "answers: extractive")] = run(conn, name, "answers: extractive", mode="hybrid", rerank=True,
                                                   generate=True, max_cases=args.answers)
        if llm_url and args.llm_answers:
            db.use_llm(conn, llm_url, args.llm_model, 120_000)
            runs[(lang, "answers: llm")] = run(conn, name, "answers: llm", mode="hybrid", rerank=True,
                                               generate=True, max_cases=args.llm_answers)
            conn.execute("RESET rag.llm_endpoint")
    if not llm_url:
        print("no LLM endpoint (start one with `make llm`, or set RAGSQL_LLM_BASE_URL): extractive answers only")
    for lang in xquad.LANGS:
        print(f"\nXQuAD {lang}")
        print(f"{'run':22} {'cases':>5} {'R@5':>6} {'MRR':>6} {'nDCG@10':>8} | {'contains':>8} {'F1':>6} "
              f"{'faithful':>8} {'relevancy':>9} {'ctx prec':>8} {'ctx rec':>7} {'halluc':>6}  judge")
        for (l, label), run_id in runs.items():
            if l != lang:
                continue
            m = conn.execute("SELECT cases, recall_at_5, mrr, ndcg_at_10, contains_reference, token_f1, faithfulness,"
                             " answer_relevancy, context_precision, context_recall, hallucination_rate, judge"
                             " FROM rag.eval_run_metrics WHERE run_id = %s", (run_id,)).fetchone()
            print(f"{label:22} {m[0]:5d} {fmt(m[1], 6)} {fmt(m[2], 6)} {fmt(m[3])} | {fmt(m[4])} {fmt(m[5], 6)} "
                  f"{fmt(m[6])} {fmt(m[7], 9)} {fmt(m[8])} {fmt(m[9], 7)} {fmt(m[10], 6)}  {m[11] or ''}")
    print("\nstored: SELECT * FROM rag.eval_run_metrics ORDER BY run_id DESC;")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
