"""Chunking on paragraph and sentence boundaries within a size budget."""
from .textutil import split_sentences
import re

_PARA = re.compile(r"\n\s*\n")


def _split_long(sentence, max_chars):
    """A sentence longer than the budget is the only thing ever cut: at word
    boundaries, or hard when a single word is longer still."""
    pieces, cur = [], ""
    for word in sentence.split():
        while len(word) > max_chars:
            if cur:
                pieces.append(cur)
                cur = ""
            pieces.append(word[:max_chars])
            word = word[max_chars:]
        if cur and len(cur) + 1 + len(word) > max_chars:
            pieces.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    if cur:
        pieces.append(cur)
    return pieces


def chunk_text(text, max_chars=1000, overlap_chars=200):
    """Return a list of chunk strings.

    Units are sentences; paragraph breaks are kept inside a chunk. A chunk is
    filled up to max_chars; the next one starts with the trailing sentences of
    the previous one that fit in overlap_chars (never the whole chunk).
    """
    if max_chars < 50:
        raise ValueError("max_chars must be at least 50")
    if overlap_chars < 0 or overlap_chars >= max_chars:
        raise ValueError("overlap_chars must be >= 0 and smaller than max_chars")
    units = []  # (text, starts_paragraph, first piece of a sentence that had to be cut)
    for para in _PARA.split(text or ""):
        para = " ".join(para.split())
        if not para:
            continue
        first = True
        for sent in split_sentences(para):
            if len(sent) <= max_chars:
                units.append((sent, first, False))
            else:
                for i, piece in enumerate(_split_long(sent, max_chars)):
                    units.append((piece, first and i == 0, i == 0))
            first = False
    chunks, cur = [], []  # cur: list of (text, starts_paragraph)

    def length(us):
        return sum(len(u[0]) for u in us) + max(0, len(us) - 1) * 2

    def render(us):
        out = ""
        for i, (t, para, _) in enumerate(us):
            out += t if i == 0 else ("\n\n" if para else " ") + t
        return out

    new_since_emit = 0
    for unit in units:
        # The pieces of a cut sentence start a chunk of their own, without overlap.
        if cur and (unit[2] or length(cur + [unit]) > max_chars):
            chunks.append(render(cur))
            new_since_emit = 0
            tail = []
            for u in reversed(cur):
                if length([u] + tail) > overlap_chars or len(tail) + 1 >= len(cur):
                    break
                tail.insert(0, u)
            cur = tail if not unit[2] and length(tail + [unit]) <= max_chars else []
        cur.append(unit)
        new_since_emit += 1
    if cur and new_since_emit:
        chunks.append(render(cur))
    return chunks
