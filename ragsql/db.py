"""Connections and the queue driver shared by the CLI, evaluation and benchmarks."""
import json
import threading
import time

import psycopg

from . import database_url


def connect(url=None, autocommit=True):
    return psycopg.connect(url or database_url(), autocommit=autocommit)


def queued(conn, model=None):
    return conn.execute("SELECT coalesce(sum(queued), 0)::bigint FROM rag.embedding_queue_status"
                        " WHERE %s::text IS NULL OR model = %s", (model, model)).fetchone()[0]


def _connect_like(conn):
    """A new autocommit connection to the same database as `conn`."""
    kw = {"password": conn.info.password} if conn.info.password else {}
    return psycopg.connect(conn.info.dsn, autocommit=True, **kw)


def _worker(conn, batch_size, model, counts, i, stop):
    """One queue worker: rag.process_embedding_queue until nothing is left
    that it may take, one short transaction per batch (autocommit)."""
    with _connect_like(conn) as c:
        while not stop.is_set():
            n = c.execute("SELECT rag.process_embedding_queue(%s, %s)", (batch_size, model)).fetchone()[0]
            counts[i] += n
            if n == 0:
                # Nothing claimed: the queue is empty, the rows left are
                # another worker's batch in flight, or a batch failed (its
                # attempts count up until it is parked).
                if queued(c, model) == 0:
                    return
                time.sleep(0.2)


def drain_queue(conn, batch_size=32, model=None, progress=True, desc="embedding", workers=1):
    """Embed everything queued with `workers` connections in parallel, each
    calling rag.process_embedding_queue (one short transaction per batch),
    then promote the pending versions the workers completed and refresh the
    text statistics. The progress bar follows the queue itself, so it counts
    every worker's chunks (and any other process draining meanwhile).
    Returns the number of chunks these workers embedded."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    total = queued(conn, model)
    bar = None
    if progress and total:
        from tqdm import tqdm
        bar = tqdm(total=total, desc=desc, unit="chunk")
    counts, errors, stop = [0] * workers, [], threading.Event()

    def run(i):
        try:
            _worker(conn, batch_size, model, counts, i, stop)
        except Exception as exc:  # noqa: BLE001 -- re-raised in the caller's thread below
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(workers)] if total else []
    for t in threads:
        t.start()
    try:
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(0.5)
            if bar:
                left = queued(conn, model)
                bar.total = max(bar.total, bar.n + left)
                bar.update(max(0, bar.total - left - bar.n))
    except KeyboardInterrupt:
        stop.set()
        raise
    finally:
        if bar:
            bar.update(max(0, bar.total - queued(conn, model) - bar.n))
            bar.close()
    if errors:
        raise errors[0]
    drain_graph_queue(conn, progress)
    conn.execute("SELECT rag.promote_versions()")
    conn.execute("SELECT rag.refresh_text_stats()")
    failed = conn.execute("SELECT coalesce(sum(failed), 0), max(last_error) FROM rag.embedding_queue_status").fetchone()
    if failed[0]:
        print(f"warning: {failed[0]} chunks could not be embedded: {failed[1]}"
              " (their documents' earlier versions stay searchable: see rag.pending_versions)")
    return sum(counts)


def drain_graph_queue(conn, progress=True):
    """Extract the entities of the chunks queued for the graph (tenants with
    rag.enable_graph), one short transaction per batch, after the vectors:
    search does not wait for it. Returns the number of chunks extracted."""
    total = conn.execute("SELECT coalesce(sum(queued), 0)::bigint FROM rag.graph_queue_status").fetchone()[0]
    if not total:
        return 0
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=total, desc="graph", unit="chunk")
    done = 0
    while n := conn.execute("SELECT rag.process_graph_queue()").fetchone()[0]:
        done += n
        if bar:
            bar.update(n)
    if bar:
        bar.close()
    return done


def ingest(conn, content, title=None, metadata=None, tenant="default", source=None, language=None,
           sync=False):
    return conn.execute(
        "SELECT rag.ingest_document(%s, title => %s, metadata => %s::jsonb, tenant => %s,"
        " source => %s, language => %s, sync => %s)",
        (content, title, json.dumps(metadata or {}), tenant, source, language, sync)).fetchone()[0]


def local_llm_url():
    """The base URL of the local LLM (`make llm`) when it is running, else None."""
    import subprocess

    from . import ROOT
    script = str(ROOT / "scripts" / "llm.sh")
    try:
        if subprocess.run(["bash", script, "status"], capture_output=True, text=True).stdout.startswith("running"):
            return subprocess.run(["bash", script, "url"], capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return None


def use_llm(conn, base_url, model, timeout_ms):
    """Register `base_url` as the chat endpoint 'harness' (as the database
    owner: only owners register endpoints) and choose it for this session's
    rag.answer, judges and intent parser."""
    conn.execute("SELECT rag.register_endpoint('harness', 'chat', %s, model => %s, timeout_ms => %s)",
                 (base_url, model, int(timeout_ms)))
    conn.execute("SET rag.llm_endpoint = 'harness'")
