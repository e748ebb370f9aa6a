"""ragsql under load (make bench, after the single-backend figures). Prints
figures; asserts nothing. Run it alone: on two cores anything else running
at the same time moves the numbers.

  1. total embedding throughput with 1, 2, 4 and 8 queue workers draining
     one queue at once, against the best single-worker figure (target: each
     >= 0.9 x); single workers are also run with the thread count forced to
     1 and to all cores, to show what the policy chooses between;
  2. rag.search p50/p95 idle, and while an ingest with embedding runs in
     another backend (target: p95 <= 2 x idle);
  3. how fast a cancel or statement_timeout stops long model work:
     rag.embed_batch, and rag.answer waiting on a slow LLM; how fast an
     answer falls back when its LLM refuses connections, and then during
     the endpoint's cool-down;
  4. memory: a backend after warm-up, a queue worker after its drain.

    python -m ragsql.bench_load [--chunks N] [--workers 1,2,4,8]
"""
import argparse
import os
import socket
import statistics
import threading
import time

import psycopg

from . import database_url, db
from .bench import corpus, pct, queries, rss_mb
from .loopback_llm import FakeOpenAI

TENANT = "bench_load"
LONG_TEXT = ("El presupuesto del proyecto y las devoluciones de los clientes mayoristas se revisan cada mes. " * 25)


def _connect(url, **settings):
    c = psycopg.connect(url, autocommit=True)
    for name, value in settings.items():
        c.execute(f"SELECT set_config('{name}', %s, false)", (str(value),))
    return c


def _requeue(conn):
    """Every chunk of the bench tenant queued again for the active model."""
    conn.execute("DELETE FROM rag.embeddings e USING rag.chunks c WHERE c.id = e.chunk_id AND c.tenant = %s",
                 (TENANT,))
    conn.execute("INSERT INTO rag.embedding_queue (chunk_id, model_id) SELECT c.id, m.id FROM rag.chunks c,"
                 " rag.embedding_models m WHERE c.tenant = %s AND m.active ON CONFLICT DO NOTHING", (TENANT,))


def drain_together(url, conn, workers, batch, **settings):
    """chunks/s of `workers` warm backends draining the queue at once, and
    their RSS after the drain."""
    _requeue(conn)
    n = db.queued(conn)
    sessions = [_connect(url, **settings) for _ in range(workers)]
    for s in sessions:
        s.execute("SELECT rag.warm_up()")
    start = threading.Barrier(workers + 1)
    errors = []

    def work(s):
        start.wait()
        try:
            s.execute("CALL rag.drain_embedding_queue(%s)", (batch,))
        except psycopg.Error as exc:
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    rss = [rss_mb(s.info.backend_pid) for s in sessions]
    for s in sessions:
        s.close()
    if errors:
        raise SystemExit(f"a worker failed: {errors[0]}")
    return n / seconds, rss


def search_times(conn, qs):
    times = []
    for q in qs:
        t = time.perf_counter()
        conn.execute("SELECT chunk_id FROM rag.search(%s, k => 10, tenant => %s)", (q, TENANT)).fetchall()
        times.append((time.perf_counter() - t) * 1000)
    return times


def search_during_ingest(url, qs, docs):
    """Search latencies while another backend ingests `docs` and embeds them."""
    done = threading.Event()

    def ingest():
        with _connect(url) as c:
            for title, content in docs:
                if done.is_set():
                    break
                c.execute("SELECT rag.ingest_document(%s, %s, tenant => %s, sync => true)",
                          (content, title, TENANT + "_ingest"))
    with _connect(url) as c:
        c.execute("SELECT rag.warm_up()")
        search_times(c, qs[:10])
        worker = threading.Thread(target=ingest)
        worker.start()
        time.sleep(1.0)  # the ingest is under way
        times = []
        while worker.is_alive() and len(times) < len(qs):
            times += search_times(c, qs[len(times):len(times) + 10])
        done.set()
        worker.join()
        c.execute("DELETE FROM rag.documents WHERE tenant = %s", (TENANT + "_ingest",))
    return times


