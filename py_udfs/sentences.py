"""Sentences of a chunk as the answer path sees them: where they are (spans
into the chunk's text, computed once at ingest with the sentence vectors)
and which of them an answer may quote."""
import bisect
import re

from .textutil import split_sentences

MIN_WORDS = 5  # shorter ones are headings, labels or fragments, not answers

# Page furniture and templates that survive a reader: navigation ("Next:
# … Previous: … Up:"), licence templates ("<name of author>", "[yyyy]"),
# link lists.
_NAVIGATION = re.compile(r"^\W*(next|previous|prev|up|home|skip to|back to|go to)\b\s*[:»>|]", re.I)
_TEMPLATE = re.compile(r"<(?:year|name|program|one line|signature)[^>]{0,40}>|\[(?:yyyy|name of copyright owner)\]",
                       re.I)
_URL = re.compile(r"https?://\S+")


def spans(text):
    """(start, end, sentence) for the sentences of `text` (paragraphs split
    on blank lines, whitespace collapsed), with offsets into `text`."""
    out, pos = [], 0
    for para in text.split("\n\n"):
        words = [(m.start() + pos, m.end() + pos) for m in re.finditer(r"\S+", para)]
        norm_starts, n = [], 0
        for s, e in words:
            norm_starts.append(n)
            n += e - s + 1
        norm = " ".join(text[s:e] for s, e in words)
        cursor = 0
        for sent in split_sentences(norm):
            k = norm.find(sent, cursor)
            cursor = k + len(sent)
            first = bisect.bisect_right(norm_starts, k) - 1
            last = bisect.bisect_right(norm_starts, cursor - 1) - 1
            out.append((words[first][0], words[last][1], sent))
        pos += len(para) + 2
    return out


def is_question(sentence):
    """A question is no answer: an FAQ heading or a table-of-contents line that
    repeats the question would otherwise be quoted, and count as support."""
    return sentence.rstrip(" \"'”»)").endswith("?")


def is_boilerplate(sentence):
    words = sentence.split()
    letters = sum(ch.isalpha() for ch in sentence)
    return bool(_NAVIGATION.match(sentence) or _TEMPLATE.search(sentence)
                or len(_URL.findall(sentence)) * 4 >= len(words)
                or letters < 0.5 * len(sentence.replace(" ", "")))


def quotable(sentence):
    """May an answer quote it (and may it count as support)?"""
    return len(sentence.split()) >= MIN_WORDS and not is_question(sentence) and not is_boilerplate(sentence)


def embedded_spans(content):
    """The sentences of a chunk that get a vector at ingest: [(n, start, end,
    sentence)], n counting every sentence of the chunk."""
    return [(n, s, e, sent) for n, (s, e, sent) in enumerate(spans(content)) if quotable(sent)]
