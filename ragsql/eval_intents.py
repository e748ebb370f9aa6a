"""make eval-intents: the golden set of questions (data/golden_intents.jsonl)
through rag.parse_intent, rag.validate_intent and rag.execute_intent.

- accuracy: function and every parameter exactly as expected (in-scope questions);
- coverage: in-scope questions parsed into a valid, executable intent;
- rejection: out-of-scope questions answered with "funcion": null;
- latency: parse + validate + execute per question (median, warm backend).

    python -m ragsql.eval_intents [--llm-url URL] [--verbose]

The LLM parser is measured too when an endpoint is given or `make llm` runs.

    python -m ragsql.eval_intents --set new [--split dev|test] [--verbose]

runs the new-phrasings set (data/intents_new_phrasings.jsonl) instead: each
question names the outcome expected (an intent, a clarification of an
unknown catalog value, a question for a missing parameter, a refused
request to change data, out of scope). "exact" is the share of intents and
clarifications that match; "rejection" the share of destructive and
out-of-scope questions that were not turned into a read.
"""
import argparse
import json
import os
import statistics
import time

from . import ROOT, db

GOLDEN = ROOT / "data" / "golden_intents.jsonl"
NEW_PHRASINGS = ROOT / "data" / "intents_new_phrasings.jsonl"


def load(path=GOLDEN):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def outcome(intent, writers):
    """The kind of answer a parsed intent is: intent, clarify_value,
    missing_param, clarify_problem, destructive or out_of_scope. `writers`: the registered
    functions that change data."""
    ask = intent.get("aclaracion") or {}
    if intent.get("rechazo") == "destructiva" or intent.get("funcion") in writers:
        return "destructive"
    if ask.get("tipo") == "valor_desconocido":
        return "clarify_value"
    if ask.get("tipo") == "falta_parametro":
        return "missing_param"
    if ask.get("tipo") == "problema":
        return "clarify_problem"
    return "intent" if intent.get("funcion") else "out_of_scope"


def _fold(s):
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFKD", str(s).casefold()) if not unicodedata.combining(c))


def score_case(c, intent, writers):
    got = outcome(intent, writers)
    if got != c["expect"]:
        return False
    ask = intent.get("aclaracion") or {}
    if got == "intent":
        return intent["funcion"] == c["funcion"] and intent["parametros"] == c["parametros"]
    if got == "clarify_value":
        return ask.get("parametro") == c["parametro"] and _fold(ask.get("valor")) == _fold(c["valor"])
    if got == "missing_param":
        return intent["funcion"] == c["funcion"] and sorted(ask.get("faltan", [])) == sorted(c["faltan"])
    return True


def run_new(conn, cases, verbose=False, parser="rules"):
    """The new-phrasings set: exact (intents, clarifications, missing
    parameters) and rejection (destructive, out of scope)."""
    writers = {r[0] for r in conn.execute("SELECT name FROM rag.intent_functions WHERE NOT read_only")}
    conn.execute("SELECT rag.parse_intent('warm up', '2024-07-24', parser => 'rules')")
    asked = {"intent", "clarify_value", "missing_param"}
    hits = {k: [0, 0] for k in ("exact", "rejection")}
    by_kind, misses = {}, []
    for c in cases:
        intent = conn.execute("SELECT rag.parse_intent(%s, %s, parser => %s)", (c["q"], c["ref"], parser)).fetchone()[0]
        good = score_case(c, intent, writers)
        key = "exact" if c["expect"] in asked else "rejection"
        hits[key][0] += good
        hits[key][1] += 1
        k = by_kind.setdefault(c["expect"], [0, 0])
        k[0] += good
        k[1] += 1
        if not good:
            misses.append({"q": c["q"], "ref": c["ref"], "expect": c["expect"], "got": outcome(intent, writers),
                           "intent": {x: intent.get(x) for x in ("funcion", "parametros", "aclaracion", "rechazo")}})
    if verbose:
        for m in misses:
            print(f"  MISS [{m['expect']} -> {m['got']}] {m['q']!r} ({m['ref']})\n     got {m['intent']}")
    return {"cases": len(cases), "exact": hits["exact"][0] / max(1, hits["exact"][1]),
            "rejection": hits["rejection"][0] / max(1, hits["rejection"][1]),
            "by_kind": {k: f"{a}/{b}" for k, (a, b) in by_kind.items()}, "misses": misses}


