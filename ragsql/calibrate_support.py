"""Calibrates the answer-support check (py_udfs/answer.py thresholds).

On-topic: XQuAD questions asked against their own corpus (should be answered).
Off-topic: the same questions asked against the bundled sample corpus, which
says nothing about them (should get the "no information" answer).

    python -m ragsql.calibrate_support [--data DIR] [--limit N]
"""
import argparse

import numpy as np
from tqdm import tqdm

from py_udfs import answer, embedding

from . import ROOT, db, readers, xquad


def features(conn, question, tenant, row):
    rows = conn.execute("SELECT content FROM rag.search(%s, k => 5, tenant => %s)", (question, tenant)).fetchall()
    sources = [{"content": r[0]} for r in rows]

    def embed(texts, _):
        return np.vstack([embedding.encode(row, texts[:1], True), embedding.encode(row, texts[1:], False)])
    return answer.score_sentences(question, sources, embed)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/xquad")
    ap.add_argument("--limit", type=int, default=300)
    args = ap.parse_args(argv)
    path = xquad.data_dir(args.data)
    conn = db.connect()
    row = dict(zip(("name", "provider", "model_ref", "dimensions"), conn.execute(
        "SELECT name, provider, model_ref, dimensions FROM rag.embedding_models WHERE active").fetchone()))
    for f in readers.iter_files([ROOT / "samples"]):
        title, text, meta = readers.read_file(f)
        db.ingest(conn, text, title=title, metadata=meta, tenant="demo")
    db.drain_queue(conn, progress=False)
    for lang in xquad.LANGS:
        tenant, _, questions = xquad.ensure_loaded(conn, path, lang)
        rng = np.random.default_rng(0)
        sample = [questions[i] for i in rng.choice(len(questions), min(args.limit, len(questions)), replace=False)]
        on = [features(conn, q["question"], tenant, row) for q in tqdm(sample, desc=f"{lang} on-topic")]
        off = [features(conn, q["question"], "demo", row) for q in tqdm(sample, desc=f"{lang} off-topic")]
        on_ok = np.mean([answer.is_supported(s) for s in on])
        off_ok = np.mean([not answer.is_supported(s) for s in off])
        print(f"{lang}: on-topic answered {on_ok:.3f}, off-topic refused {off_ok:.3f} (n={len(sample)})")
        for mc in (0.81, 0.82, 0.83, 0.84, 0.85):
            for mcw in (0.76, 0.78, 0.80):
                a = np.mean([answer.is_supported(s, mc, mcw) for s in on])
                b = np.mean([not answer.is_supported(s, mc, mcw) for s in off])
                print(f"   min_cosine {mc:.2f} with_overlap {mcw:.2f}: answered {a:.3f} refused {b:.3f}")
        for name, group in (("on", on), ("off", off)):
            best = np.array([max(r[1] for r in s) if s else 0 for s in group])
            ov = np.array([max(r[2] for r in s) if s else 0 for s in group])
            print(f"   {name:3} best cosine p5/p50/p95 {np.percentile(best, [5, 50, 95]).round(3)}"
                  f"  best overlap p5/p50/p95 {np.percentile(ov, [5, 50, 95]).round(3)}")


if __name__ == "__main__":
    main()
