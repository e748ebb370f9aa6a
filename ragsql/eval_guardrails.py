"""Prompt-injection detectors on the labelled set (data/guardrails/):
precision, recall and F1 of `injection_findings` on documents and
`question_findings` on questions, recall per kind, and the time per text.

    python -m ragsql.eval_guardrails [--split dev|test]

Misses (false negatives and false positives) are listed on dev only: test
is for reporting, and reading its misses would be tuning on it.
Pure Python, no database.
"""
import argparse
import json
import statistics
import time

from py_udfs.guardrails import injection_findings, question_findings

from . import ROOT

DATA = ROOT / "data" / "guardrails"
REPEAT = 5  # timing: best of a few runs per text, so one scheduler hiccup is not a p95


def load(name):
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def timed(detector, text):
    best = None
    for _ in range(REPEAT):
        t = time.perf_counter()
        found = detector(text)
        us = (time.perf_counter() - t) * 1e6
        best = us if best is None else min(best, us)
    return found, best


def evaluate(items, detector):
    tp = fp = fn = tn = 0
    times, misses, per_kind = [], [], {}
    for it in items:
        found, us = timed(detector, it["text"])
        times.append(us)
        flagged = bool(found)
        if it["injection"]:
            hit = per_kind.setdefault(it["kind"], [0, 0])
            hit[1] += 1
            hit[0] += flagged
        if flagged and it["injection"]:
            tp += 1
        elif flagged:
            fp += 1
            misses.append(("false positive", it, found))
        elif it["injection"]:
            fn += 1
            misses.append(("missed", it, found))
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    times.sort()
    return {"items": len(items), "positives": tp + fn, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": precision, "recall": recall, "f1": f1, "per_kind": per_kind,
            "median_us": statistics.median(times), "p95_us": times[max(0, int(round(0.95 * len(times))) - 1)],
            "misses": misses}


def report(name, r, show_misses):
    kinds = ", ".join(f"{k} {h}/{n}" for k, (h, n) in sorted(r["per_kind"].items()))
    print(f"{name:10} {r['items']:5} {r['positives']:5} {r['precision']:9.3f} {r['recall']:7.3f} {r['f1']:6.3f}"
          f" {r['median_us']:9.0f} {r['p95_us']:7.0f}   recall by kind: {kinds}")
    if show_misses:
        for what, it, found in r["misses"]:
            print(f"    {what:14} {it['id']} [{it['language']}] {it['kind'] or ''} {it.get('note', '')}")
            print(f"        {it['text'][:160]!r}")
            for f in found:
                print(f"        -> {f['kind']}: {f['excerpt'][:120]!r}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    args = ap.parse_args(argv)
    docs = evaluate(load(f"documents_{args.split}.jsonl"), injection_findings)
    questions = evaluate(load(f"questions_{args.split}.jsonl"), question_findings)
    print(f"prompt-injection detectors, split {args.split}")
    print(f"{'set':10} {'items':>5} {'pos':>5} {'precision':>9} {'recall':>7} {'F1':>6}"
          f" {'median µs':>9} {'p95 µs':>7}")
    show = args.split == "dev"
    report("documents", docs, show)
    report("questions", questions, show)
    if not show:
        print("(misses are listed on dev only)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
