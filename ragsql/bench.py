"""ragsql benchmarks (make bench). Prints figures; asserts nothing.

On a generated corpus (default 10,000 one-chunk documents, Spanish and
English, fixed seed):
  1. ingest (chunk + enqueue) rate;
  2. in-database batch embedding rate (the queue worker), versus
  3. the same model's standalone encode rate on the same texts, and
  4. a naive client-side loop: one embed call and one INSERT per chunk;
  5. rag.search latency p50/p95 with a warm backend (query embedding included);
  6. a fresh backend's first-call latency and memory after the model loads;
  7. rag.answer (extractive, hybrid; and with rerank) p50/p95 per stage, as its
     timings_ms reports (sentence vectors are stored at ingest: the support
     check reads them, it embeds nothing).

    python -m ragsql.bench [--chunks N] [--model NAME] [--workers W]
"""
import argparse
import os
import random
import time

import numpy as np
import psycopg
from psycopg.rows import dict_row

# The one deliberate exception to "the harness reaches the product through
# SQL only": sections 3 and 4 measure the embedding model outside the
# database (a standalone encode, a naive client loop), so they call
# py_udfs.embedding directly, on the very texts the worker embeds (read
# from SQL with rag.embedding_text).
from py_udfs import embedding

from . import database_url, db

TENANT = "bench"

_ES = {
    "subj": ["La sucursal {b}", "El depósito de {b}", "El equipo de ventas de {b}", "La tienda {b}"],
    "verb": ["registró", "informó", "superó", "redujo", "duplicó"],
    "obj": ["ventas por {n} pesos", "un stock de {n} unidades de {p}", "{n} devoluciones de {p}",
            "entregas a {n} clientes mayoristas", "un margen del {n} % en {p}"],
    "tail": ["durante la semana {w}.", "en el mes de {m}.", "tras la campaña de {m}.", "según el informe {w}."],
}
_EN = {
    "subj": ["The {b} branch", "The {b} warehouse", "The {b} sales team", "The {b} store"],
    "verb": ["recorded", "reported", "exceeded", "reduced", "doubled"],
    "obj": ["sales of {n} dollars", "a stock of {n} units of {p}", "{n} returns of {p}",
            "deliveries to {n} wholesale customers", "a {n} % margin on {p}"],
    "tail": ["during week {w}.", "in {m}.", "after the {m} campaign.", "according to report {w}."],
}
_BRANCHES = ["Abasto", "Palermo", "Belgrano", "Caballito", "Flores", "Recoleta", "Norte", "Sur", "Centro"]
_PRODUCTS = ["yerba", "café", "aceite", "harina", "arroz", "detergente", "galletitas", "vino", "queso", "leche"]
_MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto"]


def corpus(n, seed=7):
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        g = _ES if i % 2 == 0 else _EN
        sents = []
        for _ in range(rng.randint(3, 4)):
            f = dict(b=rng.choice(_BRANCHES), n=rng.randint(2, 99999), p=rng.choice(_PRODUCTS),
                     w=rng.randint(1, 52), m=rng.choice(_MONTHS))
            sents.append(" ".join(rng.choice(g[k]) for k in ("subj", "verb", "obj", "tail")).format(**f))
        docs.append((f"Informe {i}" if g is _ES else f"Report {i}", " ".join(sents) + f" Ref {i:05d}."))
    return docs


def queries(n, seed=11):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        b, p, m = rng.choice(_BRANCHES), rng.choice(_PRODUCTS), rng.choice(_MONTHS)
        out.append(rng.choice([f"¿Cuántas devoluciones de {p} tuvo la sucursal {b}?",
                               f"ventas de {p} en {b} en {m}",
                               f"Which store reported returns of {p} in {m}?",
                               f"stock of {p} at the {b} warehouse"]))
    return out