def cancel_latency(url, sql, args, after_s, settings=None, by="pg_cancel_backend"):
    """ms from the cancel (or the statement_timeout's expiry) to the error."""
    with _connect(url, **(settings or {})) as c:
        c.execute("SELECT rag.warm_up()")
        if by == "statement_timeout":
            c.execute("SELECT set_config('statement_timeout', %s, false)", (f"{int(after_s * 1000)}ms",))
        else:
            pid = c.info.backend_pid

            def cancel():
                time.sleep(after_s)
                with _connect(url) as ctl:
                    ctl.execute("SELECT pg_cancel_backend(%s)", (pid,))
            threading.Thread(target=cancel, daemon=True).start()
        t0 = time.perf_counter()
        try:
            c.execute(sql, args)
        except psycopg.errors.QueryCanceled:
            return (time.perf_counter() - t0 - after_s) * 1000
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=600, help="chunks each throughput run embeds")
    ap.add_argument("--workers", default="1,2,4,8")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--cancel-runs", type=int, default=7)
    args = ap.parse_args(argv)
    url = database_url()
    conn = db.connect()
    cores = len(os.sched_getaffinity(0))
    print(f"ragsql load bench: {args.chunks} chunks per run, {cores} cores")

    conn.execute("DELETE FROM rag.documents WHERE tenant IN (%s, %s)", (TENANT, TENANT + "_ingest"))
    docs = corpus(args.chunks + 200, seed=23)
    conn.execute("SELECT count(rag.ingest_document(c, title => t, tenant => %s, sync => false))"
                 " FROM unnest(%s::text[], %s::text[]) AS u(t, c)",
                 (TENANT, [d[0] for d in docs[:args.chunks]], [d[1] for d in docs[:args.chunks]]))
    conn.execute("DELETE FROM rag.embedding_queue q USING rag.chunks c WHERE c.id = q.chunk_id AND c.tenant <> %s",
                 (TENANT,))  # only this run's work

    # -- 1. throughput with concurrent workers
    print("\n1. embedding throughput, workers draining one queue at once")
    singles = {}
    for label, settings in (("policy (default)", {}), ("forced 1 thread", {"rag.model_threads": 1}),
                            (f"forced {cores} threads", {"rag.model_threads": cores})):
        singles[label], rss = drain_together(url, conn, 1, args.batch, **settings)
        print(f"   1 worker, {label:18} {singles[label]:7.1f} chunks/s   worker RSS {rss[0]:.0f} MB")
    best = max(singles.values())
    table = []
    for w in [int(x) for x in args.workers.split(",")]:
        rate, rss = drain_together(url, conn, w, args.batch)
        table.append((w, rate, rss))
        print(f"   {w} worker(s), policy      {rate:7.1f} chunks/s   {rate / best:5.2f} x best single"
              f" (target >= 0.9)   worker RSS {statistics.median(rss):.0f} MB median")

    # -- 2. search latency idle and during an ingest
    print("\n2. rag.search (hybrid, k=10), warm backend")
    qs = queries(args.queries)
    with _connect(url) as c:
        c.execute("SELECT rag.warm_up()")
        search_times(c, qs[:10])
        idle = search_times(c, qs)
        rss_warm = rss_mb(c.info.backend_pid)
    busy = search_during_ingest(url, qs, docs[args.chunks:])
    print(f"   idle                      p50 {pct(idle, 50):6.1f} ms   p95 {pct(idle, 95):6.1f} ms")
    print(f"   during an ingest          p50 {pct(busy, 50):6.1f} ms   p95 {pct(busy, 95):6.1f} ms"
          f"   ({len(busy)} searches; p95 {pct(busy, 95) / pct(idle, 95):.2f} x idle, target <= 2)")

    # -- 3. cancel and fallback
    print("\n3. stopping long work")
    batch = [LONG_TEXT + str(i) for i in range(48)]
    for by in ("pg_cancel_backend", "statement_timeout"):
        lat = [cancel_latency(url, "SELECT rag.embed_batch(%s)", (batch,), 1.5, by=by)
               for _ in range(args.cancel_runs)]
        lat = sorted(x for x in lat if x is not None)
        print(f"   rag.embed_batch, 48 long texts, {by:17}: median {statistics.median(lat):5.0f} ms"
              f"   max {lat[-1]:5.0f} ms   ({len(lat)} runs; target <= 1000)")
    with FakeOpenAI() as llm:
        llm.mode, llm.delay = "slow", 30.0
        conn.execute("SELECT rag.register_endpoint('bench-slow', 'chat', %s, 'slow', NULL, 60000)", (llm.base_url,))
        db.ingest(conn, "Los clientes mayoristas pueden devolver mercadería dentro de los 30 días corridos.",
                  "Devoluciones", tenant=TENANT, sync=True)
        q = "¿Cuántos días tienen los mayoristas para devolver mercadería?"
        lat = sorted(cancel_latency(url, "SELECT rag.answer(%s, tenant => %s)", (q, TENANT), 1.5,
                                    settings={"rag.llm_endpoint": "bench-slow"}, by=by)
                     for by in ("pg_cancel_backend", "statement_timeout") for _ in range(3))
        print(f"   rag.answer waiting on an LLM (cancel, timeout): median {statistics.median(lat):5.0f} ms"
              f"   max {lat[-1]:5.0f} ms   (6 runs)")
        conn.execute("SELECT rag.unregister_endpoint('bench-slow')")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conn.execute("SELECT rag.register_endpoint('bench-refused', 'chat', %s)", (f"http://127.0.0.1:{port}/v1",))
    with _connect(url, **{"rag.llm_endpoint": "bench-refused"}) as c:
        c.execute("SELECT rag.warm_up()")
        gen = []
        for _ in range(5):
            r = c.execute("SELECT rag.answer(%s, tenant => %s) AS a", (q, TENANT)).fetchone()[0]
            gen.append((r["timings_ms"].get("generation_ms"), r["error"]))
    conn.execute("SELECT rag.unregister_endpoint('bench-refused')")
    print(f"   connection refused -> fallback: first {gen[0][0]:.1f} ms, then during the cool-down"
          f" {statistics.median(g for g, _ in gen[1:]):.2f} ms median (target < 100)")

    # -- 4. memory
    print("\n4. memory per backend (RSS)")
    print(f"   after warm-up and {args.queries} searches: {rss_warm:.0f} MB")
    print(f"   queue worker after a drain: {statistics.median(table[0][2]):.0f} MB")
    conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (TENANT,))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
