"""Graph search against plain hybrid search on bridge questions
(`make eval-graph`): the corpus of ragsql/graph_corpus.py is loaded into
its own tenant with the graph on (offline extractor), then every question
is asked through rag.search, rag.graph_search and rag.answer with and
without graph => true.

recall@k: the share of a question's gold documents among the top k;
both@k: questions with all of them there; answer: the gold answer (folded)
appears in the answer. Reported per question kind and split (`dev` may be
tuned on, `test` never is).

  python -m ragsql.eval_graph [--k 10] [--hops 2] [--split dev|test|all] [--reload] [--llm]

With --llm the answers come from the local LLM (`make llm`); retrieval is
the same either way.
"""
import argparse
import json
import os
import statistics
import sys
import time
import unicodedata

import psycopg

from . import database_url, db, graph_corpus

TENANT = "graph_bridge"


def _fold(text):
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return " ".join(text.split())


def load(conn, reload=False):
    """Loads the corpus into TENANT (once; again with reload), with the
    graph on, and drains both queues. Returns the documents."""
    docs, _ = graph_corpus.build()
    have = conn.execute("SELECT count(*) FROM rag.documents WHERE tenant = %s AND metadata ? 'bridge_key'",
                        (TENANT,)).fetchone()[0]
    if have == len(docs) and not reload:
        return docs
    conn.execute("SELECT rag.disable_graph(%s, drop_graph => true)", (TENANT,))
    conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (TENANT,))
    conn.execute("SELECT rag.enable_graph(%s, 'offline')", (TENANT,))
    for d in docs:
        db.ingest(conn, d["content"], title=d["title"], metadata={"bridge_key": d["key"]}, tenant=TENANT)
    db.drain_queue(conn, desc="bridge corpus")
    return docs


def _keys(conn, sql, args):
    return [r[0] for r in conn.execute(sql, args).fetchall()]


def evaluate(conn, k=10, hops=2, split="all", kind="all"):
    """Per question: the gold keys, what each retriever ranked, the answers."""
    _, questions = graph_corpus.build()
    rows = []
    for q in questions:
        if split != "all" and q["split"] != split or kind != "all" and q["kind"] != kind:
            continue
        # the question's vector once, untimed: both searches then reuse it
        # (the backend's query-vector cache) and their times compare search alone
        _keys(conn, "SELECT chunk_id FROM rag.search(%s, k => 1, tenant => %s)", (q["question"], TENANT))
        t = time.perf_counter()
        hybrid = _keys(conn, "SELECT metadata->>'bridge_key' FROM rag.search(%s, k => %s, tenant => %s)",
                       (q["question"], k, TENANT))
        hybrid_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        graph = _keys(conn, "SELECT metadata->>'bridge_key' FROM rag.graph_search(%s, k => %s, hops => %s,"
                            " tenant => %s)", (q["question"], k, hops, TENANT))
        graph_ms = (time.perf_counter() - t) * 1000
        answers, answer_ms = {}, {}
        for use_graph in (False, True):
            t = time.perf_counter()
            out = conn.execute("SELECT rag.answer(%s, tenant => %s, graph => %s)",
                               (q["question"], TENANT, use_graph)).fetchone()[0]
            answer_ms[use_graph] = (time.perf_counter() - t) * 1000
            answers[use_graph] = _fold(q["answer"]) in _fold(out["answer"]) and out["supported"]
        rows.append({**q, "hybrid": hybrid, "graph": graph, "hybrid_ms": hybrid_ms, "graph_ms": graph_ms,
                     "answer_hybrid": answers[False], "answer_graph": answers[True],
                     "answer_hybrid_ms": answer_ms[False], "answer_graph_ms": answer_ms[True]})
    return rows


def _recall(rank, gold):
    return sum(g in rank for g in gold) / len(gold)


def summary(rows):
    out = []
    for kind in ("bridge", "single"):
        for split in ("dev", "test"):
            sel = [r for r in rows if r["kind"] == kind and r["split"] == split]
            if not sel:
                continue
            n = len(sel)
            out.append({
                "kind": kind, "split": split, "n": n,
                "recall_hybrid": sum(_recall(r["hybrid"], r["gold"]) for r in sel) / n,
                "recall_graph": sum(_recall(r["graph"], r["gold"]) for r in sel) / n,
                "both_hybrid": sum(_recall(r["hybrid"], r["gold"]) == 1 for r in sel) / n,
                "both_graph": sum(_recall(r["graph"], r["gold"]) == 1 for r in sel) / n,
                "answer_hybrid": sum(r["answer_hybrid"] for r in sel) / n,
                "answer_graph": sum(r["answer_graph"] for r in sel) / n,
            })
    return out


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--hops", type=int, default=2)
    ap.add_argument("--split", choices=("dev", "test", "all"), default="all")
    ap.add_argument("--reload", action="store_true", help="load the corpus again (after an extractor change)")
    ap.add_argument("--kind", choices=("bridge", "single", "all"), default="all")
    ap.add_argument("--llm", action="store_true", help="answer with the local LLM (`make llm`)")
    ap.add_argument("--llm-url", default=os.environ.get("RAGSQL_LLM_BASE_URL") or None)
    ap.add_argument("--llm-model", default=os.environ.get("RAGSQL_LLM_MODEL", "local-qwen"))
    ap.add_argument("--json", help="also write the per-question rows to this file")
    args = ap.parse_args(argv)
    with psycopg.connect(database_url(), autocommit=True) as conn:
        docs = load(conn, args.reload)
        stats = conn.execute("SELECT (SELECT count(*) FROM rag.entities WHERE tenant = %(t)s),"
                             " (SELECT count(*) FROM rag.relations WHERE tenant = %(t)s)", {"t": TENANT}).fetchone()
        print(f"corpus: {len(docs)} documents, {stats[0]} entities, {stats[1]} relations (tenant {TENANT})")
        if args.llm:
            url = args.llm_url or db.local_llm_url()
            if not url:
                sys.exit("--llm: no local LLM is running (start it with `make llm`, or set RAGSQL_LLM_BASE_URL)")
            db.use_llm(conn, url, args.llm_model, 120_000)
        rows = evaluate(conn, args.k, args.hops, args.split, args.kind)
    k = args.k
    print(f"\n| questions | split | n | recall@{k} hybrid | recall@{k} graph | both@{k} hybrid | both@{k} graph"
          " | answer hybrid | answer graph |")
    print("|---|---|---|---|---|---|---|---|---|")
    for s in summary(rows):
        print(f"| {s['kind']} | {s['split']} | {s['n']} | {s['recall_hybrid']:.3f} | {s['recall_graph']:.3f} |"
              f" {s['both_hybrid']:.3f} | {s['both_graph']:.3f} | {s['answer_hybrid']:.3f} | {s['answer_graph']:.3f} |")
    print(f"answers: {'the LLM at ' + args.llm_model if args.llm else 'extractive'}")
    for name in ("hybrid", "graph", "answer_hybrid", "answer_graph"):
        ms = [r[f"{name}_ms"] for r in rows]
        print(f"{name.replace('_', ' ')}{' search' if '_' not in name else ''}, query vector cached: p50 {statistics.median(ms):.1f} ms, p95 {_pct(ms, 0.95):.1f} ms"
              f" ({len(ms)} questions)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
