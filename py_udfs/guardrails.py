"""Prompt-injection guardrails, pure Python: find instruction-like content in
documents (at ingest and at answer time) and in questions, make source text
safe to fence, fence the sources for the LLM, and recognise an answer that
obeyed a planted instruction.

Rules are regular expressions over a *view* of the text: lower-cased, accents
folded, typographic quotes made ASCII and invisible characters removed (so
"ig<U+200B>nore" is still "ignore"); findings carry offsets into the
original text. The label rules they implement, and the measured precision and
recall, are in data/guardrails/README.md."""
import bisect
import re
import unicodedata
from functools import lru_cache

from . import injection_patterns as patterns
from .textutil import split_sentences

KINDS = ("override", "role_marker", "hidden_text", "exfiltration")

# --- the view -----------------------------------------------------------------


def _fold_table():
    table = {}
    for cp in range(0xC0, 0x250):
        base = "".join(c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c))
        if len(base) == 1 and base != chr(cp):
            table[cp] = base
    table.update({ord(a): b for a, b in zip("‘’‚‛“”„‟«»‹›", "''''\"\"\"\"\"\"''")})
    return table


_FOLD = _fold_table()


def _view(text):
    """(view, index): the matching view of `text` and, when its offsets
    differ from the original's, the original offset of each view character."""
    stripped = patterns.INVISIBLE.sub("", text)
    folded = stripped.translate(_FOLD).lower()
    if stripped == text and len(folded) == len(text):
        return folded, None
    chars, index = [], []
    for i, ch in enumerate(text):
        if patterns.INVISIBLE.match(ch):
            continue
        for f in ch.translate(_FOLD).lower():  # a few characters lower-case to two
            chars.append(f)
            index.append(i)
    return "".join(chars), index


def _span(index, start, end):
    if index is None:
        return start, end
    if start >= len(index):
        return index[-1] + 1, index[-1] + 1
    return index[start], index[max(start, end - 1)] + 1


# --- findings -------------------------------------------------------------------
# Internally a finding is (kind, start, end, excerpt-or-None) in original
# offsets; the excerpt is the text itself unless the text is invisible.


def _excerpt(text, start, end):
    excerpt = " ".join(patterns.INVISIBLE.sub("", text[start:end]).split())
    return excerpt if len(excerpt) <= 200 else excerpt[:197] + "..."


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")


def _to_sentence_end(view, pos, limit=300):
    """Where the sentence containing `pos` ends: an override's excerpt is the
    whole instruction, and that is what an obedient model would repeat."""
    m = _SENTENCE_END.search(view, pos, min(len(view), pos + limit))
    return m.end() if m else min(len(view), pos + limit)


def _override_spans(view, rules):
    return [(m.start(), _to_sentence_end(view, m.end()))
            for rx in patterns.runnable(rules, patterns.word_keys(view)) for m in rx.finditer(view)]


def _template_spans(view):
    spans = []
    for m in patterns.TEMPLATE_TOKEN.finditer(view):
        end = m.end()
        for opening, closing in patterns.PAIRED:
            if opening.fullmatch(m.group()):
                c = closing.search(view, m.end(), m.end() + 1500)
                if c:
                    end = c.end()
                else:
                    newline = view.find("\n", m.end())
                    end = newline if newline != -1 else len(view)
                break
        else:
            if m.group().lstrip().startswith("#"):  # an Alpaca header runs to the next blank line
                blank = view.find("\n\n", m.end())
                end = blank if blank != -1 else len(view)
        spans.append((m.start(), max(end, m.end())))
    return spans


def _role_label_spans(view, in_question=False):
    """Line-initial LLM role labels that open a turn: followed by words
    addressed to the model, or alternating user/assistant lines where the
    user side asks something. A glossary entry ("System: the combination of
    hardware…") is neither. In a question any such label is a forged turn."""
    labels = [(m.start(), m.end(), m.group(1), m.group(2).strip()) for m in patterns.ROLE_LABEL.finditer(view)]
    if not labels:
        return []
    if in_question:
        return [(s, e) for s, e, _, _ in labels]
    roles = {r for _, _, r, _ in labels}
    dialogue = (roles & patterns.USER_SIDE and roles & patterns.MODEL_SIDE
                and any(patterns.QUESTION_LIKE.search(c) for _, _, r, c in labels if r in patterns.USER_SIDE))
    return [(s, e) for s, e, r, c in labels if dialogue or patterns.ADDRESSED.search(c)]


