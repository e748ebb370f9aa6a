"""Entry module of sql/idempotent/020_embed.sql: rag.embed, rag.embed_batch,
rag.query_features, rag.warm_up."""
import time

from .. import embedding, llm
from .backend import encode, llm_config, model_row, query_features  # noqa: F401  (rag.query_features)


def embed(plpy, texts, model_name, input_type):
    if input_type not in ("query", "document"):
        plpy.error(f"input_type must be 'query' or 'document', got {input_type!r}")
    row = model_row(plpy, model_name)
    return [embedding.to_pgvector(v) for v in encode(plpy, row, texts, input_type == "query")]


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