def pct(values, p):
    return float(np.percentile(values, p))


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=10_000)
    ap.add_argument("--model", default=None, help="embedding model (default: the active one)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--standalone", type=int, default=2000,
                    help="chunks (a prefix of the same texts) for the standalone encode rate")
    ap.add_argument("--naive", type=int, default=300, help="chunks for the naive client loop")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--answers", type=int, default=100, help="questions for the answer path per stage")
    ap.add_argument("--no-graph", dest="graph", action="store_false",
                    help="skip the graph's extraction and rag.graph_search (about 100 s at 10,000 chunks)")
    args = ap.parse_args(argv)
    url = database_url()
    conn = db.connect()
    model = conn.cursor(row_factory=dict_row).execute(
        "SELECT name, provider, model_ref, dimensions, query_prefix, document_prefix"
        " FROM rag.embedding_models WHERE (%s::text IS NULL AND active) OR name = %s",
        (args.model, args.model)).fetchone()
    if model is None:
        raise SystemExit(f"unknown embedding model {args.model!r}" if args.model else "no active embedding model")
    print(f"ragsql bench: {args.chunks} chunks, model {model['name']}, batch {args.batch}, {os.cpu_count()} cores")

    # -- 6. first call and memory in a fresh backend (before anything warms it)
    with psycopg.connect(url, autocommit=True) as c:
        pid = c.execute("SELECT pg_backend_pid()").fetchone()[0]
        before = rss_mb(pid)
        t = time.perf_counter()
        c.execute("SELECT rag.embed('primera consulta', %s)", (model["name"],)).fetchone()
        first_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        c.execute("SELECT rag.embed('segunda consulta', %s)", (model["name"],)).fetchone()
        second_ms = (time.perf_counter() - t) * 1000
        after = rss_mb(pid)

    # -- 1. ingest (chunk + enqueue only: an INSERT never waits on a model);
    # the graph is off meanwhile so that section 2 times the vectors alone
    conn.execute("SELECT rag.disable_graph(%s, drop_graph => true)", (TENANT,))
    conn.execute("DELETE FROM rag.documents WHERE tenant = %s", (TENANT,))
    docs = corpus(args.chunks)
    conn.execute("DELETE FROM rag.embedding_queue")  # only this run's work is timed
    t = time.perf_counter()
    from tqdm import tqdm
    step = 500
    for i in tqdm(range(0, len(docs), step), desc="ingest", unit="batch"):
        part = docs[i:i + step]
        conn.execute("SELECT count(rag.ingest_document(c, title => t, tenant => %s, sync => false))"
                     " FROM unnest(%s::text[], %s::text[]) AS u(t, c)",
                     (TENANT, [d[0] for d in part], [d[1] for d in part]))
    ingest_s = time.perf_counter() - t
    n_chunks = conn.execute("SELECT count(*) FROM rag.chunks WHERE tenant = %s", (TENANT,)).fetchone()[0]
    if model["name"] != conn.execute("SELECT name FROM rag.embedding_models WHERE active").fetchone()[0]:
        conn.execute("DELETE FROM rag.embedding_queue")
        conn.execute("INSERT INTO rag.embedding_queue (chunk_id, model_id) SELECT c.id, m.id FROM rag.chunks c,"
                     " rag.embedding_models m WHERE c.tenant = %s AND m.name = %s", (TENANT, model["name"]))

    # -- 2. in-database batch embedding (the queue worker, one backend)
    t = time.perf_counter()
    embedded = db.drain_queue(conn, batch_size=args.batch, model=model["name"], desc="in-db embed")
    indb_s = time.perf_counter() - t
    indb_rate = embedded / indb_s
    n_sentences = conn.execute("SELECT count(*) FROM rag.sentence_embeddings WHERE tenant = %s",
                               (TENANT,)).fetchone()[0]

    # -- 3. standalone encode of the same texts: what the worker embeds, as the
    # database builds it (rag.embedding_text), in the queue's order
    texts = [t for (t,) in conn.execute(
        "SELECT rag.embedding_text(d.title, c.section, c.content) FROM rag.chunks c"
        " JOIN rag.documents d ON d.id = c.document_id WHERE c.tenant = %s ORDER BY c.id LIMIT %s", (TENANT, max(args.standalone, args.naive, 8)))]
    embedding.encode(model, texts[:8])  # load outside the timing
    same = texts[: args.standalone]
    t = time.perf_counter()
    for i in tqdm(range(0, len(same), args.batch), desc="standalone", unit="batch"):
        embedding.encode(model, same[i:i + args.batch])
    standalone_rate = len(same) / (time.perf_counter() - t)

    # -- 4. naive client loop: one embed call + one INSERT (own transaction) per chunk
    conn.execute("CREATE TEMP TABLE naive_chunks (id serial PRIMARY KEY, content text, embedding text)")
    sample = texts[: args.naive]
    t = time.perf_counter()
    for text in tqdm(sample, desc="naive loop", unit="chunk"):
        vec = embedding.encode(model, [text])[0]
        conn.execute("INSERT INTO naive_chunks (content, embedding) VALUES (%s, %s)",
                     (text, embedding.to_pgvector(vec)))
    naive_rate = len(sample) / (time.perf_counter() - t)

    # -- 4b. the graph's entity extraction (offline), then graph search below
    graph_rate = None
    if args.graph:
        conn.execute("SELECT rag.enable_graph(%s, 'offline')", (TENANT,))
        t = time.perf_counter()
        extracted = db.drain_graph_queue(conn)
        graph_rate = extracted / (time.perf_counter() - t)
        graph_size = conn.execute("SELECT (SELECT count(*) FROM rag.entities WHERE tenant = %(t)s),"
                                  " (SELECT count(*) FROM rag.relations WHERE tenant = %(t)s)", {"t": TENANT}).fetchone()

    # -- 5. search latency, warm backend
    lat = {}
    qs = queries(args.queries)
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("SELECT rag.warm_up(%s)", (model["name"],))
        for mode in ("hybrid", "vector", "text"):
            times = []
            for q in qs:
                t = time.perf_counter()
                rows = c.execute("SELECT chunk_id FROM rag.search(%s, k => 10, tenant => %s, mode => %s,"
                                 " model => %s)", (q, TENANT, mode, model["name"])).fetchall()
                times.append((time.perf_counter() - t) * 1000)
                assert rows, q
            lat[mode] = times
        if args.graph:  # the query vectors are cached by now, as for vector and text
            times = []
            for q in qs:
                t = time.perf_counter()
                c.execute("SELECT chunk_id FROM rag.graph_search(%s, k => 10, tenant => %s, model => %s)",
                          (q, TENANT, model["name"])).fetchall()
                times.append((time.perf_counter() - t) * 1000)
            lat["graph"] = times
        qtimes = []
        for q in qs[:50]:
            t = time.perf_counter()
            c.execute("SELECT rag.embed(%s, %s)", (q, model["name"])).fetchone()
            qtimes.append((time.perf_counter() - t) * 1000)
        # -- 7. the answer path per stage (extractive, hybrid; then with the
        # default reranker), as rag.answer reports it
        # Questions not asked before in this backend: a repeated one would
        # take its vector from the query cache and hide the embedding time.
        asked = set(qs)
        fresh = [q for q in dict.fromkeys(queries(3 * args.answers + 100, seed=99)) if q not in asked]
        stages = {False: {}, True: {}}
        for rerank in (False, True):
            for q in fresh[:args.answers]:
                q = f"{q} (rerank)" if rerank else q
                t = time.perf_counter()
                timings = c.execute("SELECT rag.answer(%s, tenant => %s, model => %s, rerank => %s) -> 'timings_ms'",
                                    (q, TENANT, model["name"], rerank)).fetchone()[0]
                timings["client_ms"] = (time.perf_counter() - t) * 1000
                for stage, ms in timings.items():
                    stages[rerank].setdefault(stage, []).append(ms)

    print()
    print(f"corpus                         {n_chunks} chunks in {args.chunks} documents")
    print(f"ingest (chunk + enqueue)       {n_chunks / ingest_s:8.1f} chunks/s")
    print(f"in-database batch embedding    {indb_rate:8.1f} chunks/s   ({embedded} chunks, {indb_s:.1f} s; with"
          f" their {n_sentences} sentence vectors)")
    print(f"standalone encode, same texts  {standalone_rate:8.1f} chunks/s   ({len(same)} chunks; no sentences)")
    print(f"naive client loop              {naive_rate:8.1f} chunks/s   ({len(sample)} chunks)")
    print(f"  in-db / standalone           {indb_rate / standalone_rate:8.2f}    (target >= 0.8)")
    print(f"  in-db / naive loop           {indb_rate / naive_rate:8.2f}x   (target >= 5x)")
    if graph_rate:
        print(f"graph extraction (offline)     {graph_rate:8.1f} chunks/s   ({graph_size[0]} entities,"
              f" {graph_size[1]} relations)")
    for mode, times in lat.items():
        name = "rag.graph_search hops=2" if mode == "graph" else f"rag.search {mode:7} k=10"
        print(f"{name:30} p50 {pct(times, 50):6.1f} ms   p95 {pct(times, 95):6.1f} ms"
              + ("   (target p95 <= 50 ms)" if mode == "hybrid" else ""))
    print(f"query embedding alone          p50 {pct(qtimes, 50):6.1f} ms")
    for rerank, target in ((False, 100), (True, 150)):
        print(f"rag.answer (extractive, hybrid{', rerank' if rerank else ''}), {args.answers} questions, per stage:")
        for stage, times in stages[rerank].items():
            print(f"  {stage:28} p50 {pct(times, 50):6.1f} ms   p95 {pct(times, 95):6.1f} ms"
                  + (f"   (target p95 <= {target} ms)" if stage == "client_ms" else ""))
    print(f"fresh backend: first embed {first_ms:.0f} ms, second {second_ms:.1f} ms; "
          + (f"RSS {before:.0f} MB -> {after:.0f} MB (+{after - before:.0f} MB)" if before and after
             else "RSS not readable (server on another host)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
