"""make eval-pii: py_udfs.pii.find_pii on the labelled PII set (data/pii/).

Per type: precision, recall and F1 with exact span match (same type, start
and end) and with overlap match (same type, spans intersect; each side
counted once), the counts, and the milliseconds per text (median, p95; the
first call, which loads the engines, is timed apart).

    python -m ragsql.eval_pii [--split dev|test] [--given-language] [--errors]

By default the language is left for find_pii to guess, as an analyst's call
would; --given-language passes the item's own. The test split is measured,
not tuned on: --errors is for dev (see data/pii/README.md).
"""
import argparse
import json
import statistics
import time

from py_udfs import pii

from . import ROOT

DATA = ROOT / "data" / "pii"
STRUCTURED = tuple(t for t in pii.TYPES if t != "PERSON")


def load(split):
    path = DATA / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def predict(items, given_language):
    warm = items[0]
    t = time.perf_counter()
    pii.find_pii(warm["text"], warm["language"] if given_language else None)
    first_ms = (time.perf_counter() - t) * 1000
    preds, times = [], []
    for it in items:
        t = time.perf_counter()
        preds.append(pii.find_pii(it["text"], it["language"] if given_language else None))
        times.append((time.perf_counter() - t) * 1000)
    return preds, times, first_ms


def _overlaps(a, b):
    return a["start"] < b["end"] and b["start"] < a["end"]


def count(items, preds, types):
    """{type: {exact_tp, overlap_tp_pred, overlap_tp_gold, n_pred, n_gold}}."""
    stats = {t: dict.fromkeys(("exact_tp", "overlap_pred", "overlap_gold", "n_pred", "n_gold"), 0) for t in types}
    for it, pred in zip(items, preds):
        for t in types:
            gold = [s for s in it["spans"] if s["type"] == t]
            got = [s for s in pred if s["type"] == t]
            gold_keys = {(s["start"], s["end"]) for s in gold}
            st = stats[t]
            st["n_gold"] += len(gold)
            st["n_pred"] += len(got)
            st["exact_tp"] += sum((s["start"], s["end"]) in gold_keys for s in got)
            st["overlap_pred"] += sum(any(_overlaps(s, g) for g in gold) for s in got)
            st["overlap_gold"] += sum(any(_overlaps(g, s) for s in got) for g in gold)
    return stats


def scores(st):
    def prf(tp_pred, tp_gold):
        p = tp_pred / st["n_pred"] if st["n_pred"] else 1.0
        r = tp_gold / st["n_gold"] if st["n_gold"] else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)
    return {"exact": prf(st["exact_tp"], st["exact_tp"]), "overlap": prf(st["overlap_pred"], st["overlap_gold"])}


def merged(stats, types):
    return {k: sum(stats[t][k] for t in types) for k in next(iter(stats.values()))}


def report(stats, title):
    print(f"\n{title}")
    print(f"{'type':<14}{'gold':>6}{'pred':>6}   {'P':>6}{'R':>7}{'F1':>7}   {'P~':>6}{'R~':>7}{'F1~':>7}")
    rows = [(t, stats[t]) for t in stats]
    rows.append(("structured", merged(stats, [t for t in stats if t in STRUCTURED])))
    for name, st in rows:
        sc = scores(st)
        ex, ov = sc["exact"], sc["overlap"]
        print(f"{name:<14}{st['n_gold']:>6}{st['n_pred']:>6}   "
              f"{ex[0]:>6.3f}{ex[1]:>7.3f}{ex[2]:>7.3f}   {ov[0]:>6.3f}{ov[1]:>7.3f}{ov[2]:>7.3f}")
    print("(P R F1: exact span; P~ R~ F1~: overlapping span)")


def show_errors(items, preds):
    for it, pred in zip(items, preds):
        gold = {(s["type"], s["start"], s["end"]) for s in it["spans"]}
        got = {(s["type"], s["start"], s["end"]) for s in pred}
        if gold != got:
            print(f"\n{it['id']}: {it['text']!r}")
            for t, s, e in sorted(gold - got, key=lambda x: x[1]):
                print(f"   missed {t:<12}{it['text'][s:e]!r}")
            for t, s, e in sorted(got - gold, key=lambda x: x[1]):
                print(f"   extra  {t:<12}{it['text'][s:e]!r}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("dev", "test"), default="test")
    ap.add_argument("--given-language", action="store_true", help="pass each item's language to find_pii")
    ap.add_argument("--errors", action="store_true", help="print each item whose spans differ")
    args = ap.parse_args(argv)
    items = load(args.split)
    preds, times, first_ms = predict(items, args.given_language)
    n_es = sum(it["language"] == "es" for it in items)
    print(f"split {args.split}: {len(items)} texts ({n_es} Spanish), "
          f"language {'given' if args.given_language else 'guessed'}; "
          f"NER: {pii.ner_model_name('en')} (en), {pii.ner_model_name('es')} (es)")
    report(count(items, preds, pii.TYPES), "all texts")
    for lang in ("es", "en"):
        sub = [(it, p) for it, p in zip(items, preds) if it["language"] == lang]
        report(count([it for it, _ in sub], [p for _, p in sub], pii.TYPES), f"{lang} texts")
    times.sort()
    print(f"\nms per text: median {statistics.median(times):.1f}, p95 {times[int(0.95 * len(times)) - 1]:.1f}, "
          f"mean length {statistics.mean(len(it['text']) for it in items):.0f} chars; "
          f"first call (loads engines) {first_ms:.0f} ms")
    if args.errors:
        show_errors(items, preds)


if __name__ == "__main__":
    main()
