"""Drift measures: k-means centroids of a corpus, the distributions a
window of questions has over them (and over top-1 scores, refusals,
fallbacks), and PSI and KL divergence between two windows."""
import numpy as np

# Bins of the top-1 retrieval cosine: e5-style models put almost every
# cosine between 0.7 and 1, so the bins are fine there.
TOP_SCORE_EDGES = (0.0, 0.70, 0.75, 0.78, 0.80, 0.82, 0.84, 0.86, 0.88, 0.90, 0.93, 1.0001)
# Empty bins get this share so PSI and KL stay finite; with windows of a
# few hundred questions it is below one question's share.
EPSILON = 1e-4
# Below this many questions a window's shares are noise: no PSI is given.
MIN_QUESTIONS = 30


def kmeans(vectors, k, iterations=25, seed=0):
    """Spherical k-means (cosine) with k-means++ seeding: (centroids, sizes)."""
    x = _normalised(np.asarray(vectors, dtype=np.float64))
    k = max(1, min(k, len(x)))
    rng = np.random.default_rng(seed)
    centroids = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d = 1 - np.max(x @ np.array(centroids).T, axis=1)
        p = np.clip(d, 0, None)
        p = p / p.sum() if p.sum() > 0 else np.full(len(x), 1 / len(x))
        centroids.append(x[rng.choice(len(x), p=p)])
    c = np.array(centroids)
    for _ in range(iterations):
        labels = np.argmax(x @ c.T, axis=1)
        new = np.array([x[labels == j].mean(axis=0) if np.any(labels == j) else c[j] for j in range(k)])
        new = _normalised(new)
        if np.allclose(new, c):
            break
        c = new
    labels = np.argmax(x @ c.T, axis=1)
    return c, np.bincount(labels, minlength=k)


def topic_shares(question_vectors, centroids):
    """Share of the questions whose nearest centroid is each one."""
    if len(question_vectors) == 0:
        return np.zeros(len(centroids))
    labels = np.argmax(_normalised(np.asarray(question_vectors, dtype=np.float64)) @ np.asarray(centroids).T, axis=1)
    return np.bincount(labels, minlength=len(centroids)) / len(labels)


def score_shares(scores):
    counts, _ = np.histogram(np.clip(np.asarray(scores, dtype=np.float64), 0, 1), bins=TOP_SCORE_EDGES)
    return counts / max(1, len(scores))


def rate_shares(flags):
    flags = [bool(f) for f in flags]
    rate = sum(flags) / len(flags) if flags else 0.0
    return np.array([1 - rate, rate])


def psi(reference, recent):
    """Population stability index: sum (recent - reference) ln(recent / reference)."""
    b, r = _smoothed(reference), _smoothed(recent)
    return float(np.sum((r - b) * np.log(r / b)))


def kl(reference, recent):
    """KL divergence of the recent window from the reference one."""
    b, r = _smoothed(reference), _smoothed(recent)
    return float(np.sum(r * np.log(r / b)))


def _smoothed(shares):
    s = np.asarray(shares, dtype=np.float64) + EPSILON
    return s / s.sum()


def _normalised(x):
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n == 0, 1, n)
