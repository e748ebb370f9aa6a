"""Chooses the 'signals' reranker weights on XQuAD, through SQL only: every
weight combination is registered as the reranker 'tuning' and evaluated with
rag.evaluate(..., rerank => true, reranker => 'tuning') on Spanish; nDCG@10
is read from rag.eval_run_metrics. The best five are then run on English
(held out), beside the first stage (hybrid, no rerank) and the current
default reranker. The default reranker is left untouched; the 'tuning' row
is deleted at the end. Every run stays in rag.eval_runs (labels
'tune-reranker: ...').

The pool and the rank are the product's: rag.search(..., rerank => true)
rescores its first 40 hybrid candidates, and rag.evaluate ranks the gold
paragraph among the distinct documents of all 40 (k => 40).

The grid, in two stages (the weights' scale does not matter, so
proportional combinations are run once):
  1. rrf x cosine x coverage, no secondary model: 3 x 4 x 4 less the
     all-zero and proportional ones, 30 combinations;
  2. the best --stage2 (3) of those with secondary_cosine 0.25 and 0.5
     (the second model, all-minilm-l6-v2, as "secondary_model"): 6 more.
Time per combination, 200 questions (--limit 200) on the 2-core machine:
1-2 s without a secondary model (the questions' vectors are then in the
backend's query-vector cache: the first-stage run embeds them); 9-13 s
with it, since 200 questions x 2 models exceed that 256-entry cache and
every question is embedded again. The whole default run: 2.5 minutes on
a quiet machine (up to 6 when it is busy).

To use the result on a database: SELECT rag.register_reranker('signals',
'signals', '', '{"weights": {...}}', make_default => true); in the project:
the seed in sql/schema/001_models.sql and DEFAULT_SIGNAL_WEIGHTS in
py_udfs/rerank.py.

    python -m ragsql.tune_reranker [--data DIR] [--limit N] [--stage2 N]
"""
import argparse
import itertools
import json
import time
from fractions import Fraction

from . import db, xquad

NAME = "tuning"
SECONDARY_MODEL = "all-minilm-l6-v2"
K = 40
STAGE1 = dict(rrf=(0, 0.5, 1), cosine=(0, 0.5, 1, 2), coverage=(0, 0.25, 0.5, 1))
SECONDARY = (0.25, 0.5)


def stage1_grid():
    grid, seen = [], set()
    for rrf, cosine, coverage in itertools.product(STAGE1["rrf"], STAGE1["cosine"], STAGE1["coverage"]):
        w = (rrf, cosine, coverage)
        top = max(w)
        if not top:
            continue
        ratio = tuple(Fraction(x).limit_denominator() / Fraction(top).limit_denominator() for x in w)
        if ratio not in seen:
            seen.add(ratio)
            grid.append(dict(cosine=cosine, coverage=coverage, secondary_cosine=0, rrf=rrf))
    return grid


def describe(w):
    return " ".join(f"{k} {v:g}" for k, v in w.items())


def evaluate(conn, set_name, limit, label, reranker=None, rerank=False):
    t = time.perf_counter()
    run_id = conn.execute("SELECT rag.evaluate(%s, mode => 'hybrid', k => %s, rerank => %s, reranker => %s,"
                          " max_cases => %s, label => %s)",
                          (set_name, K, rerank, reranker, limit, f"tune-reranker: {label}")).fetchone()[0]
    ndcg = conn.execute("SELECT ndcg_at_10 FROM rag.eval_run_metrics WHERE run_id = %s", (run_id,)).fetchone()[0]
    return float(ndcg), time.perf_counter() - t


def with_weights(conn, set_name, limit, w):
    options = {"weights": w}
    if w["secondary_cosine"]:
        options["secondary_model"] = SECONDARY_MODEL
    # Registered under its own name: the default reranker is not touched.
    conn.execute("SELECT rag.register_reranker(%s, 'signals', '', %s::jsonb)", (NAME, json.dumps(options)))
    return evaluate(conn, set_name, limit, describe(w), reranker=NAME, rerank=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/xquad")
    ap.add_argument("--limit", type=int, default=200, help="the first N questions per language")
    ap.add_argument("--stage2", type=int, default=3,
                    help="how many of the best stage-1 combinations to try with the secondary model (0: none)")
    args = ap.parse_args(argv)
    path = xquad.data_dir(args.data)
    conn = db.connect()
    sets = {lang: xquad.ensure_set(conn, path, lang, models=(SECONDARY_MODEL,)) for lang in xquad.LANGS}
    default = conn.execute("SELECT name, options FROM rag.rerankers WHERE is_default").fetchone()
    base, current, scores = {}, {}, []

    def baseline(lang):
        base[lang], secs = evaluate(conn, sets[lang], args.limit, "first stage")
        print(f"{sets[lang]}: first stage (hybrid, no rerank; embeds the questions) nDCG@10 {base[lang]:.4f}"
              f"  ({secs:.1f} s)")
        if default:
            current[lang] = evaluate(conn, sets[lang], args.limit, f"default reranker {default[0]}", rerank=True)[0]

    def search(stage, grid):
        print(f"{stage}: {len(grid)} combinations on {sets['es']}")
        for i, w in enumerate(grid, start=1):
            score, secs = with_weights(conn, sets["es"], args.limit, w)
            scores.append((score, w))
            print(f"  {i:2}/{len(grid)} {describe(w):55} nDCG@10 {score:.4f}  ({secs:.1f} s)", flush=True)
        scores.sort(key=lambda x: -x[0])

    try:
        # Spanish first, then English: the questions' vectors stay in the
        # backend's query-vector cache for the whole of one language.
        baseline("es")
        search("stage 1", stage1_grid())
        if args.stage2:
            search(f"stage 2 (secondary_model {SECONDARY_MODEL})",
                   [dict(w, secondary_cosine=s) for _, w in scores[: args.stage2] for s in SECONDARY])
        baseline("en")
        best = [(score, w, with_weights(conn, sets["en"], args.limit, w)[0]) for score, w in scores[:5]]
    finally:
        conn.execute("DELETE FROM rag.rerankers WHERE name = %s", (NAME,))
    print(f"\nnDCG@10 of the gold paragraph, first {args.limit} questions; weights chosen on Spanish,"
          " English held out")
    print(f"first stage (hybrid, no rerank): es {base['es']:.4f}  en {base['en']:.4f}")
    if default:
        print(f"default reranker {default[0]!r} {json.dumps(default[1])}: es {current['es']:.4f}"
              f"  en {current['en']:.4f}")
    for score, w, en in best:
        print(f"es {score:.4f}  en {en:.4f}  weights {w}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