def run(conn, cases, verbose=False, parser="rules"):
    exact = covered = rejected = 0
    n_in = sum(1 for c in cases if c["funcion"])
    times, misses = [], []
    conn.execute("SELECT rag.parse_intent('warm up', '2024-07-24', parser => 'rules')")
    for c in cases:
        t = time.perf_counter()
        intent = conn.execute("SELECT rag.parse_intent(%s, %s, parser => %s)",
                              (c["q"], c["ref"], parser)).fetchone()[0]
        ok_exec = False
        if intent["funcion"]:
            errors = conn.execute("SELECT rag.validate_intent(%s::jsonb)", (json.dumps(intent),)).fetchone()[0]
            if not errors:
                conn.execute("SELECT rag.execute_intent(%s::jsonb)", (json.dumps(intent),)).fetchone()
                ok_exec = True
        times.append((time.perf_counter() - t) * 1000)
        if c["funcion"]:
            good = intent["funcion"] == c["funcion"] and intent["parametros"] == c["parametros"]
            exact += good
            covered += ok_exec
        else:
            good = intent["funcion"] is None
            rejected += good
        if not good:
            misses.append((c, intent))
    n_out = len(cases) - n_in
    res = {"cases": len(cases), "in_scope": n_in, "out_of_scope": n_out,
           "accuracy": exact / n_in, "coverage": covered / n_in, "rejection": rejected / n_out,
           "median_ms": statistics.median(times), "p95_ms": sorted(times)[int(0.95 * len(times)) - 1]}
    res["misses"] = [{"q": c["q"], "ref": c["ref"], "want": {"funcion": c["funcion"], "parametros": c["parametros"]},
                      "got": {"funcion": intent["funcion"], "parametros": intent["parametros"]}}
                     for c, intent in misses]
    if verbose:
        for c, intent in misses:
            print(f"  MISS {c['q']!r} ({c['ref']})\n     want {c['funcion']} {c['parametros']}\n"
                  f"     got  {intent['funcion']} {intent['parametros']}")
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--llm-url", default=os.environ.get("RAGSQL_LLM_BASE_URL") or None)
    ap.add_argument("--llm-model", default=os.environ.get("RAGSQL_LLM_MODEL", "local-qwen"))
    ap.add_argument("--set", choices=["golden", "new"], default="golden")
    ap.add_argument("--split", choices=["dev", "test", "all"], default="all")
    args = ap.parse_args(argv)
    conn = db.connect()
    if args.set == "new":
        cases = [c for c in load(NEW_PHRASINGS) if args.split in ("all", c["split"])]
        r = run_new(conn, cases, args.verbose)
        print(f"new phrasings ({args.split}): {r['cases']} questions  exact {r['exact']:.3f}  "
              f"rejection {r['rejection']:.3f}  by kind {r['by_kind']}")
        return 0
    cases = load()
    results = {"rules": run(conn, cases, args.verbose, "rules")}
    llm_url = args.llm_url or db.local_llm_url()
    if llm_url:
        db.use_llm(conn, llm_url, args.llm_model, 60_000)
        results["llm"] = run(conn, cases, args.verbose, "llm")
    else:
        print("no LLM endpoint (make llm, or RAGSQL_LLM_BASE_URL): rules parser only")
    for name, r in results.items():
        conn.execute("INSERT INTO rag.intent_eval_runs (parser, cases, accuracy, coverage, rejection, median_ms, misses)"
                     " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                     (name, r["cases"], r["accuracy"], r["coverage"], r["rejection"], r["median_ms"],
                      json.dumps(r["misses"], ensure_ascii=False)))
    r = results["rules"]
    print(f"\nintent golden set: {r['cases']} questions ({r['in_scope']} in scope, {r['out_of_scope']} out of scope)")
    print(f"{'parser':8} {'accuracy':>9} {'coverage':>9} {'rejection':>9} {'median ms':>10} {'p95 ms':>8}")
    for name, r in results.items():
        print(f"{name:8} {r['accuracy']:9.3f} {r['coverage']:9.3f} {r['rejection']:9.3f} "
              f"{r['median_ms']:10.1f} {r['p95_ms']:8.1f}")
    print("stored: SELECT * FROM rag.intent_eval_runs ORDER BY run_at DESC;")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
