"""What the answer path does with prompt-injection findings
(py_udfs/guardrails.py): split sources into sentences and withhold the
flagged ones, make source text safe to fence, fence the sources for the LLM,
and recognise an answer that obeyed a planted instruction."""
import bisect
import re
from functools import lru_cache

from . import injection_patterns as patterns, injection_words
from .guardrails import (FOLD, decode_tags, injection_findings, is_emoji_joiner, is_flag_sequence,
                         role_label_spans, text_view)
from .sentences import spans as sentence_spans


# --- sentences ------------------------------------------------------------------

def flagged_sentences(text, findings):
    """(start, end, sentence, flagged) for each sentence of `text`: flagged
    when a finding overlaps it. One sweep over both, sorted: a document with
    thousands of findings costs no more than it has sentences and findings."""
    ordered = sorted((f["start"], f["end"]) for f in findings)
    out, i, reach = [], 0, -1
    for start, end, sentence in sentence_spans(text):
        while i < len(ordered) and ordered[i][0] < end:
            reach = max(reach, ordered[i][1])  # the furthest end among findings that start before this sentence ends
            i += 1
        out.append((start, end, sentence, reach > start))
    return out


@lru_cache(maxsize=512)
def _cached_findings(text):
    return tuple(tuple(f.items()) for f in injection_findings(text))


def findings_of(text):
    """injection_findings, memoised: the answer path asks for the same few
    sources several times per question."""
    return [dict(f) for f in _cached_findings(text)]


def withhold_flagged(text, findings=None, marker="[…]"):
    """(text without the sentences that hold a finding, how many were
    withheld). Each withheld sentence becomes `marker`; '' drops it."""
    findings = findings_of(text) if findings is None else findings
    if not findings:
        return text, 0
    pieces, last, n = [], 0, 0
    for s, e, _, flagged in flagged_sentences(text, findings):
        if flagged:
            pieces.append(text[last:s] + marker)
            last, n = e, n + 1
    pieces.append(text[last:])
    return ("".join(pieces), n) if n else (text, 0)


# --- neutralize and fence -------------------------------------------------------


def _strip_invisible(text):
    def zero_width(m):
        if (m.start() == 0 and m.group() == "\ufeff") or is_emoji_joiner(text, m):
            return m.group() if m.group() != "\ufeff" else ""
        return ""

    def tags(m):
        return m.group() if is_flag_sequence(text, m) else ""
    text = patterns.ZERO_WIDTH_RUN.sub(zero_width, text)
    text = patterns.TAG_RUN.sub(tags, text)
    return patterns.STRIP_ALWAYS.sub("", text)


def neutralize(text):
    """Source text safe inside a fence: invisible characters out, template
    tokens and turn-opening role labels defused (‹im_start›, «Assistant»:),
    fence look-alikes defused. Ordinary text comes back unchanged."""
    if not text:
        return text or ""
    text = _strip_invisible(text)
    view, _ = text_view(text)
    turns = role_label_spans(view)
    if turns:
        newlines = [m.start() for m in re.finditer("\n", view)]
        lines = text.split("\n")
        for i in {bisect.bisect_right(newlines, s) for s, _ in turns}:
            lines[i] = patterns.ROLE_LABEL_ORIGINAL.sub("\\1\u00ab\\2\u00bb\\3", lines[i], count=1)
        text = "\n".join(lines)
    for rx, repl in patterns.TEMPLATE_DEFUSE:
        text = rx.sub(repl, text)
    return patterns.FENCE_COLLISION.sub("\u2039\\1\\2", text)


def fence_sources(sources, nonce):
    """The sources as data for the user message: each one inside
    <source-NONCE n="N"> … </source-NONCE>, headed by "[N] title" so [N]
    citations keep working. `nonce` must be unguessable (secrets.token_hex(8)):
    a document cannot forge the closing tag without it."""
    if not isinstance(nonce, str) or not patterns.NONCE.fullmatch(nonce):
        raise ValueError("fence nonce must be 8 to 64 letters or digits")
    blocks = []
    for n, src in enumerate(sources, start=1):
        title = " ".join(neutralize(src.get("title") or "").split())
        blocks.append(f'<source-{nonce} n="{n}">\n[{n}] {title}\n{neutralize(src["content"]).strip()}\n'
                      f"</source-{nonce}>")
    return "\n\n".join(blocks)


# --- did an answer obey a planted instruction? ----------------------------------


def _instruction_text(text, f):
    """What a finding says, smuggled tag characters decoded: the span itself,
    not its whole sentence, so the facts of an ordinary sentence that merely
    holds an instruction are not taken for its payload."""
    return injection_words.INVISIBLE.sub("", decode_tags(text[f["start"]:f["end"]]))


def _norm(s):
    return " ".join(injection_words.INVISIBLE.sub("", s).translate(FOLD).lower().split())


def planted_payloads(text, findings=None):
    """Strings an obedient model would repeat from the instructions found in
    `text` (quoted replies, "the word X", capitalised slogans, bot and brand
    names, link hosts and addresses, numbers) that its unflagged sentences do not
    contain: a legitimate answer has no reason to say them."""
    findings = findings_of(text) if findings is None else findings
    if not findings:
        return set()
    clean = _norm(withhold_flagged(text, findings, marker=" ")[0])
    found = set()
    for f in findings:
        ctx = _instruction_text(text, f)
        if not ctx.strip():  # zero-width or bidi characters: hidden, but nothing to repeat
            continue
        cands = [next(g for g in m.groups() if g) for m in patterns.PAYLOAD_QUOTED.finditer(ctx)]
        cands += [m.group(1) for m in patterns.PAYLOAD_WORD.finditer(ctx)]
        cands += [m.group() for m in patterns.PAYLOAD_CAPS.finditer(ctx) if m.group() not in patterns.NOT_PAYLOAD]
        cands += [m.group() for m in patterns.PAYLOAD_NAME.finditer(ctx)
                  if m.group().lower() not in ("chatbot", "robot")]
        cands += [m.group(1) or m.group() for m in patterns.PAYLOAD_LINK.finditer(ctx)]
        cands += [m.group() for m in patterns.PAYLOAD_NUMBER.finditer(ctx)]
        for c in cands:
            c = c.strip(" '\"¡!¿?.,;:")
            n = _norm(c)
            if len(n) >= 2 and not _contains(clean, n):
                found.add(c)
    return found


def _contains(haystack, needle):
    return re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", haystack) is not None


def echoed_payload(answer, payloads):
    """The first payload the answer repeats, or None."""
    a = _norm(answer)
    for p in sorted(payloads, key=len, reverse=True):
        if _contains(a, _norm(p)):
            return p
    return None
