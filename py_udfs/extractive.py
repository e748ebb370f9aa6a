"""Which source sentences answer a question, and the extractive answer that
quotes them.

Each quotable sentence of the top sources (not a heading, fragment,
question or boilerplate, and carrying no injection finding) is scored by
its closeness to the question: the cosine of its vector, computed once at
ingest, to the question's (raised by the cross-lingual offset when the
source is in the other language), plus a bonus for the question's content
words it contains, minus a little per place its source ranks lower. The
best ones across all sources are quoted, best first, each once; a sentence
that refers back brings the one before it, a cut-off one (ending in a colon
or without a full stop) the one after it."""
import re
from functools import lru_cache

from . import source_guard
from .sentences import quotable
from .textutil import content_terms

OVERLAP_WEIGHT = 0.15
# A question and its answer in different languages score lower with the
# multilingual model: on XQuAD's parallel questions the gold sentence's
# cosine is 0.047 (es question, en sentence) to 0.058 (en over es) below the
# same-language pair's (median of 250 paired differences). A sentence in
# another language than the question gets this back, so that it competes
# with same-language ones and passes the same support thresholds.
CROSS_LINGUAL_OFFSET = 0.05
RANK_WEIGHT = 0.01  # per place a source stands below the first (chosen on the real-documents dev split)
_FULL_STOP = re.compile(r"[.!?…][\"'”’)\]]*$")


def _source_sentences(src):
    """[(sentence, may be quoted)] of a source, in order, as the ingest
    split them (so index n matches the stored sentence vectors)."""
    return _sentences_of(src["content"])


@lru_cache(maxsize=256)
def _sentences_of(content):
    # Scoring and quoting both walk a question's sources: split them once.
    findings = source_guard.findings_of(content)
    return tuple((source_guard.neutralize(s), quotable(s) and not flagged)
                 for _, _, s, flagged in source_guard.flagged_sentences(content, findings))


def _key(sentence):
    return " ".join(content_terms(sentence)) or sentence.lower()


def score_sentences(question, sources, embed, overlap_weight=None, rank_weight=None, language=None):
    """[(score, cosine, overlap, n, sentence)] best first, one row per
    distinct sentence (a sentence repeated by overlapping chunks counts
    once, under its best-ranked source). A source's `sentence_cosine`
    ({index: cosine}, from the stored vectors) is used when present; the
    other sentences are embedded now: `embed(texts, is_query)` returns
    normalised vectors, the question first. With the question's `language`,
    a source in the other language gets CROSS_LINGUAL_OFFSET added."""
    q_terms = set(content_terms(question))
    cands, seen = [], set()
    shift = {}
    for n, src in enumerate(sources, start=1):
        other = src.get("language") in ("es", "en") and language in ("es", "en") and src["language"] != language
        shift[n] = CROSS_LINGUAL_OFFSET if other else 0.0
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
    for c in cands:
        c[2] += shift[c[0]]
    ow = OVERLAP_WEIGHT if overlap_weight is None else overlap_weight
    rw = RANK_WEIGHT if rank_weight is None else rank_weight
    scored = []
    for n, s, cos in cands:
        overlap = len(q_terms & set(content_terms(s))) / len(q_terms) if q_terms else 0.0
        scored.append((cos + ow * overlap - rw * (n - 1), cos, overlap, n, s))
    scored.sort(key=lambda r: r[0], reverse=True)
    return scored


# Words that, early in a sentence, point back at the one before ("Members
# of this group can ..."): quoted alone, the sentence loses its subject.
_REFERS_BACK = {"this", "these", "that", "those", "it", "its", "they", "their", "such", "este", "esta", "estos",
                "estas", "ese", "esa", "esos", "esas", "dicho", "dicha", "ello"}


def _cut_off(sentence):
    return sentence.endswith(":") or not _FULL_STOP.search(sentence)


def _refers_back(sentence):
    return any(w.strip(",.;:").lower() in _REFERS_BACK for w in sentence.split()[:4])


def _usable_neighbour(sents, i):
    """Whether sentence i of a source may stand beside a quoted one: in
    range, not withheld, a sentence and no question."""
    if not 0 <= i < len(sents):
        return False
    text, ok = sents[i]
    return ok or (len(text.split()) >= 2 and not text.rstrip().endswith("?"))


def extractive(scored, sources=None, max_sentences=2, margin=0.05):
    """Quote the best sentences (within `margin` of the best), each followed
    by its citation and quoted once; a sentence that refers back brings the
    one before it, a cut-off one the one after it."""
    best = scored[0][0]
    picked = [r for r in scored[:max_sentences] if r[0] >= best - margin]
    parts, quoted = [], set()
    for _, _, _, n, s in picked:
        sents = _source_sentences(sources[n - 1]) if sources else []
        i = next((j for j, (t, _) in enumerate(sents) if t == s), None)
        if i is None:
            group = [s]
        else:
            idx = [i]
            if _refers_back(s) and _usable_neighbour(sents, i - 1):
                idx.insert(0, i - 1)
            if _cut_off(s) and _usable_neighbour(sents, i + 1):
                idx.append(i + 1)
            group = [sents[j][0] for j in idx if (n, j) not in quoted]
            quoted.update((n, j) for j in idx)
        if group:
            parts.append(f"{' '.join(group)} [{n}]")
    return " ".join(parts)