def _instruction_like(view_fragment):
    rules = patterns.runnable(patterns.OVERRIDE_RE, patterns.word_keys(view_fragment))
    return (any(rx.search(view_fragment) for rx in rules) or bool(patterns.TELLS_READER.search(view_fragment))
            or (bool(patterns.AI_MENTION.search(view_fragment)) and len(view_fragment.split()) >= 4))


def _hidden_markup_spans(view):
    """HTML comments and elements hidden by style that carry instructions:
    markup comments, TODO notes, collapsed menus and accordions do not."""
    spans = [(m.start(), m.end()) for m in patterns.COMMENT.finditer(view) if _instruction_like(m.group(1))]
    for m in patterns.HIDDEN_ELEMENT.finditer(view):
        if patterns.HIDDEN_STYLE.search(m.group(2)) and _instruction_like(re.sub(r"<[^>]*>", " ", m.group(3))):
            spans.append((m.start(), m.end()))
    return spans


def _is_emoji_joiner(text, m):
    if m.group() != "\u200d":
        return False
    before, after = text[m.start() - 1:m.start()], text[m.end():m.end() + 1]
    emoji = patterns.EMOJI_ZWJ_NEIGHBOUR
    return bool(before and after and emoji.match(before) and emoji.match(after))


def _is_flag_sequence(text, m):
    """Subdivision flags (England, Scotland, Wales) are black flag + tags."""
    return text[m.start() - 1:m.start()] == patterns.BLACK_FLAG and m.group().endswith("\U000e007f")


def _decode_tags(s):
    return "".join(chr(ord(c) - 0xE0000) if 0xE0000 <= ord(c) <= 0xE007F else c for c in s)


def _invisible_findings(text):
    """Characters a reader cannot see: tag characters (ASCII smuggling), bidi
    overrides and isolates, runs of zero-width characters. A leading byte
    order mark, joiners inside emoji and a stray zero-width space or two are
    ordinary copy-and-paste debris."""
    out = []
    for m in patterns.TAG_RUN.finditer(text):
        if not _is_flag_sequence(text, m):
            out.append(("hidden_text", m.start(), m.end(), f"tag characters: {_decode_tags(m.group())!r}"))
    for m in patterns.BIDI_RUN.finditer(text):
        codes = " ".join(f"U+{ord(c):04X}" for c in m.group())
        around = patterns.INVISIBLE.sub("", text[max(0, m.start() - 25):m.end() + 25])
        out.append(("hidden_text", m.start(), m.end(), f"bidi control {codes} in {around!r}"))
    runs = [m for m in patterns.ZERO_WIDTH_RUN.finditer(text)
            if not (m.start() == 0 and m.group() == "\ufeff") and not _is_emoji_joiner(text, m)]
    if sum(len(m.group()) for m in runs) >= 3:
        out += [("hidden_text", m.start(), m.end(), f"{len(m.group())} zero-width character(s)") for m in runs]
    out += [("hidden_text", m.start(), m.end(), f"{len(m.group())} variation selectors")
            for m in patterns.VS_RUN.finditer(text)]
    return out


def _exfiltration_spans(view):
    spans = []
    for m in patterns.MD_LINK.finditer(view):
        placeholders = " ".join(p.group() for p in patterns.PLACEHOLDER.finditer(m.group(3)))
        if placeholders and patterns.DATA_IN_PLACEHOLDER.search(placeholders):
            spans.append((m.start(), m.end()))
    for rx in (patterns.SEND, patterns.DATA_THEN_SEND, patterns.APPEND_TO_URL):
        for m in rx.finditer(view):
            if not patterns.NEGATED.search(view[max(0, m.start() - 20):m.start()]):
                spans.append((m.start(), _to_sentence_end(view, m.end())))
    return spans


def _merge(raw):
    """One finding per kind and stretch of text, in text order."""
    out = []
    for kind, s, e, excerpt in sorted(raw, key=lambda r: (r[1], r[2])):
        prev = next((p for p in reversed(out) if p[0] == kind), None)
        if prev is not None and s < prev[2]:
            if e > prev[2]:
                prev[2] = e
                prev[3] = None if prev[3] is None or excerpt is None else prev[3]
            continue
        out.append([kind, s, e, excerpt])
    return out


# --- obfuscated instructions ----------------------------------------------------
# An instruction can be spelt so that no rule reads it: leetspeak ("1gn0r3"),
# letters spaced out ("i g n o r e"), or an encoding (base64, base32, hex,
# binary octets, percent-encoding). The first two get a second view of the
# same length, so offsets still hold; encoded runs are decoded and scanned.


def _respell(word, spaced=False):
    plain = word.replace(" ", "") if spaced else word.translate(patterns.LEET)
    return plain.ljust(len(word)) if plain in patterns.ATTACK_WORDS else word


