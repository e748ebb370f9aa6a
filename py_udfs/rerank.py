"""The cross-encoder reranker: a sentence-transformers CrossEncoder by name
or local path (production: e.g. BAAI/bge-reranker-v2-m3), loaded once per
backend. (The offline 'signals' reranker is plain SQL:
sql/idempotent/065_rerank.sql.)
"""
import os
import threading

import numpy as np

_cross = {}
_lock = threading.Lock()


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
