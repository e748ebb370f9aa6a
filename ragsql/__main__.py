"""ragsql command line (the `ragsql` command once the project is installed
in the venv; `python -m ragsql` from the checkout works too).

  ragsql ingest PATH... [--tenant T] [--workers N]      load files (.md .txt .html .pdf); a changed file
                                                       replaces its earlier version once embedded
  ragsql sync DIR [--tenant T] [--dry-run] [--workers N]
                                                       make the tenant's documents under DIR match DIR:
                                                       load new and changed files, remove the gone ones
  ragsql ask "question" [--tenant T]                   rag.answer from the shell
  ragsql search "query" [-k 10]                        rag.search from the shell
  ragsql demo [PATH]                                   install the demo sales domain, load the samples,
                                                       answer questions
  ragsql cron install|remove|status                    the scheduled drift snapshot and nightly
                                                       evaluation (pg_cron)
  ragsql mcp [--transport stdio|http] [--port N]       the registry's functions, search and answer as
                                                       MCP tools, acting as DATABASE_URL's role

DATABASE_URL names the database. A document's source is its file's
absolute path: loading the same file from another directory is the same
source.
"""
import argparse
import hashlib
import json
import os
import sys
import textwrap
from pathlib import Path

import psycopg

from . import ROOT, database_url, db, readers, sqlfiles

# SQLSTATEs of a file's content that rag.ingest_document refuses: the file
# is skipped (with the reason), not failed.
_CONTENT_REFUSED = {"22023": "no text to index", "54000": "too large"}


def _source(path):
    return str(Path(path).resolve())


def _read(path, fmt):
    """(title, text, meta) or raises readers.UnsupportedFile / OSError / a
    reader's own error."""
    title, text, meta = readers.read_file(path, fmt)
    if not text.strip():
        raise readers.UnsupportedFile("empty: no text once read")
    return title, text, meta


