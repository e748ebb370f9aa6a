"""Tuning of the hybrid fusion (rag._first_stage): reads both legs of every
question once through SQL (rag.query_features, then rag._search_legs, the
functions rag.search itself calls), then scores fusion settings over those
rows here, without further queries, and prints nDCG@10 and recall@5 of each
(the gold paragraph's rank among the distinct documents of the top 20
chunks, as rag.evaluate ranks them).

Tune on one set (by default xquad-es, the articles of even index) and read
the others as held out:

    python -m ragsql.tune_fusion [--tune xquad-es] [--half even|odd|all]

The evaluation sets are those of ragsql.eval_retrieval (run it first).
"""
import argparse
import math
import os
import pickle

from . import db

# (set, embedding model): None is the active model, as eval_retrieval runs them
SETS = (("xquad-es", None), ("xquad-en", None), ("xquad-es-over-en", None), ("xquad-en-over-es", None),
        ("xquad-es", "all-minilm-l6-v2"), ("xquad-en", "all-minilm-l6-v2"))
K = 20  # rows per question, as eval_retrieval asks for
N = 50  # candidates per leg: rag.search's default


def legs(conn, set_name, model=None, limit=None):
    """Per question: its relevant documents, its article index (the gold
    paragraph id's prefix), the query's language and both legs' rows
    (chunk, document, vector rank, cosine, text rank, BM25, summed IDF,
    the chunk's language)."""
    cases = conn.execute(
        "SELECT c.question, c.tenant, c.relevant_document_ids,"
        "       (SELECT d.metadata->>'paragraph_id' FROM rag.documents d WHERE d.id = c.relevant_document_ids[1])"
        "  FROM rag.eval_cases c JOIN rag.eval_sets s ON s.id = c.set_id WHERE s.name = %s ORDER BY c.id"
        " LIMIT %s", (set_name, limit)).fetchall()
    model = model or conn.execute("SELECT name FROM rag.embedding_models WHERE active").fetchone()[0]
    out = []
    for question, tenant, relevant, pid in cases:
        rows = conn.execute(
            "WITH f AS (SELECT * FROM rag.query_features(%(q)s, ARRAY[%(m)s]))"
            " SELECT l.chunk_id, c.document_id, l.vector_rank, l.cosine, l.text_rank, l.bm25, l.query_idf,"
            "        d.language, f.language"
            "   FROM f, rag._search_legs(%(q)s, ARRAY[%(m)s], f.embeddings, f.language, %(n)s, %(t)s, NULL,"
            "                            'hybrid', %(m)s) l"
            "   JOIN rag.chunks c ON c.id = l.chunk_id JOIN rag.documents d ON d.id = c.document_id",
            dict(q=question, m=model, n=N, t=tenant)).fetchall()
        out.append({"relevant": set(relevant), "article": int(pid.split("-")[0]),
                    "query_language": rows[0][8] if rows else None, "rows": rows})
    return out


def rank_of(case, score):
    """The gold document's rank among the distinct documents of the top K
    chunks ordered by score (ties by chunk id), or None."""
    scored = [(s, r) for r in case["rows"] if (s := score(r, case)) is not None]
    ranked = [r for s, r in sorted(scored, key=lambda x: (-x[0], x[1][0]))][:K]
    docs = list(dict.fromkeys(r[1] for r in ranked))
    return next((i for i, d in enumerate(docs, start=1) if d in case["relevant"]), None)


def figures(cases, score):
    ranks = [rank_of(c, score) for c in cases]
    ndcg = sum(1 / math.log2(r + 1) for r in ranks if r and r <= 10) / len(ranks)
    r5 = sum(1 for r in ranks if r and r <= 5) / len(ranks)
    return ndcg, r5


def rrf(vw=1.0, tw=1.0, k=60):
    def score(r, case):
        return (vw / (k + r[2]) if r[2] else 0) + (tw / (k + r[4]) if r[4] else 0)
    return score


def convex(w, normalise=True):
    """rag._first_stage's 'convex' fusion with text weight w: the cosine
    min-max normalised over the vector leg (or raw), plus w * bm25 /
    query_idf; a chunk missing from the vector leg counts the lowest
    cosine, one missing from the text leg 0."""
    def score(r, case):
        cos = [x[3] for x in case["rows"] if x[3] is not None]
        lo, hi = case.setdefault("_range", (min(cos, default=0), max(cos, default=0)))
        c = r[3] if r[3] is not None else lo
        v = ((c - lo) / (hi - lo) if hi > lo else 1) if normalise else c
        return v + w * (r[5] / r[6] if r[5] is not None and r[6] else 0)
    return score


def only(leg):
    """One leg's own order; rows the leg did not return are left out."""
    def score(r, case):
        rank = r[2] if leg == "vector" else r[4]
        return -rank if rank else None
    return score


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tune", default="xquad-es")
    ap.add_argument("--half", default="even", choices=("even", "odd", "all"))
    ap.add_argument("--limit", type=int)
    ap.add_argument("--cache", help="keep the legs' rows in this file (pickle) and read them from it next time")
    args = ap.parse_args(argv)
    data = {}
    if args.cache and os.path.exists(args.cache):
        with open(args.cache, "rb") as f:
            data = pickle.load(f)
    if any(s not in data for s in SETS):
        conn = db.connect()
        data.update({s: legs(conn, s[0], model=s[1], limit=args.limit) for s in SETS if s not in data})
        if args.cache:
            with open(args.cache, "wb") as f:
                pickle.dump(data, f)
    half = {"even": 0, "odd": 1}.get(args.half)
    tuned = (args.tune, None)
    tune = [c for c in data[tuned] if half is None or c["article"] % 2 == half]
    held = {s: [c for c in data[s] if s != tuned or half is None or c["article"] % 2 != half] for s in SETS}
    settings = {"vector": only("vector"), "text": only("text"), "rrf 1/1 k60": rrf()}
    settings.update({f"rrf 1/{tw} k{k}": rrf(1.0, tw, k) for tw in (0.3, 0.5, 0.7) for k in (10, 30, 60)})
    settings.update({f"raw cos + {w}": convex(w, normalise=False) for w in (0.04, 0.08, 0.12, 0.2)})
    settings.update({f"convex {w}": convex(w) for w in (0.5, 1.0, 1.25, 1.5, 1.75, 2.0, 3.0)})
    print(f"tuned on {args.tune} ({args.half} articles, {len(tune)} questions); nDCG@10 / R@5")
    print(f"{'setting':18} {'tune':>13} " + " ".join(f"{s + (' ' + m[:6] if m else ''):>17}" for s, m in SETS))
    for name, score in settings.items():
        t = figures(tune, score)
        cells = " ".join(f"{figures(held[s], score)[0]:8.3f}/{figures(held[s], score)[1]:.3f}" for s in SETS)
        print(f"{name:18} {t[0]:6.3f}/{t[1]:.3f} {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
