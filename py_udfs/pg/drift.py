"""Entry module of sql/idempotent/140_drift.sql: fitting a tenant's corpus
centroids and taking a drift snapshot (py_udfs/drift.py measures)."""
import json

import numpy as np

from .. import drift, embedding
from .backend import encode, model_row, run, vector_type


def fit_centroids(plpy, tenant, k):
    """k-means of the tenant's live chunk vectors (active model), replacing
    its previous centroids; returns how many were stored."""
    if k is None or not 2 <= k <= 64:
        plpy.error(f"k must be between 2 and 64, not {k}", sqlstate="22023")
    row = model_row(plpy, None)
    vectors = [json.loads(r["v"]) for r in run(
        plpy, "SELECT e.embedding::text AS v FROM rag.embeddings e JOIN rag.chunks c ON c.id = e.chunk_id"
              " WHERE c.tenant = $1 AND c.live AND e.model_id = $2", ["text", "int"], [tenant, row["id"]])]
    if len(vectors) < k:
        plpy.error(f"tenant {tenant!r} has {len(vectors)} embedded chunks; {k} centroids need at least {k}",
                   sqlstate="55000", hint="load and embed its documents first, or ask for fewer centroids")
    centroids, sizes = drift.kmeans(vectors, k)
    run(plpy, "DELETE FROM rag.drift_centroids WHERE tenant = $1 AND model_id = $2", ["text", "int"],
        [tenant, row["id"]])
    run(plpy, "INSERT INTO rag.drift_centroids (tenant, model_id, centroid, vector, chunks)"
              f" SELECT $1, $2, u.i - 1, u.v, u.n FROM unnest($3::{vector_type(plpy)}[], $4::int[])"
              " WITH ORDINALITY AS u(v, n, i)", ["text", "int", vector_type(plpy) + "[]", "int[]"],
        [tenant, row["id"], [embedding.to_pgvector(c) for c in centroids], [int(n) for n in sizes]])
    return len(centroids)


def snapshot(plpy, tenant, reference_from, reference_to, recent_from, recent_to):
    """One row per signal in rag.drift_snapshots, comparing the questions
    asked about `tenant` in the two windows; returns their ids."""
    row = model_row(plpy, None)
    centroids = [json.loads(r["v"]) for r in run(
        plpy, "SELECT vector::text AS v FROM rag.drift_centroids WHERE tenant = $1 AND model_id = $2"
              " ORDER BY centroid", ["text", "int"], [tenant, row["id"]])]
    if not centroids:
        plpy.error(f"tenant {tenant!r} has no centroids for the active model", sqlstate="55000",
                   hint=f"SELECT rag.fit_drift_centroids({tenant!r})")
    asked = run(plpy, "SELECT question, coalesce(NOT supported, true) AS refused,"
                      " fell_back, asked_at >= $4 AS recent FROM rag.answers WHERE tenant = $1"
                      " AND ((asked_at >= $2 AND asked_at < $3) OR (asked_at >= $4 AND asked_at < $5))",
                ["text", "timestamptz", "timestamptz", "timestamptz", "timestamptz"],
                [tenant, reference_from, reference_to, recent_from, recent_to])
    windows = {False: [r for r in asked if not r["recent"]], True: [r for r in asked if r["recent"]]}
    questions = [r["question"] for r in windows[False] + windows[True]]
    vectors = encode(plpy, row, questions, True) if questions else np.zeros((0, row["dimensions"]))
    tops = _top_scores(plpy, tenant, row, vectors)
    n_ref = len(windows[False])
    parts = {False: (vectors[:n_ref], tops[:n_ref]), True: (vectors[n_ref:], tops[n_ref:])}
    shares = {recent: {"topics": drift.topic_shares(parts[recent][0], np.array(centroids)),
                       "top_score": drift.score_shares(parts[recent][1]),
                       "refusal": drift.rate_shares(r["refused"] for r in windows[recent]),
                       "fallback": drift.rate_shares(r["fell_back"] for r in windows[recent])}
              for recent in (False, True)}
    enough = min(len(windows[False]), len(windows[True])) >= drift.MIN_QUESTIONS
    ids = []
    for signal in ("topics", "top_score", "refusal", "fallback"):
        ref, rec = shares[False][signal], shares[True][signal]
        ids.append(run(plpy, "INSERT INTO rag.drift_snapshots (tenant, signal, reference_from, reference_to,"
                             " recent_from, recent_to, reference_n, recent_n, psi, kl, reference_dist, recent_dist)"
                             " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                       ["text", "text", "timestamptz", "timestamptz", "timestamptz", "timestamptz", "int", "int",
                        "float8", "float8", "float8[]", "float8[]"],
                       [tenant, signal, reference_from, reference_to, recent_from, recent_to, len(windows[False]),
                        len(windows[True]), drift.psi(ref, rec) if enough else None,
                        drift.kl(ref, rec) if enough else None, [float(x) for x in ref],
                        [float(x) for x in rec]])[0]["id"])
    return ids


def _top_scores(plpy, tenant, row, vectors):
    """Each question's best cosine among the tenant's live chunks: the kNN
    index per question, all in one query."""
    if len(vectors) == 0:
        return []
    # rag.drift_snapshot's search_path has pgvector's schema: plain names.
    typed = f"vector({int(row['dimensions'])})"  # the cast the model's partial index is built on
    rows = run(plpy, f"SELECT u.i, (SELECT 1 - (e.embedding::{typed} <=> u.v::{typed})"
                     "   FROM rag.embeddings e JOIN rag.chunks c ON c.id = e.chunk_id"
                     "  WHERE e.model_id = $2 AND c.live AND c.tenant = $3"
                     f"  ORDER BY e.embedding::{typed} <=> u.v::{typed} LIMIT 1) AS score"
                     " FROM unnest($1::vector[]) WITH ORDINALITY AS u(v, i) ORDER BY u.i",
               [vector_type(plpy) + "[]", "int", "text"],
               [[embedding.to_pgvector(v) for v in vectors], row["id"], tenant])
    return [r["score"] if r["score"] is not None else 0.0 for r in rows]
