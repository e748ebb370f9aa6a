"""Retrieval quality on XQuAD: recall@1, recall@5, MRR and nDCG@10 of the gold
paragraph for vector-only, text-only and hybrid search, Spanish and English,
for every registered offline embedding model.

    make eval-retrieval            (or: python -m ragsql.eval_retrieval --data DIR)
"""
import argparse
import json
import math
import time

from tqdm import tqdm

from . import db, xquad

OFFLINE_MODELS = ("multilingual-e5-small", "all-minilm-l6-v2")


def ranks_for(conn, tenant, questions, mode, model, k=20):
    """1-based rank of the gold paragraph among distinct documents (None if
    not in the top k chunks)."""
    out = []
    for q in tqdm(questions, desc=f"{tenant} {mode:6} {model or '':22}", unit="q", leave=False):
        rows = conn.execute("SELECT metadata->>'paragraph_id' FROM rag.search(%s, k => %s, tenant => %s,"
                            " mode => %s, model => %s)", (q["question"], k, tenant, mode, model)).fetchall()
        seen = []
        for (pid,) in rows:
            if pid not in seen:
                seen.append(pid)
        out.append(seen.index(q["paragraph_id"]) + 1 if q["paragraph_id"] in seen else None)
    return out


def metrics(ranks):
    n = len(ranks)
    return {
        "recall@1": sum(1 for r in ranks if r == 1) / n,
        "recall@5": sum(1 for r in ranks if r and r <= 5) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "ndcg@10": sum(1 / math.log2(r + 1) for r in ranks if r and r <= 10) / n,
    }


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
    for lang in xquad.LANGS:
        tenant, _, questions = xquad.ensure_loaded(conn, path, lang, models=OFFLINE_MODELS)
        questions = questions[: args.limit] if args.limit else questions
        runs = [("text", None)] + [(mode, m) for m in OFFLINE_MODELS for mode in ("vector", "hybrid")]
        for mode, model in runs:
            t = time.perf_counter()
            r = ranks_for(conn, tenant, questions, mode, model)
            m = metrics(r)
            m["ms_per_query"] = (time.perf_counter() - t) * 1000 / len(questions)
            results[(lang, mode, model or "-")] = m
    print(f"\nXQuAD retrieval, gold paragraph among the top distinct documents "
          f"({len(questions)} questions per language; active model: {active})\n")
    print(f"{'lang':4} {'mode':7} {'embedding model':22} {'R@1':>6} {'R@5':>6} {'MRR':>6} {'nDCG@10':>8} {'ms/q':>6}")
    for (lang, mode, model), m in results.items():
        print(f"{lang:4} {mode:7} {model:22} {m['recall@1']:6.3f} {m['recall@5']:6.3f} {m['mrr']:6.3f}"
              f" {m['ndcg@10']:8.3f} {m['ms_per_query']:6.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"|".join(k): v for k, v in results.items()}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
