"""Chooses the 'signals' reranker weights on XQuAD: collects the first-stage
pool (hybrid, 40 candidates) and its signals once per question, grid-searches
the weights on Spanish and reports them on English (held out).

    python -m ragsql.tune_reranker [--data DIR] [--limit N]
"""
import argparse
import itertools
import math

import numpy as np
from tqdm import tqdm

from py_udfs.rerank import signal_scores

from . import db, xquad

POOL = """
SELECT s.chunk_id, s.metadata->>'paragraph_id' AS pid, f.cosine, f.coverage, f.secondary_cosine
  FROM rag.search(%(q)s, k => 40, tenant => %(t)s, candidates => 40) WITH ORDINALITY AS s
  JOIN rag.rerank_signals(%(q)s, ARRAY(SELECT chunk_id FROM rag.search(%(q)s, k => 40, tenant => %(t)s,
                                                                       candidates => 40)),
                          secondary_model => 'all-minilm-l6-v2') f ON f.chunk_id = s.chunk_id
 ORDER BY s.ordinality"""


def ndcg(pools, weights):
    total = 0.0
    for gold, rows in pools:
        scores = signal_scores([dict(cosine=r[2], coverage=r[3], secondary_cosine=r[4], rrf=1 / (60 + i))
                                for i, r in enumerate(rows, start=1)], weights)
        seen = []
        for i in np.argsort(-np.asarray(scores), kind="stable"):
            if rows[i][1] not in seen:
                seen.append(rows[i][1])
        rank = seen.index(gold) + 1 if gold in seen else None
        total += 1 / math.log2(rank + 1) if rank and rank <= 10 else 0
    return total / len(pools)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/xquad")
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args(argv)
    path = xquad.data_dir(args.data)
    conn = db.connect()
    pools = {}
    for lang in xquad.LANGS:
        tenant, _, questions = xquad.ensure_loaded(conn, path, lang, models=("all-minilm-l6-v2",))
        pools[lang] = [(q["paragraph_id"], conn.execute(POOL, dict(q=q["question"], t=tenant)).fetchall())
                       for q in tqdm(questions[: args.limit], desc=f"pools {lang}")]
    rrf_only = {"cosine": 0, "coverage": 0, "secondary_cosine": 0, "rrf": 1}
    print(f"first stage (RRF order): es {ndcg(pools['es'], rrf_only):.4f}  en {ndcg(pools['en'], rrf_only):.4f}")
    grid = [dict(rrf=a, cosine=b, coverage=c, secondary_cosine=d)
            for a, b, c, d in itertools.product((0, 0.5, 1), (0, 0.5, 1, 2), (0, 0.25, 0.5, 1), (0, 0.25, 0.5))]
    best = sorted(((ndcg(pools["es"], w), w) for w in grid if any(w.values())), key=lambda x: -x[0])[:5]
    for score, w in best:
        print(f"es {score:.4f}  en {ndcg(pools['en'], w):.4f}  weights {w}")


if __name__ == "__main__":
    main()
