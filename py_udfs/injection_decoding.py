"""Obfuscated instructions, for the prompt-injection guardrails
(py_udfs/guardrails.py)."""
from . import injection_patterns as patterns

# An instruction can be spelt so that no rule reads it: leetspeak ("1gn0r3"),
# letters spaced out ("i g n o r e"), or an encoding (base64, base32, hex,
# binary octets, percent-encoding). The first two get a second view of the
# same length, so offsets still hold; encoded runs are decoded and scanned.


def _respell(word, spaced=False):
    plain = word.replace(" ", "") if spaced else word.translate(patterns.LEET)
    return plain.ljust(len(word)) if plain in patterns.ATTACK_WORDS else word


def respelled_view(view):
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


def encoded_findings(text, find):
    out = []
    for kind, rx in patterns.ENCODED:
        for m in rx.finditer(text):
            decoded = _decode(kind, m.group())
            if decoded and len(decoded.split()) >= 2:
                found = find(decoded)
                if found:
                    out.append(("override", m.start(), m.end(), f"{kind}: {decoded[:160]!r}"))
    return out