def load_files(conn, paths, tenant, fmt=None, progress=True, dry_run=False):
    """Loads the files under `paths` (upsert by source). Returns a report:
    lists of paths per outcome (new, replaced, unchanged) and of (path,
    reason) for skipped and failed, and `seen`: the sources read (loaded,
    unchanged or failed, so a sync keeps their documents). Files found in a
    folder that cannot be loaded are skipped; files named explicitly that
    cannot be loaded failed. With dry_run nothing is written: each file is
    classified by its content hash."""
    files, skipped = readers.scan(paths)
    named = {Path(p) for p in paths if not Path(p).is_dir()}
    rep = {"new": [], "replaced": [], "unchanged": [], "skipped": list(skipped), "failed": [], "seen": set()}
    if not files:
        return rep
    from tqdm import tqdm
    last_id = conn.execute("SELECT coalesce(max(id), 0) FROM rag.documents").fetchone()[0]
    for path in tqdm(files, desc="reading", unit="file", disable=not progress):
        source = _source(path)
        try:
            title, text, meta = _read(path, fmt)
            had = conn.execute("SELECT array_agg(content_hash) FROM rag.documents WHERE tenant = %s AND source = %s",
                               (tenant, source)).fetchone()[0] or []
            if dry_run:
                digest = hashlib.sha256(text.encode("utf-8")).digest()
                known = digest in [bytes(h) for h in had] or conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM rag.documents WHERE tenant = %s AND content_hash = %s)",
                    (tenant, digest)).fetchone()[0]
                outcome = "unchanged" if known else "replaced" if had else "new"
            else:
                doc = db.ingest(conn, text, title=title, metadata=meta, tenant=tenant, source=source)
                outcome = "unchanged" if doc <= last_id else "replaced" if had else "new"
            rep[outcome].append(path)
            rep["seen"].add(source)
        except psycopg.Error as exc:
            reason = str(exc).splitlines()[0]
            refused = exc.sqlstate in _CONTENT_REFUSED
            rep["skipped" if refused and path not in named else "failed"].append((path, reason))
            if not refused:
                rep["seen"].add(source)
        except (readers.UnsupportedFile, OSError) as exc:
            rep["skipped" if path not in named else "failed"].append((path, str(exc).splitlines()[0]))
        except Exception as exc:  # noqa: BLE001 -- a reader's own error (a damaged PDF): report, go on
            rep["failed"].append((path, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"))
            rep["seen"].add(source)
    return rep


def gone_sources(conn, folder, tenant, seen):
    """The tenant's sources under `folder` not among `seen`: their file is
    gone, or no longer loadable (empty, unsupported)."""
    prefix = _source(folder).rstrip("/") + "/"
    rows = conn.execute("SELECT DISTINCT source FROM rag.documents WHERE tenant = %s AND starts_with(source, %s)"
                        " ORDER BY source", (tenant, prefix)).fetchall()
    return [r[0] for r in rows if r[0] not in seen]


def print_summary(rep, embedded=None, removed=None, dry_run=False):
    n = sum(len(rep[k]) for k in ("new", "replaced", "unchanged", "skipped", "failed"))
    would = "would be " if dry_run else ""
    parts = [f"{len(rep['new'])} {would}new", f"{len(rep['replaced'])} {would}replaced",
             f"{len(rep['unchanged'])} unchanged", f"{len(rep['skipped'])} skipped", f"{len(rep['failed'])} failed"]
    if removed is not None:
        parts.append(f"{len(removed)} {would}removed")
    print(f"{n} files: " + ", ".join(parts) + ("" if embedded is None else f"; {embedded} chunks embedded"))
    for path in rep["replaced"]:
        print(f"  {'would replace' if dry_run else 'replaced'}: {path}")
    for path, why in rep["skipped"]:
        print(f"  skipped: {path}: {why}")
    for source in removed or []:
        print(f"  {'would remove' if dry_run else 'removed'}: {source}")
    for path, err in rep["failed"]:
        print(f"  failed: {path}: {err}", file=sys.stderr)


def cmd_ingest(args, conn=None):
    conn = conn or db.connect()
    progress = getattr(args, "progress", True)
    rep = load_files(conn, args.paths, args.tenant, getattr(args, "format", None), progress)
    if not any(rep[k] for k in ("new", "replaced", "unchanged", "failed")):
        print_summary(rep)
        print("no readable files found (.md .txt .html .pdf, or text, HTML or PDF without an extension)",
              file=sys.stderr)
        return 1
    embedded = db.drain_queue(conn, progress=progress, workers=getattr(args, "workers", 1))
    print_summary(rep, embedded)
    return 1 if rep["failed"] else 0


def cmd_sync(args, conn=None):
    conn = conn or db.connect()
    folder = Path(args.dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a directory (sync takes one folder)")
    progress = getattr(args, "progress", True)
    rep = load_files(conn, [folder], args.tenant, getattr(args, "format", None), progress, dry_run=args.dry_run)
    gone = gone_sources(conn, folder, args.tenant, rep["seen"])
    if args.dry_run:
        print_summary(rep, removed=gone, dry_run=True)
        print("dry run: nothing was changed")
        return 1 if rep["failed"] else 0
    removed = [s for s in gone if conn.execute("SELECT rag.delete_source(%s, %s)", (s, args.tenant)).fetchone()[0]]
    embedded = db.drain_queue(conn, progress=progress, workers=args.workers)
    print_summary(rep, embedded, removed)
    return 1 if rep["failed"] else 0


def print_answer(result, width=100, show_model=True):
    """The answer as psql's rag.answer_text shows it (one formatter:
    py_udfs.answer.as_text), indented, then how it was made."""
    from py_udfs.answer import as_text
    print(textwrap.indent(as_text(result, width - 2), "  "))
    made = f"{result['timings_ms'].get('total_ms', 0):.0f} ms"
    if show_model:
        made = f"{result['model']}, {made}"
    print(f"  ({made})")


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


def cmd_cron(args):
    from . import cron
    return cron.main(args, database_url())


def cmd_demo(args):
    from . import demo
    return demo.run(args, cmd_ingest, print_answer)


def cmd_mcp(args):
    from . import mcp_server  # the MCP SDK: only for this command
    return mcp_server.serve(database_url(), args)


def _workers(value):
    n = int(value)
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError("--workers must be between 1 and 64")
    return n


def main(argv=None):
    p = argparse.ArgumentParser(prog="ragsql", description="ragsql: RAG from SQL")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("ingest", help="load .md/.txt/.html/.pdf files or folders (files without an extension"
                                      " by their content); a changed file replaces its earlier version")
    s.add_argument("paths", nargs="+")
    s = sub.add_parser("sync", help="make the tenant's documents under a folder match it: load new and changed"
                                    " files, skip unchanged ones, remove documents whose file is gone")
    s.add_argument("dir")
    s.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    for name in ("ingest", "sync"):
        s = sub.choices[name]
        s.add_argument("--tenant", default="default")
        s.add_argument("--format", choices=["md", "txt", "html", "pdf"], default=None,
                       help="read every file as this format, whatever its name")
        s.add_argument("--workers", type=_workers, default=1, help="connections embedding in parallel (default 1)")
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
    s = sub.add_parser("cron", help="schedule the drift snapshot and the nightly evaluation with pg_cron")
    s.add_argument("action", choices=["install", "remove", "status"])
    s.add_argument("--drift", help="cron schedule of the drift snapshot (default: daily 02:15)")
    s.add_argument("--evaluation", help="cron schedule of the golden-set evaluation (default: daily 03:30)")
    s = sub.add_parser("demo", help="load the sample corpus and answer sample questions")
    s.add_argument("path", nargs="?", default=str(ROOT / "samples"))
    s = sub.add_parser("mcp", help="the registry's functions, search and answer as MCP tools, as DATABASE_URL's role")
    s.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    s.add_argument("--host", default="127.0.0.1", help="http: the address to listen on (loopback by default)")
    s.add_argument("--port", type=int, default=8765, help="http: the port (default 8765)")
    s.add_argument("--allow-remote", action="store_true", help="http: allow a non-loopback address")
    s.add_argument("--statement-timeout-ms", type=int, default=30_000)
    args = p.parse_args(argv)
    try:
        return {"ingest": cmd_ingest, "sync": cmd_sync, "ask": cmd_ask, "search": cmd_search,
                "demo": cmd_demo, "cron": cmd_cron,
                "mcp": cmd_mcp}[args.cmd](args)
    except (psycopg.Error, FileNotFoundError) as exc:
        print(f"error: {exc}".rstrip(), file=sys.stderr)
        return 2
    except BrokenPipeError:  # `ragsql ... | head`: the reader left; no traceback at exit either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
