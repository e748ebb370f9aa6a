"""Real-documents evaluation: rag.answer over documents every Debian machine
of this kind has (/usr/share/common-licenses, HTML and Markdown docs of the
base packages) and the project's samples, with hand-written questions in
Spanish and English, a third of them on-topic but unanswerable
(data/real_docs/README.md says how the set was made).

    python -m ragsql.eval_real [--split dev|test|all] [--llm] [--json FILE] [--reload]
    python -m ragsql.eval_real --check      # the set against its sources; no database

Scoring per question: answerable -> "correct" when supported and a gold
phrase is in the answer, "wrong_supported" when supported without one,
"wrong_refusal" when refused; unanswerable -> "correct_refusal" when not
supported, "wrong_supported" when supported. "source hit": one of the
question's source files is among the returned sources.
"""
import argparse
import collections
import json
import math
import os
import re
import sys
import time
import unicodedata
from pathlib import Path

from . import ROOT

DATA = ROOT / "data" / "real_docs"
QUESTIONS = DATA / "questions.jsonl"
CORPUS = DATA / "corpus.txt"
TENANT = "real_docs"


# ---------------------------------------------------------------- the set

def load_questions(path=QUESTIONS, split="all"):
    items = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [q for q in items if split == "all" or q["split"] == split]