def _respelled_view(view):
    """The view with leetspeak and spaced-out letters spelt plainly where
    they spell an attack word, at the same length; None when nothing was."""
    if not patterns.MAY_BE_RESPELT.search(view):
        return None
    out = patterns.LEET_WORD.sub(lambda m: _respell(m.group()), view)
    out = patterns.SPACED.sub(lambda m: _respell(m.group(), spaced=True), out)
    return out if out != view else None


def _decode(kind, s):
    import base64
    import binascii
    from urllib.parse import unquote
    try:
        if kind == "base64":
            raw = base64.b64decode(s + "=" * (-len(s) % 4))
        elif kind == "base32":
            raw = base64.b32decode(s + "=" * (-len(s) % 8))
        elif kind == "hex":
            raw = binascii.unhexlify(s)
        elif kind == "binary":
            raw = bytes(int(b, 2) for b in s.split())
        else:
            return unquote(s)
        decoded = raw.decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    printable = sum(c.isprintable() or c.isspace() for c in decoded)
    return decoded if decoded and printable / len(decoded) > 0.95 else None


def _encoded_findings(text):
    out = []
    for kind, rx in patterns.ENCODED:
        for m in rx.finditer(text):
            decoded = _decode(kind, m.group())
            if decoded and len(decoded.split()) >= 2:
                found = injection_findings(decoded)
                if found:
                    out.append(("override", m.start(), m.end(), f"{kind}: {decoded[:160]!r}"))
    return out


def _scan(text, question=False):
    """Raw findings (kind, start, end, excerpt-or-None), and the view."""
    view, index = _view(text)
    # Each detector needs a character most prose lacks; checking for it first
    # is far cheaper than running the patterns.
    markup = "<" in view
    rules = patterns.OVERRIDE_RE + (patterns.QUESTION_RE if question else [])
    spans = {
        "override": _override_spans(view, rules),
        "role_marker": ((_template_spans(view) if markup or "[" in view or "#" in view else [])
                        + (_role_label_spans(view, in_question=question) if ":" in view else [])),
        "hidden_text": _hidden_markup_spans(view) if markup else [],
        "exfiltration": _exfiltration_spans(view) if "http" in view or "@" in view else [],
    }
    respelled = _respelled_view(view)
    if respelled is not None:
        spans["override"] += _override_spans(respelled, rules)
    raw = [(kind, *_span(index, vs, ve), None) for kind, lst in spans.items() for vs, ve in lst]
    if patterns.MAY_BE_ENCODED.search(text):
        raw += _encoded_findings(text)
    if "DAN" in text:
        raw += [("override", m.start(), m.end(), None) for m in patterns.DAN.finditer(text)]
    if patterns.HAS_INVISIBLE.search(text):
        raw += _invisible_findings(text)
    return raw, view, index


def _as_dicts(text, merged):
    return [{"kind": k, "start": s, "end": e, "excerpt": x if x is not None else _excerpt(text, s, e)}
            for k, s, e, x in merged]


def injection_findings(text):
    """Instruction-like content in a document: a list of {"kind", "start",
    "end", "excerpt"} (offsets into `text`), empty for ordinary text."""
    if not text:
        return []
    return _as_dicts(text, _merge(_scan(text)[0]))


def question_findings(question):
    """A question that tries to override the system (jailbreak phrasing,
    role markers, asking for the prompt): the same shape as
    injection_findings."""
    if not question:
        return []
    raw, view, index = _scan(question, question=True)
    quoted = [_span(index, m.start(), m.end()) for m in patterns.QUOTED.finditer(view)]
    if quoted and patterns.ASKS_ABOUT.search(view):
        raw = [r for r in raw if not (r[0] == "override" and any(s <= r[1] < e for s, e in quoted))]
    return _as_dicts(question, _merge(raw))


# --- sentences ------------------------------------------------------------------


def sentence_spans(text):
    """(start, end, sentence) for the sentences of `text` as the answer path
    sees them (paragraphs split on blank lines, whitespace collapsed), with
    offsets into `text`."""
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
        if (m.start() == 0 and m.group() == "\ufeff") or _is_emoji_joiner(text, m):
            return m.group() if m.group() != "\ufeff" else ""
        return ""

    def tags(m):
        return m.group() if _is_flag_sequence(text, m) else ""
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
    view, _ = _view(text)
    turns = _role_label_spans(view)
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
    return patterns.INVISIBLE.sub("", _decode_tags(text[f["start"]:f["end"]]))


def _norm(s):
    return " ".join(patterns.INVISIBLE.sub("", s).translate(_FOLD).lower().split())


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
