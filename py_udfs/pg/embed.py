"""Entry module of sql/idempotent/020_embed.sql: rag.embed, rag.embed_batch,
rag._embed_chunks, rag.query_features, rag.warm_up."""
import time

from .. import embedding, llm, sentences
from .backend import encode, llm_config, model_row, query_features  # noqa: F401  (rag.query_features)


def embed(plpy, texts, model_name, input_type):
    if input_type not in ("query", "document"):
        plpy.error(f"input_type must be 'query' or 'document', got {input_type!r}")
    row = model_row(plpy, model_name)
    return [embedding.to_pgvector(v) for v in encode(plpy, row, texts, input_type == "query")]


def embed_chunks(plpy, texts, contents, model_name):
    """Chunk vectors and sentence vectors in one pass over the model. A
    sentence repeated by the chunks' overlap is embedded once; texts go to
    the model shortest first, so a slice holds texts of similar length."""
    row = model_row(plpy, model_name)
    spans = [(i, n, s, e, sent) for i, content in enumerate(contents or [])
             for n, s, e, sent in sentences.embedded_spans(content or "")]
    unique = list(dict.fromkeys(sent for *_, sent in spans))
    todo = list(texts or []) + unique
    order = sorted(range(len(todo)), key=lambda j: len(todo[j]))
    vecs = encode(plpy, row, [todo[j] for j in order], False)
    by_text = [None] * len(todo)
    for k, j in enumerate(order):
        by_text[j] = embedding.to_pgvector(vecs[k])
    n_chunks = len(texts or [])
    at = {sent: n_chunks + k for k, sent in enumerate(unique)}
    return {"vectors": by_text[:n_chunks],
            "sentence_chunk": [i + 1 for i, *_ in spans],  # 1-based, as SQL arrays
            "sentence_n": [n for _, n, *_ in spans],
            "sentence_start": [s for _, _, s, _, _ in spans],
            "sentence_end": [e for _, _, _, e, _ in spans],
            "sentence_vectors": [by_text[at[sent]] for *_, sent in spans]}


def warm_up(plpy, model_name):
    """Load the model in this backend now, and the LLM client when a chat
    endpoint is configured (importing it and building its connection pool
    take ~0.4 s: not a question's time); returns the milliseconds spent."""
    t = time.perf_counter()
    embed(plpy, ["warm up"], model_name, "query")
    cfg = llm_config(plpy)
    if cfg.configured:
        llm.openai_client(cfg)
    return round((time.perf_counter() - t) * 1000, 2)
