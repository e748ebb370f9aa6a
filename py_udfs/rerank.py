"""Second-stage rerankers.

- cross-encoder: a sentence-transformers CrossEncoder by name or local path
  (production: e.g. BAAI/bge-reranker-v2-m3), loaded once per backend.
- signals: an offline rescoring of the candidate pool from signals the
  first stage flattens into ranks: the embedding cosine itself, the
  IDF-weighted share of the question's terms a chunk covers, and optionally
  a second embedding model's cosine. Weights chosen on XQuAD Spanish and
  checked on English (README, "Reranking").
"""
import os
import threading

import numpy as np

_cross = {}
_lock = threading.Lock()

DEFAULT_SIGNAL_WEIGHTS = {"cosine": 1.0, "coverage": 0.5, "secondary_cosine": 0.0, "rrf": 0.0}


class RerankError(RuntimeError):
    pass


def cross_encoder(ref):
    model = _cross.get(ref)
    if model is None:
        with _lock:
            if ref not in _cross:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                from sentence_transformers import CrossEncoder
                try:
                    _cross[ref] = CrossEncoder(ref, device="cpu")
                except Exception as exc:
                    raise RerankError(f"cannot load cross-encoder {ref!r}: {exc}") from None
            model = _cross[ref]
    return model


def cross_encoder_scores(ref, query, texts, batch_size=16):
    if not texts:
        return []
    scores = cross_encoder(ref).predict([(query, t) for t in texts], batch_size=batch_size,
                                        show_progress_bar=False)
    return [float(s) for s in np.asarray(scores).reshape(len(texts), -1)[:, -1]]


def _minmax(values):
    v = np.asarray([np.nan if x is None else x for x in values], dtype=float)
    if np.all(np.isnan(v)):
        return np.zeros(len(v))
    lo, hi = np.nanmin(v), np.nanmax(v)
    out = (v - lo) / (hi - lo) if hi > lo else np.ones(len(v))
    return np.nan_to_num(out, nan=0.0)


def signal_scores(rows, weights=None):
    """rows: dicts with cosine, coverage, secondary_cosine (may be None), rrf.
    Each signal is min-max normalised over the pool, then weighted."""
    w = dict(DEFAULT_SIGNAL_WEIGHTS, **(weights or {}))
    if not rows:
        return []
    total = np.zeros(len(rows))
    for name, weight in w.items():
        if weight:
            total += weight * _minmax([r.get(name) for r in rows])
    return [float(x) for x in total]
