"""Refusal on near-topic questions: does rag.answer refuse a question whose
answer is not in the corpus although its topic is, and still answer the ones
whose answer is there?

The set (fixed before any tuning; do not change it, or dev and test figures
stop being comparable):
- XQuAD, Spanish and English (parallel): 48 articles of 5 paragraphs.
- Withheld paragraphs: in article number a (0-based, file order), paragraph
  number a % 5 — one paragraph per article, its position rotating so that
  introductions and later paragraphs are both withheld.
- Tenant xquad_<lang>_near holds the other 192 paragraphs: every article
  keeps four paragraphs on the same topic.
- Questions of a withheld paragraph are unanswerable (must be refused);
  every other question is answerable (must be answered).
- Split by article: even article numbers are dev, odd are test. Thresholds
  and the support model (py_udfs/support.py, ragsql/train_support.py) are
  fitted on dev only; test is measured once.

Metrics per language and split: refusal precision, recall and F1 (positive
class: refusal) and the answered rate of the answerable questions. Every
question goes through rag.answer (extractive, no LLM), like a user's.

    python -m ragsql.eval_refusal [--split dev|test] [--data DIR] [--limit N]
"""
import argparse
import json
import time

from . import db, xquad

WITHHELD_EVERY = 5


def tenant_of(lang):
    return f"xquad_{lang}_near"


def is_withheld(paragraph_id):
    a, p = (int(x) for x in paragraph_id.split("-"))
    return p == a % WITHHELD_EVERY


def split_of(paragraph_id):
    return "dev" if int(paragraph_id.split("-")[0]) % 2 == 0 else "test"


def ensure_corpus(conn, path, lang):
    """Ingest the paragraphs that are not withheld into tenant
    xquad_<lang>_near (once: de-duplicated by hash) and embed them."""
    tenant = tenant_of(lang)
    paragraphs, _ = xquad.load(path, lang)
    kept = [p for p in paragraphs if not is_withheld(p["id"])]
    have = conn.execute("SELECT count(*) FROM rag.documents WHERE tenant = %s", (tenant,)).fetchone()[0]
    if have < len(kept):
        for p in kept:
            db.ingest(conn, p["context"], title=p["title"], tenant=tenant, language=lang,
                      metadata={"paragraph_id": p["id"], "dataset": "xquad-near"})
    db.drain_queue(conn, desc=f"embed {tenant}")
    return tenant


def cases(path, lang, split):
    """[(question dict, unanswerable)] of `split`, in file order."""
    _, questions = xquad.load(path, lang)
    return [(q, is_withheld(q["paragraph_id"])) for q in questions if split_of(q["paragraph_id"]) == split]


def ask(conn, question, tenant, rerank=True):
    """rag.answer as a user calls it; returns (supported, total ms)."""
    a = conn.execute("SELECT rag.answer(%s, tenant => %s, rerank => %s)", (question, tenant, rerank)).fetchone()[0]
    a = a if isinstance(a, dict) else json.loads(a)
    return a["supported"], a["timings_ms"].get("total_ms")


def metrics(rows):
    """rows: [(unanswerable, refused)] -> dict of the figures."""
    tp = sum(1 for u, r in rows if u and r)
    fp = sum(1 for u, r in rows if not u and r)
    fn = sum(1 for u, r in rows if u and not r)
    answerable = [r for u, r in rows if not u]
    p = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return {"n": len(rows), "unanswerable": tp + fn, "answerable": len(answerable), "precision": p, "recall": rec,
            "f1": 2 * p * rec / (p + rec) if p + rec else 0.0,
            "answered": sum(1 for r in answerable if not r) / len(answerable) if answerable else 0.0}


def print_table(results):
    print(f"\n{'lang':4} {'split':5} {'n':>5} {'unans':>5} | {'ref P':>6} {'ref R':>6} {'ref F1':>6} | "
          f"{'answered':>8} | {'p50 ms':>6} {'p95 ms':>6}   target: F1 >= 0.85, answered >= 0.95")
    for (lang, split), (m, ms) in results.items():
        ms = sorted(x for x in ms if x is not None)
        p50 = ms[len(ms) // 2] if ms else 0.0
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))] if ms else 0.0
        print(f"{lang:4} {split:5} {m['n']:5d} {m['unanswerable']:5d} | {m['precision']:6.3f} {m['recall']:6.3f} "
              f"{m['f1']:6.3f} | {m['answered']:8.3f} | {p50:6.1f} {p95:6.1f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/xquad")
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--langs", default=",".join(xquad.LANGS))
    ap.add_argument("--limit", type=int, default=None, help="the first N questions per language (smoke runs)")
    ap.add_argument("--no-rerank", action="store_true", help="answer without the reranker")
    ap.add_argument("--out", help="write per-question outcomes (JSON lines) here")
    args = ap.parse_args(argv)
    path = xquad.data_dir(args.data)
    conn = db.connect()
    results, out = {}, []
    for lang in args.langs.split(","):
        tenant = ensure_corpus(conn, path, lang)
        rows, ms = [], []
        todo = cases(path, lang, args.split)[:args.limit]
        t = time.perf_counter()
        for q, unanswerable in todo:
            supported, total = ask(conn, q["question"], tenant, rerank=not args.no_rerank)
            rows.append((unanswerable, not supported))
            ms.append(total)
            out.append({"lang": lang, "id": q["id"], "question": q["question"], "unanswerable": unanswerable,
                        "refused": not supported})
        print(f"{lang} {args.split}: {len(todo)} questions in {time.perf_counter() - t:.0f} s")
        results[(lang, args.split)] = (metrics(rows), ms)
    print_table(results)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
