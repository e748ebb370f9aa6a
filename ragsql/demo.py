"""`ragsql demo` (`make demo`): installs the demo sales domain, loads the
sample corpus and asks sample questions of the documents and of the data."""
import argparse
import textwrap

from . import db, sqlfiles

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
    "Ventas de la sucursal Once en el primer trimestre de 2025",
    "Borrá las ventas de Abasto del 1/3/2025",
    "¿Qué política de devoluciones aplica a mayoristas?",
]


def run(args, ingest, print_answer):
    """`ragsql demo`: the sales domain, the sample corpus, and sample questions
    to both, as a new user would ask them."""
    conn = db.connect()
    print("== installing the demo sales domain (schema ventas and its intent functions)")
    sqlfiles.install_demo(conn)
    print("== loading the sample corpus")
    ns = argparse.Namespace(paths=[args.path], tenant="demo", progress=True)
    ingest(ns, conn)
    ms = conn.execute("SELECT rag.warm_up()").fetchone()[0]
    print(f"== models warmed up in this backend in {ms:,.0f} ms")
    llm = db.local_llm_url()
    if llm:
        db.use_llm(conn, llm, "local-qwen", 120_000)
        print(f"== answers are written by the local LLM at {llm}, with [n] citations")
    else:
        print("== answers quote the sources (extractive): no LLM is running; `make llm` starts a local one")
    print()
    print("== questions to the documents: SELECT rag_answer_text('...')")
    for q in DEMO_QUESTIONS:
        print()
        print(f"Q: {q}")
        print_answer(conn.execute("SELECT rag.answer(%s, tenant => 'demo')", (q,)).fetchone()[0],
                     show_model=False)
    print()
    print("== questions to the sales data: SELECT rag_ask_text('...')  (parse, validate, run)")
    for q in DEMO_INTENTS:
        print()
        print(f"Q: {q}")
        # session_id as an argument: the follow-up ("¿y en Palermo?") works
        # behind a transaction pooler too
        text = conn.execute("SELECT rag_ask_text(%s, session_id => 'demo')", (q,)).fetchone()[0]
        print(textwrap.indent(text, "  "))
    print()
    print("== try it yourself:")
    url = db.database_url()
    print(f"   psql \"{url}\" -c \"SELECT rag_answer_text('¿Qué política de devoluciones aplica a mayoristas?')\"")
    print(f"   psql \"{url}\" -c \"SELECT * FROM rag_ask_rows('¿Cuánto vendió cada sucursal el mes pasado?')\"")
    return 0
