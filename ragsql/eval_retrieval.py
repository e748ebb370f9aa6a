"""Retrieval quality on XQuAD: recall@1, recall@5, MRR and nDCG@10 of the gold
paragraph for vector-only, text-only and hybrid search, Spanish and English,
for every offline embedding model; and cross-lingual (lang "es>en": Spanish
questions over the English paragraphs, and "en>es") with the active model.

A loop over the product's own evaluation: each row of the table is one
rag.run_evaluation run of the set xquad-<lang> (k => 20: the rank is the
gold paragraph's among the distinct documents of the top 20 chunks, each
paragraph being one document), and its figures are read back from
rag.eval_run_metrics. Nothing is computed here; the runs stay in
rag.eval_runs / rag.eval_results.

    make eval-retrieval            (or: python -m ragsql.eval_retrieval --data DIR [--limit N])
"""
import argparse
import json

from . import db, xquad
from .eval import run

OFFLINE_MODELS = ("multilingual-e5-small", "all-minilm-l6-v2")
RUNS = [("text", None)] + [(mode, m) for m in OFFLINE_MODELS for mode in ("vector", "hybrid")]
K = 20
TOLERANCE = 0.005
FIGURES = ("cases", "recall_at_1", "recall_at_5", "mrr", "ndcg_at_10", "retrieval_p50_ms")


def side_by_side(results):
    """Per set and embedding model: vector-only, text-only and hybrid R@5 and
    nDCG@10, with a flag where hybrid falls more than TOLERANCE below its
    better leg (the fusion's target is never to lose to a leg)."""
    lines = [f"\nfusion against its legs (R@5 / nDCG@10); ! marks hybrid nDCG@10 < max(legs) - {TOLERANCE}\n",
             f"{'set':5} {'embedding model':22} {'vector':>13} {'text':>13} {'hybrid':>13}  {'vs best leg':>11}"]
    for (lang, mode, model), m in results.items():
        if mode != "hybrid":
            continue
        v, t = results[(lang, "vector", model)], results[(lang, "text", "-")]
        best = max(v["ndcg_at_10"], t["ndcg_at_10"])
        gap = m["ndcg_at_10"] - best
        cells = " ".join(f"{x['recall_at_5']:6.3f}/{x['ndcg_at_10']:.3f}" for x in (v, t, m))
        lines.append(f"{lang:5} {model:22} {cells}  {gap:+10.3f}{' !' if gap < -TOLERANCE else ''}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/xquad")
    ap.add_argument("--limit", type=int, default=None, help="only the first N questions per language")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    path = xquad.data_dir(args.data)
    conn = db.connect()
    active = conn.execute("SELECT name FROM rag.embedding_models WHERE active").fetchone()[0]
    results = {}
    # Both corpora are loaded before any run: the text-search statistics
    # (IDF) are over all tenants, so in a new database the Spanish runs see
    # the same ones as the English runs.
    sets = {lang: xquad.ensure_set(conn, path, lang, models=OFFLINE_MODELS) for lang in xquad.LANGS}
    # Cross-lingual (XQuAD is parallel): each language's questions over the
    # other language's paragraphs, with the active model.
    sets.update({f"{q}>{d}": xquad.ensure_set(conn, path, q, doc_lang=d) for q, d in (("es", "en"), ("en", "es"))})
    for lang, name in sets.items():
        runs = RUNS if ">" not in lang else [("text", None), ("vector", active), ("hybrid", active)]
        for mode, model in runs:
            run_id = run(conn, name, f"retrieval: {mode} {model or ''}".rstrip(), mode=mode, model=model, k=K,
                         max_cases=args.limit)
            row = conn.execute(f"SELECT {', '.join(FIGURES)} FROM rag.eval_run_metrics WHERE run_id = %s",
                               (run_id,)).fetchone()
            results[(lang, mode, model or "-")] = dict(zip(FIGURES, row), run_id=run_id)
    cases = sorted({m["cases"] for m in results.values()})
    print(f"\nXQuAD retrieval, gold paragraph among the top distinct documents "
          f"({'/'.join(map(str, cases))} questions per language; active model: {active})\n")
    print(f"{'lang':5} {'mode':7} {'embedding model':22} {'R@1':>6} {'R@5':>6} {'MRR':>6} {'nDCG@10':>8} {'ms/q':>6}")
    for (lang, mode, model), m in results.items():
        print(f"{lang:5} {mode:7} {model:22} {m['recall_at_1']:6.3f} {m['recall_at_5']:6.3f} {m['mrr']:6.3f}"
              f" {m['ndcg_at_10']:8.3f} {m['retrieval_p50_ms']:6.1f}")
    print(side_by_side(results))
    print("\nms/q: median rag.search time per question inside the database (retrieval_p50_ms);"
          " figures: rag.eval_run_metrics, run ids "
          f"{min(m['run_id'] for m in results.values())}-{max(m['run_id'] for m in results.values())}")
    if args.json:  # the keys of the figures as before: recall@1, recall@5, mrr, ndcg@10, ms_per_query
        with open(args.json, "w") as f:
            json.dump({"|".join(k): {"recall@1": float(m["recall_at_1"]), "recall@5": float(m["recall_at_5"]),
                                     "mrr": float(m["mrr"]), "ndcg@10": float(m["ndcg_at_10"]),
                                     "ms_per_query": float(m["retrieval_p50_ms"]), "cases": m["cases"],
                                     "run_id": m["run_id"]}
                       for k, m in results.items()}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
