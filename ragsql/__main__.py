"""ragsql command line.

  python -m ragsql ingest PATH... [--tenant T] [--sync]   load files (.md .txt .html .pdf)
  python -m ragsql ask "question" [--tenant T]            rag.answer from the shell
  python -m ragsql search "query" [-k 10]                 rag.search from the shell
  python -m ragsql demo [PATH]                            install the demo sales domain, load the samples,
                                                          answer questions
"""
import argparse
import json
import sys
import textwrap

import psycopg

from . import ROOT, db, readers, sqlfiles

DEMO_QUESTIONS = [
    "¿Qué política de devoluciones aplica a mayoristas?",
    "How long is the warranty on refurbished products?",
    "¿Cuánto demora un envío al interior del país?",
    "¿Quién ganó el mundial de fútbol de 1986?",
]


DEMO_INTENTS = [
    "¿Cuáles fueron las ventas totales de la sucursal Abasto esta semana?",
    "¿y en Palermo?",
    "Top 3 productos del mes pasado",
    "¿Qué política de devoluciones aplica a mayoristas?",
]


def cmd_ingest(args, conn=None):
    conn = conn or db.connect()
    files = list(readers.iter_files(args.paths))
    if not files:
        print("no readable files found (.md .txt .html .pdf, or text, HTML or PDF without an extension)",
              file=sys.stderr)
        return 1
    from tqdm import tqdm
    new, dup, failed = 0, 0, []
    before = conn.execute("SELECT count(*) FROM rag.documents").fetchone()[0]
    for path in tqdm(files, desc="reading", unit="file", disable=not args.progress):
        try:
            title, text, meta = readers.read_file(path, getattr(args, "format", None))
            db.ingest(conn, text, title=title, metadata=meta, tenant=args.tenant, source=str(path))
        except (readers.UnsupportedFile, psycopg.Error, OSError) as exc:
            failed.append((path, str(exc).splitlines()[0]))
    after = conn.execute("SELECT count(*) FROM rag.documents").fetchone()[0]
    new = after - before
    dup = len(files) - len(failed) - new
    embedded = db.drain_queue(conn, progress=args.progress)
    print(f"{len(files)} files: {new} new documents, {dup} already loaded, {len(failed)} failed; "
          f"{embedded} chunks embedded")
    for path, err in failed:
        print(f"  failed: {path}: {err}", file=sys.stderr)
    return 1 if failed else 0


def print_answer(result, width=100):
    print(textwrap.fill(result["answer"], width=width, initial_indent="  ", subsequent_indent="  "))
    print(f"  model: {result['model']}   supported: {result['supported']}   "
          f"total: {result['timings_ms'].get('total_ms')} ms"
          + (f"   note: {result['error']}" if result.get("error") else "")
          + (f"   why: {result['refusal_reason']}" if result.get("refusal_reason") else ""))
    for s in result["sources"]:
        mark = "*" if s["cited"] else " "
        print(f"   {mark}[{s['n']}] {s.get('citation') or s['title']}  (chunk {s['chunk_id']}, score {s['score']:.4f})")


def cmd_ask(args, conn=None):
    conn = conn or db.connect()
    row = conn.execute("SELECT rag.answer(%s, tenant => %s)", (args.question, args.tenant)).fetchone()[0]
    if args.json:
        print(json.dumps(row, ensure_ascii=False, indent=2))
    else:
        print(f"Q: {args.question}")
        print_answer(row)
    return 0


def cmd_search(args, conn=None):
    conn = conn or db.connect()
    rows = conn.execute("SELECT chunk_id, title, vector_rank, text_rank, score, left(content, 90)"
                        " FROM rag.search(%s, k => %s, tenant => %s, mode => %s)",
                        (args.query, args.k, args.tenant, args.mode)).fetchall()
    for r in rows:
        print(f"{r[0]:>7} {r[4]:.4f} v={r[2]} t={r[3]}  {r[1]}: {r[5]}")
    return 0


def cmd_demo(args):
    conn = db.connect()
    print("== installing the demo sales domain (schema ventas and its intent functions)")
    sqlfiles.install_demo(conn)
    print("== loading the sample corpus")
    ns = argparse.Namespace(paths=[args.path], tenant="demo", progress=True)
    cmd_ingest(ns, conn)
    ms = conn.execute("SELECT rag.warm_up()").fetchone()[0]
    print(f"== model warm-up in this backend: {ms:.0f} ms")
    for q in DEMO_QUESTIONS:
        print()
        cmd_ask(argparse.Namespace(question=q, tenant="demo", json=False), conn)
    print()
    print("== questions to the sales data (rag_ask: parse -> validate -> execute)")
    conn.execute("SET rag.session_id = 'demo'")
    for q in DEMO_INTENTS:
        out = conn.execute("SELECT rag_ask(%s)", (q,)).fetchone()[0]
        print(f"Q: {q}")
        if out["path"] == "intent":
            print(f"  intent: {json.dumps(out['intent']['funcion'])} {json.dumps(out['parametros'], ensure_ascii=False)}"
                  f"  ({out['intent']['parser']})")
            result = out["result"]
            if isinstance(result, list):
                for row in result[:6]:
                    print("   ", json.dumps(row, ensure_ascii=False))
            else:
                print(f"  result: {result}")
        elif out["path"] == "rag_answer":
            print("  no sales function matches: answered from the documents")
            print(textwrap.fill(out["answer"]["answer"], 100, initial_indent="  ", subsequent_indent="  "))
        else:
            print(f"  rejected: {out['errors']}")
    print()
    print("== try it yourself:")
    print(f"   psql \"{db.database_url()}\" -c \"SELECT rag_answer('¿Qué política de devoluciones aplica a mayoristas?')\"")
    print(f"   psql \"{db.database_url()}\" -c \"SELECT rag_ask('¿Cuánto vendió cada sucursal el mes pasado?')\"")
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m ragsql", description="ragsql: RAG from SQL")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("ingest", help="load .md/.txt/.html/.pdf files or folders (files without an extension"
                                      " by their content)")
    s.add_argument("paths", nargs="+")
    s.add_argument("--tenant", default="default")
    s.add_argument("--format", choices=["md", "txt", "html", "pdf"], default=None,
                   help="read every file as this format, whatever its name")
    s.add_argument("--no-progress", dest="progress", action="store_false")
    s = sub.add_parser("ask", help="answer a question with citations")
    s.add_argument("question")
    s.add_argument("--tenant")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("search", help="hybrid search")
    s.add_argument("query")
    s.add_argument("-k", type=int, default=10)
    s.add_argument("--tenant")
    s.add_argument("--mode", default="hybrid", choices=["hybrid", "vector", "text"])
    s = sub.add_parser("demo", help="load the sample corpus and answer sample questions")
    s.add_argument("path", nargs="?", default=str(ROOT / "samples"))
    args = p.parse_args(argv)
    try:
        return {"ingest": cmd_ingest, "ask": cmd_ask, "search": cmd_search, "demo": cmd_demo}[args.cmd](args)
    except (psycopg.Error, FileNotFoundError) as exc:
        print(f"error: {exc}".rstrip(), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
