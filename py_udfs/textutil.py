"""Language detection, sentence splitting and lexical normalisation shared by
chunking, extractive answering and support checks."""
import re
import unicodedata

_STOP_ES = set("""a al algo algunas algunos ante antes como con contra cual cuales cuando cuanto cuantos
de del desde donde dos el ella ellas ellos en entre era eran es esa esas ese eso esos esta estaba estas
este esto estos fue fueron ha habia han hasta hay la las le les lo los mas me mi mis mucho muy nada ni
no nos o otra otras otro otros para pero poco por porque que quien quienes se sea ser si sin sobre son
su sus tambien tan te tiene tienen toda todas todo todos tu un una unas uno unos y ya yo qué cuál cuáles
cómo dónde cuándo cuánto cuántos quién quiénes está están según aplica""".split())
_STOP_EN = set("""a about after all also an and any are as at be been before but by can could did do does
for from had has have he her his how i if in into is it its may more most my no not of on or other our
out over she should so some such than that the their them then there these they this those through to
under up was we were what when where which while who whom why will with would you your""".split())

_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text):
    """Lower-case and strip accents (á → a, ñ → n)."""
    nfkd = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in nfkd if not unicodedata.combining(c))


def detect_language(text):
    """'es', 'en' or 'simple' (undecided), by stop-word and orthography votes."""
    if not text:
        return "simple"
    sample = text[:5000].lower()
    words = _WORD.findall(sample)
    es = sum(1 for w in words if w in _STOP_ES)
    en = sum(1 for w in words if w in _STOP_EN)
    es += 2 * len(re.findall(r"[ñ¿¡áéíóú]|ci[oó]n(es)?\b|mente\b|idad(es)?\b", sample))
    en += 2 * len(re.findall(r"\w(tion|ing|ness|ship)s?\b", sample))
    if es == en == 0:
        return "simple"
    if es >= en * 1.2 or (es > en and len(words) < 8):
        return "es"
    if en >= es * 1.2 or en > es:
        return "en"
    return "simple"


# A sentence ends at . ! ? … (optionally closed by quotes/brackets) followed by
# whitespace and something that can start a sentence. Common abbreviations and
# decimals do not end sentences.
_ABBREV = {"sr", "sra", "srta", "dr", "dra", "ud", "uds", "etc", "p.ej", "e.g", "i.e", "mr", "mrs",
           "ms", "vs", "no", "núm", "art", "pág", "fig", "st", "jr", "inc", "ltd", "co", "av"}
_BOUNDARY = re.compile(r"([.!?…]+[\"'”’)\]]*)(\s+)(?=[\"'“‘(\[¿¡]?[\w])", re.UNICODE)


def split_sentences(text):
    """Split text into sentences, keeping their punctuation."""
    text = text.strip()
    if not text:
        return []
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        end = m.end(1)
        before = text[start:m.start(1)]
        last = before.rsplit(None, 1)[-1].lower() if before.split() else ""
        nxt = text[m.end():m.end() + 1]
        if m.group(1) == "." and (last.rstrip(".") in _ABBREV or (len(last) == 1 and last.isalpha())):
            continue
        if m.group(1) == "." and nxt.islower():
            continue
        out.append(text[start:end].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def content_terms(text):
    """Content words, folded and crudely stemmed (6-letter prefix), without
    stop words: language-agnostic enough for overlap scores in es and en."""
    terms = []
    for w in _WORD.findall(text.lower()):
        if w in _STOP_ES or w in _STOP_EN or len(w) < 2:
            continue
        f = fold(w)
        if f in _STOP_ES or f in _STOP_EN:
            continue
        terms.append(f[:6])
    return terms