def load_corpus(path=CORPUS):
    return [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def file_path(entry):
    """A corpus entry as a file: absolute paths as they are, the rest (samples/...) from the repo root."""
    p = Path(entry)
    return p if p.is_absolute() else ROOT / p


def norm(text):
    """Case-, accent- and spacing-insensitive form used for gold matching."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.casefold().split())


def contains_phrase(text, phrase):
    """`phrase` occurs in `text` (normalised), not glued to a letter or digit on either side:
    gold "30" matches "30 days" but not "300"."""
    p = norm(phrase)
    if not p:
        return False
    return re.search(r"(?<![0-9a-z])" + re.escape(p) + r"(?![0-9a-z])", norm(text)) is not None


def gold_hit(answer, gold):
    return next((g for g in gold if contains_phrase(answer, g)), None)


def source_text(entry):
    """The text a reader sees: the product's reader where it takes the file, else the raw text."""
    from . import readers
    try:
        return readers.read_file(file_path(entry))[1]
    except readers.UnsupportedFile:
        return file_path(entry).read_text(encoding="utf-8", errors="replace")


def check(questions, corpus):
    """Problems with the set: missing files, sources outside the corpus, a first gold
    phrase that is not verbatim in any cited source. Returns a list of strings."""
    problems = []
    for entry in corpus:
        if not file_path(entry).is_file():
            problems.append(f"corpus: {entry}: no such file")
    texts = {e: source_text(e) for e in corpus if file_path(e).is_file()}
    ids = collections.Counter(q["id"] for q in questions)
    problems += [f"{i}: duplicate id" for i, n in ids.items() if n > 1]
    for q in questions:
        qid = q["id"]
        if q["language"] not in ("es", "en") or q["split"] not in ("dev", "test"):
            problems.append(f"{qid}: bad language or split")
        if not q["sources"]:
            problems.append(f"{qid}: no sources")
        for s in q["sources"]:
            if s not in texts:
                problems.append(f"{qid}: source {s} is not in the corpus")
        if q["answerable"] != bool(q["gold"]):
            problems.append(f"{qid}: answerable={q['answerable']} but gold={q['gold']}")
        if q["gold"] and not any(contains_phrase(texts.get(s, ""), q["gold"][0]) for s in q["sources"]):
            problems.append(f"{qid}: first gold phrase {q['gold'][0]!r} is in none of {q['sources']}")
    return problems


def describe(questions):
    c = collections.Counter((q["split"], q["language"], q["answerable"]) for q in questions)
    print(f"{'split':6} {'lang':4} {'answerable':>10} {'unanswerable':>12}")
    for split in ("dev", "test"):
        for lang in ("es", "en"):
            print(f"{split:6} {lang:4} {c[(split, lang, True)]:10d} {c[(split, lang, False)]:12d}")
    n = len(questions)
    if n:
        print(f"total {n}: unanswerable {sum(not q['answerable'] for q in questions) / n:.0%}, "
              f"Spanish {sum(q['language'] == 'es' for q in questions) / n:.0%}")


# ---------------------------------------------------------------- loading
def ensure_loaded(conn, corpus, tenant=TENANT, reload=False, progress=True):
    """Loads the corpus into `tenant` with the CLI's loader (ragsql ingest);
    files it does not take (the licences have no extension) go in as plain
    text through rag.ingest_document. A document's source is its file's
    absolute path (as the loader stores it). Returns {corpus entry: document_id}."""
    from . import db
    from .__main__ import cmd_ingest
    if reload:
        conn.execute("SELECT rag.delete_document(id) FROM rag.documents WHERE tenant = %s", (tenant,))
    have = loaded(conn, tenant, corpus)
    missing = [e for e in corpus if e not in have]
    if missing:
        print(f"loading {len(missing)} documents into tenant {tenant!r} ...")
        cmd_ingest(argparse.Namespace(paths=[file_path(e) for e in missing], tenant=tenant, progress=progress), conn)
        have = loaded(conn, tenant, corpus)
        fallback = [e for e in missing if e not in have]
        if fallback:
            print(f"the loader took no file without a known extension: {len(fallback)} loaded as plain text "
                  f"through rag.ingest_document")
            for e in fallback:
                text = file_path(e).read_text(encoding="utf-8", errors="replace")
                db.ingest(conn, text, title=Path(e).name, metadata={"file": Path(e).name, "format": "text"},
                          tenant=tenant, source=str(file_path(e).resolve()))
            db.drain_queue(conn, progress=progress)
        have = loaded(conn, tenant, corpus)
    if db.queued(conn):
        db.drain_queue(conn, progress=progress)
    absent = [e for e in corpus if e not in have]
    if absent:
        raise SystemExit(f"not loaded: {absent}")
    return have


def loaded(conn, tenant, corpus):
    """{corpus entry: document_id} for the entries loaded into `tenant`: a
    source is the file's absolute path (an earlier release stored the entry
    itself)."""
    by_source = {src: i for i, src in conn.execute(
        "SELECT id, source FROM rag.documents WHERE tenant = %s AND source IS NOT NULL AND NOT pending",
        (tenant,)).fetchall()}
    out = {}
    for e in corpus:
        i = by_source.get(str(file_path(e).resolve()), by_source.get(e))
        if i is not None:
            out[e] = i
    return out


# ---------------------------------------------------------------- scoring

def score(q, result, doc_source):
    supported = bool(result.get("supported"))
    answer = result.get("answer") or ""
    returned = [doc_source.get(s.get("document_id")) for s in result.get("sources") or []]
    cited = [doc_source.get(s.get("document_id")) for s in result.get("sources") or [] if s.get("cited")]
    if q["answerable"]:
        hit = gold_hit(answer, q["gold"]) if supported else None
        outcome = "wrong_refusal" if not supported else ("correct" if hit else "wrong_supported")
    else:
        hit = None
        outcome = "wrong_supported" if supported else "correct_refusal"
    return {"id": q["id"], "split": q["split"], "language": q["language"], "answerable": q["answerable"],
            "question": q["question"], "gold": q["gold"], "expected_sources": q["sources"],
            "outcome": outcome, "gold_matched": hit, "supported": supported, "answer": answer,
            "returned_sources": returned, "cited_sources": cited,
            "source_hit": any(s in returned for s in q["sources"]),
            "model": result.get("model"), "error": result.get("error"),
            "guardrail": result.get("guardrail"), "timings_ms": result.get("timings_ms")}


def pct(values, p):
    if not values:
        return None
    v = sorted(values)  # nearest rank
    return v[min(len(v) - 1, max(0, math.ceil(p / 100 * len(v)) - 1))]


def summarise(rows):
    n = len(rows)
    ans = [r for r in rows if r["answerable"]]
    c = collections.Counter(r["outcome"] for r in rows)
    correct = sum(1 for r in ans if r["outcome"] == "correct")
    refusals = sum(1 for r in rows if not r["answerable"] and r["outcome"] == "correct_refusal")
    ms = [r["elapsed_ms"] for r in rows]
    return {"n": n, "answerable": len(ans), "unanswerable": n - len(ans),
            "correct": correct, "correct_refusals": refusals,
            "score": (correct + refusals) / n if n else None,
            "wrong_supported": c["wrong_supported"], "wrong_supported_rate": c["wrong_supported"] / n if n else None,
            "wrong_refusals": c["wrong_refusal"],
            "source_hit_rate": sum(r["source_hit"] for r in ans) / len(ans) if ans else None,
            "p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95)}


def print_table(rows):
    head = (f"{'split':5} {'lang':4} {'n':>3} {'ans':>3} {'unans':>5} | {'correct':>7} {'c.refus':>7} {'score':>6} "
            f"{'wrong+sup':>9} {'w.refus':>7} {'src hit':>7} | {'p50 ms':>7} {'p95 ms':>7}")
    print(head)
    print("-" * len(head))
    groups = []
    for split in ("dev", "test", "all"):
        for lang in ("es", "en", "all"):
            sel = [r for r in rows if split in ("all", r["split"]) and lang in ("all", r["language"])]
            if sel and not (split == "all" and len({r["split"] for r in rows}) == 1):
                groups.append((split, lang, summarise(sel)))
    for split, lang, s in groups:
        f = lambda v, w=6: f"{v:{w}.2f}" if v is not None else " " * (w - 1) + "-"  # noqa: E731
        print(f"{split:5} {lang:4} {s['n']:3d} {s['answerable']:3d} {s['unanswerable']:5d} | "
              f"{s['correct']:7d} {s['correct_refusals']:7d} {f(s['score'])} "
              f"{f(s['wrong_supported_rate'], 9)} {s['wrong_refusals']:7d} {f(s['source_hit_rate'], 7)} | "
              f"{s['p50_ms']:7.0f} {s['p95_ms']:7.0f}")
    print("score = (correct answers + correct refusals) / n; wrong+sup = wrong-but-supported / n; "
          "src hit over answerable questions. Target: score >= 0.85, wrong+sup <= 0.05.")
    return groups


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    ap.add_argument("--tenant", default=TENANT)
    ap.add_argument("--llm", action="store_true", help="answer with the local LLM (`make llm`) when it runs")
    ap.add_argument("--llm-url", default=os.environ.get("RAGSQL_LLM_BASE_URL") or None)
    ap.add_argument("--llm-model", default=os.environ.get("RAGSQL_LLM_MODEL", "local-qwen"))
    ap.add_argument("--json", metavar="FILE", help="write per-question results and the summary here")
    ap.add_argument("--reload", action="store_true", help="delete the tenant's documents and load the corpus again")
    ap.add_argument("--check", action="store_true", help="check the set against its sources (no database)")
    ap.add_argument("--limit", type=int, help="first N questions only (smoke runs)")
    ap.add_argument("--no-progress", dest="progress", action="store_false")
    args = ap.parse_args(argv)

    questions = load_questions(split=args.split)
    corpus = load_corpus()
    if args.check:
        describe(questions)
        problems = check(questions, corpus)
        for p in problems:
            print("problem:", p)
        print(f"{len(corpus)} documents, {len(questions)} questions: "
              f"{'OK' if not problems else f'{len(problems)} problems'}")
        return 1 if problems else 0
    if args.limit:
        questions = questions[:args.limit]

    from . import db
    conn = db.connect()
    have = ensure_loaded(conn, corpus, args.tenant, reload=args.reload, progress=args.progress)
    doc_source = {i: s for s, i in have.items()}
    if args.llm:
        url = args.llm_url or db.local_llm_url()
        if not url:
            print("--llm: no local LLM is running (start it with `make llm`, or set RAGSQL_LLM_BASE_URL)",
                  file=sys.stderr)
            return 2
        db.use_llm(conn, url, args.llm_model, 120_000)
    rows = []
    for i, q in enumerate(questions, 1):
        t = time.perf_counter()
        result = conn.execute("SELECT rag.answer(%s, tenant => %s)", (q["question"], args.tenant)).fetchone()[0]
        row = score(q, result, doc_source)
        row["elapsed_ms"] = (time.perf_counter() - t) * 1000
        rows.append(row)
        if args.progress:
            print(f"\r{i}/{len(questions)} answered", end="", file=sys.stderr, flush=True)
    if args.progress:
        print(file=sys.stderr)
    mode = "llm" if args.llm else "extractive/default"
    print(f"\nreal-documents evaluation: {len(rows)} questions, tenant {args.tenant}, generator: {mode}, "
          f"model(s): {', '.join(sorted({str(r['model']) for r in rows}))}")
    groups = print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "split": args.split, "generator": mode,
            "summary": [{"split": s, "language": lang, **m} for s, lang, m in groups],
            "results": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"per-question results: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
