"""Connections and the queue driver shared by the CLI, evaluation and benchmarks."""
import json

import psycopg

from . import database_url


def connect(url=None, autocommit=True):
    return psycopg.connect(url or database_url(), autocommit=autocommit)


def queued(conn, model=None):
    return conn.execute("SELECT coalesce(sum(queued), 0)::bigint FROM rag.embedding_queue_status"
                        " WHERE %s::text IS NULL OR model = %s", (model, model)).fetchone()[0]


def drain_queue(conn, batch_size=32, model=None, progress=True, desc="embedding"):
    """Embed everything queued with CALL rag.drain_embedding_queue (one short
    transaction per batch; needs an autocommit connection), showing its
    progress messages as a bar. Returns the number of chunks embedded."""
    total = queued(conn, model)
    bar = None
    if progress and total:
        from tqdm import tqdm
        bar = tqdm(total=total, desc=desc, unit="chunk")
    done = 0

    def on_notice(diag):
        nonlocal done
        msg = diag.message_primary or ""
        if msg.startswith("rag.drain: "):
            n = int(msg.split()[1])
            if bar:
                bar.update(n - done)
            done = n

    conn.add_notice_handler(on_notice)
    try:
        conn.execute("SET client_min_messages = debug1")
        conn.execute("CALL rag.drain_embedding_queue(%s, %s)", (batch_size, model))
    finally:
        conn.execute("RESET client_min_messages")
        conn.remove_notice_handler(on_notice)
        if bar:
            bar.close()
    failed = conn.execute("SELECT coalesce(sum(failed), 0), max(last_error) FROM rag.embedding_queue_status").fetchone()
    if failed[0]:
        print(f"warning: {failed[0]} chunks could not be embedded: {failed[1]}")
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
