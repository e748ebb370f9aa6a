"""Which source sentences answer a question, and the extractive answer that
quotes them.

Each quotable sentence of the top sources (not a heading, fragment,
question or boilerplate, and carrying no injection finding) is scored by
its closeness to the question: the cosine of its vector, computed once at
ingest, to the question's, plus a bonus for the question's content words it
contains. The best ones across all sources are quoted, best first, each
once, with the sentence that follows when the best one is cut off (it ends
in a colon or without a full stop)."""
import re

from . import source_guard
from .sentences import quotable
from .textutil import content_terms

OVERLAP_WEIGHT = 0.15
_FULL_STOP = re.compile(r"[.!?…][\"'”’)\]]*$")


def _source_sentences(src):
    """[(sentence, may be quoted)] of a source, in order, as the ingest
    split them (so index n matches the stored sentence vectors)."""
    findings = source_guard.findings_of(src["content"])
    return [(source_guard.neutralize(s), quotable(s) and not flagged)
            for _, _, s, flagged in source_guard.flagged_sentences(src["content"], findings)]


def _key(sentence):
    return " ".join(content_terms(sentence)) or sentence.lower()


def score_sentences(question, sources, embed):
    """[(score, cosine, overlap, n, sentence)] best first, one row per
    distinct sentence (a sentence repeated by overlapping chunks counts
    once, under its best-ranked source). A source's `sentence_cosine`
    ({index: cosine}, from the stored vectors) is used when present; the
    other sentences are embedded now: `embed(texts, is_query)` returns
    normalised vectors, the question first."""
    q_terms = set(content_terms(question))
    cands, seen = [], set()
    for n, src in enumerate(sources, start=1):
        stored = src.get("sentence_cosine") or {}
        for i, (s, ok) in enumerate(_source_sentences(src)):
            if ok and _key(s) not in seen:
                seen.add(_key(s))
                cands.append([n, s, stored.get(i)])
    missing = [c for c in cands if c[2] is None]
    if missing:
        vecs = embed([question] + [c[1] for c in missing], None)
        for c, cos in zip(missing, vecs[1:] @ vecs[0]):
            c[2] = float(cos)
    scored = []
    for n, s, cos in cands:
        overlap = len(q_terms & set(content_terms(s))) / len(q_terms) if q_terms else 0.0
        scored.append((cos + OVERLAP_WEIGHT * overlap, cos, overlap, n, s))
    scored.sort(key=lambda r: r[0], reverse=True)
    return scored


def _cut_off(sentence):
    return sentence.endswith(":") or not _FULL_STOP.search(sentence)


def _following(sources, n, sentence):
    """The sentence after `sentence` in source n, when it may be quoted."""
    sents = _source_sentences(sources[n - 1])
    for i, (s, _) in enumerate(sents[:-1]):
        if s == sentence:
            nxt, ok = sents[i + 1]
            return nxt if ok or len(nxt.split()) >= 2 else None
    return None


def extractive(scored, sources=None, max_sentences=2, margin=0.05):
    """Quote the best sentences (within `margin` of the best), each followed
    by its citation; a cut-off sentence brings the one after it."""
    best = scored[0][0]
    picked = [r for r in scored[:max_sentences] if r[0] >= best - margin]
    parts = []
    for _, _, _, n, s in picked:
        if sources and _cut_off(s):
            nxt = _following(sources, n, s)
            if nxt:
                s = f"{s} {nxt}"
        parts.append(f"{s} [{n}]")
    return " ".join(parts)
