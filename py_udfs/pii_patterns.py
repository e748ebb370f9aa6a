"""The structured PII types of py_udfs/pii.py: e-mail addresses, phone
numbers, Argentine DNI and CUIT/CUIL, credit-card numbers and IBANs, each a
pattern with its check (check digit, Luhn, mod-97, phone metadata) and the
context words that raise or lower its score. Also the Span every detector
returns and the per-process cache of the libraries and models they load."""
import re
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    type: str
    start: int
    end: int
    score: float

    def as_dict(self):
        return {"type": self.type, "start": self.start, "end": self.end, "score": round(self.score, 3)}



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


FINDERS = {"EMAIL": _find_emails, "PHONE": _find_phones, "DNI": _find_dnis, "CUIT": _find_cuits,
               "CREDIT_CARD": _find_cards, "IBAN": _find_ibans}


# ------------------------------------------------- lazy, cached engines

_lock = threading.Lock()
_loaded = {}


def cached(key, build):
    """build() once per process (a library or a model), under a lock."""
    if key not in _loaded:
        with _lock:
            if key not in _loaded:
                _loaded[key] = build()
    return _loaded[key]


def _phonenumbers():
    def build():
        import phonenumbers
        return phonenumbers
    return cached("phonenumbers", build)


def _stdnum_iban():
    def build():
        from stdnum import iban
        return iban
    return cached("stdnum.iban", build)
