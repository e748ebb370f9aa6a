"""Prompt-injection guardrails, pure Python: find instruction-like content in
documents (at ingest and at answer time) and in questions. What the answer
path does with the findings (withhold, neutralize, fence, recognise an
obedient answer) is in source_guard.py.

Rules are regular expressions over a *view* of the text: lower-cased, accents
folded, typographic quotes made ASCII and invisible characters removed (so
"ig<U+200B>nore" is still "ignore"); findings carry offsets into the
original text. The label rules they implement, and the measured precision and
recall, are in data/guardrails/README.md."""
import re
import unicodedata

from . import injection_decoding, injection_patterns as patterns, injection_rules, injection_words

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


FOLD = _fold_table()


def text_view(text):
    """(view, index): the matching view of `text` and, when its offsets
    differ from the original's, the original offset of each view character."""
    stripped = injection_words.INVISIBLE.sub("", text)
    folded = stripped.translate(FOLD).lower()
    if stripped == text and len(folded) == len(text):
        return folded, None
    chars, index = [], []
    for i, ch in enumerate(text):
        if injection_words.INVISIBLE.match(ch):
            continue
        for f in ch.translate(FOLD).lower():  # a few characters lower-case to two
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
    excerpt = " ".join(injection_words.INVISIBLE.sub("", text[start:end]).split())
    return excerpt if len(excerpt) <= 200 else excerpt[:197] + "..."


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")


def _to_sentence_end(view, pos, limit=300):
    """Where the sentence containing `pos` ends: an override's excerpt is the
    whole instruction, and that is what an obedient model would repeat."""
    m = _SENTENCE_END.search(view, pos, min(len(view), pos + limit))
    return m.end() if m else min(len(view), pos + limit)


def _override_spans(view, rules):
    return [(m.start(), _to_sentence_end(view, m.end()))
            for rx in injection_rules.runnable(rules, injection_rules.word_keys(view)) for m in rx.finditer(view)]


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


def role_label_spans(view, in_question=False):
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
    rules = injection_rules.runnable(injection_rules.OVERRIDE_RE, injection_rules.word_keys(view_fragment))
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


def is_emoji_joiner(text, m):
    if m.group() != "\u200d":
        return False
    before, after = text[m.start() - 1:m.start()], text[m.end():m.end() + 1]
    emoji = patterns.EMOJI_ZWJ_NEIGHBOUR
    return bool(before and after and emoji.match(before) and emoji.match(after))


def is_flag_sequence(text, m):
    """Subdivision flags (England, Scotland, Wales) are black flag + tags."""
    return text[m.start() - 1:m.start()] == patterns.BLACK_FLAG and m.group().endswith("\U000e007f")


def decode_tags(s):
    return "".join(chr(ord(c) - 0xE0000) if 0xE0000 <= ord(c) <= 0xE007F else c for c in s)


def _invisible_findings(text):
    """Characters a reader cannot see: tag characters (ASCII smuggling), bidi
    overrides and isolates, runs of zero-width characters. A leading byte
    order mark, joiners inside emoji and a stray zero-width space or two are
    ordinary copy-and-paste debris."""
    out = []
    for m in patterns.TAG_RUN.finditer(text):
        if not is_flag_sequence(text, m):
            out.append(("hidden_text", m.start(), m.end(), f"tag characters: {decode_tags(m.group())!r}"))
    for m in patterns.BIDI_RUN.finditer(text):
        codes = " ".join(f"U+{ord(c):04X}" for c in m.group())
        around = injection_words.INVISIBLE.sub("", text[max(0, m.start() - 25):m.end() + 25])
        out.append(("hidden_text", m.start(), m.end(), f"bidi control {codes} in {around!r}"))
    runs = [m for m in patterns.ZERO_WIDTH_RUN.finditer(text)
            if not (m.start() == 0 and m.group() == "\ufeff") and not is_emoji_joiner(text, m)]
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



def _scan(text, question=False):
    """Raw findings (kind, start, end, excerpt-or-None), and the view."""
    view, index = text_view(text)
    # Each detector needs a character most prose lacks; checking for it first
    # is far cheaper than running the patterns.
    markup = "<" in view
    rules = injection_rules.OVERRIDE_RE + (injection_rules.QUESTION_RE if question else [])
    spans = {
        "override": _override_spans(view, rules),
        "role_marker": ((_template_spans(view) if markup or "[" in view or "#" in view else [])
                        + (role_label_spans(view, in_question=question) if ":" in view else [])),
        "hidden_text": _hidden_markup_spans(view) if markup else [],
        "exfiltration": _exfiltration_spans(view) if "http" in view or "@" in view else [],
    }
    respelled = injection_decoding.respelled_view(view)
    if respelled is not None:
        spans["override"] += _override_spans(respelled, rules)
    raw = [(kind, *_span(index, vs, ve), None) for kind, lst in spans.items() for vs, ve in lst]
    if patterns.MAY_BE_ENCODED.search(text):
        raw += injection_decoding.encoded_findings(text, injection_findings)
    if "DAN" in text:
        raw += [("override", m.start(), m.end(), None) for m in injection_rules.DAN.finditer(text)]
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
