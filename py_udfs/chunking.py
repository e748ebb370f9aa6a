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


# The document text's structure marks: Markdown ATX headings give the section
# path, a form feed starts a new page (the loader writes both; see
# ragsql/readers.py). A '#' line inside a fenced code block is code.
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


def sections(text):
    """[(heading path, page, body text)] in order: the text under each heading
    (pages counted from 1 when the text has form feeds, else None). A heading
    replaces those of its level and deeper in the path."""
    paged = "\f" in (text or "")
    out, path, page, body, fenced = [], [], 1 if paged else None, [], False

    def flush():
        if any(line.strip() for line in body):
            out.append((tuple(h for _, h in path), page, "\n".join(body)))
        body.clear()

    for n_page, page_text in enumerate((text or "").split("\f")):
        if n_page:
            flush()
            page += 1
        for line in page_text.split("\n"):
            if _FENCE.match(line):
                fenced = not fenced
            m = None if fenced else _HEADING.match(line)
            if m:
                flush()
                level = len(m.group(1))
                path = [(lv, h) for lv, h in path if lv < level] + [(level, " ".join(m.group(2).split()))]
            else:
                body.append(line)
    flush()
    return out


def chunk_document(text, max_chars=1000, overlap_chars=200):
    """[(chunk, section path, page)]: chunks never cross a heading or a page,
    so each one sits under one section path and on one page."""
    return [(c, path, page) for path, page, body in sections(text)
            for c in chunk_text(body, max_chars, overlap_chars)]
