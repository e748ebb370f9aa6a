"""Measures the answer-support check (py_udfs/support.py) on on-topic and
off-topic questions through the product's own evaluation: the refusal rate
of rag.run_evaluation(..., generate => true, rerank => true), read from
rag.eval_run_metrics.

On-topic: the set xquad-<lang>, XQuAD questions asked against their own
corpus (tenant xquad_<lang>): they should be answered.
Off-topic: the set xquad-<lang>-offtopic, the same questions asked against
tenant 'demo', the bundled sample corpus (samples/, loaded with the loader),
which says nothing about them: they should get the "no information" answer.

There is no sweep: the support model is fitted by ragsql/train_support.py
and measured on near-topic questions by ragsql/eval_refusal.py; after a
change to py_udfs/support.py, rerun this (each run is a new connection, so the
database's PL/Python picks up the change). --limit takes the first N
questions of each set, in the file's order. A case takes about half a
second (retrieval, the extractive answer and its judges): the default, 300
questions in 4 runs, about 10 minutes; --limit 100, under 4.

    python -m ragsql.calibrate_support [--data DIR] [--limit N]
"""
import argparse

from . import ROOT, db, xquad
from .__main__ import cmd_ingest
from .eval import run

SAMPLES_TENANT = "demo"


def ensure_offtopic_set(conn, on_topic):
    """The set <on_topic>-offtopic: the cases of `on_topic`, in the same
    order, asked against the sample corpus, with nothing relevant and no
    reference answer."""
    name = f"{on_topic}-offtopic"
    set_id = conn.execute("INSERT INTO rag.eval_sets (name, description) VALUES (%s, %s)"
                          " ON CONFLICT (name) DO UPDATE SET description = excluded.description RETURNING id",
                          (name, f"the questions of {on_topic} asked against tenant '{SAMPLES_TENANT}' (the sample"
                                 " corpus), which says nothing about them: every one should be refused")).fetchone()[0]
    conn.execute("""INSERT INTO rag.eval_cases (set_id, external_id, question, language, tenant)
                    SELECT %s, c.external_id, c.question, c.language, %s
                      FROM rag.eval_cases c JOIN rag.eval_sets s ON s.id = c.set_id
                     WHERE s.name = %s
                     ORDER BY c.id
                    ON CONFLICT (set_id, external_id) DO NOTHING""", (set_id, SAMPLES_TENANT, on_topic))
    return name


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data/xquad")
    ap.add_argument("--limit", type=int, default=300, help="the first N questions of each set")
    args = ap.parse_args(argv)
    path = xquad.data_dir(args.data)
    conn = db.connect()
    cmd_ingest(argparse.Namespace(paths=[ROOT / "samples"], tenant=SAMPLES_TENANT, progress=False), conn)
    runs = {}
    for lang in xquad.LANGS:
        on_topic = xquad.ensure_set(conn, path, lang)
        off_topic = ensure_offtopic_set(conn, on_topic)
        for kind, name in (("on", on_topic), ("off", off_topic)):
            runs[(lang, kind)] = run(conn, name, f"support: {kind}-topic", generate=True, rerank=True,
                                     max_cases=args.limit)
    print("\nsupport check (py_udfs/support.py), rag.answer with rerank")
    for lang in xquad.LANGS:
        on = conn.execute("SELECT cases, 1 - refusal_rate, generator FROM rag.eval_run_metrics WHERE run_id = %s",
                          (runs[(lang, "on")],)).fetchone()
        off = conn.execute("SELECT cases, refusal_rate FROM rag.eval_run_metrics WHERE run_id = %s",
                           (runs[(lang, "off")],)).fetchone()
        print(f"{lang}: on-topic answered {on[1]:.3f} (n={on[0]}), off-topic refused {off[1]:.3f} (n={off[0]})"
              f"  [runs {runs[(lang, 'on')]}, {runs[(lang, 'off')]}; generator {on[2]}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
