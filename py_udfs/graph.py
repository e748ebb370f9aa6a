"""Entities and relations of a chunk, for GraphRAG (sql/idempotent/
150_graph.sql). Offline: capitalised name spans (Spanish and English rules,
legal suffixes such as S.A. kept with the name), with the English spaCy
NER pipeline's entities where it is installed; a relation links two
entities named in one sentence, typed by the words between them. With an
LLM: the same shape, asked for as JSON. The database merges spellings
(rag.entity_key), so this module only reports the names as written."""
import json
import re

from . import llm
from .pii_names import _ner_pipeline, _ner_lock
from .textutil import split_sentences

_UPPER = "A-ZÁÉÍÓÚÑÜ"
_WORD = rf"(?:[{_UPPER}][\wáéíóúñü'’&-]+)"  # two letters or more: "S" of "S.A." is the suffix's
_CONNECTOR = r"(?:de|del|de la|de los|de las|y|e|of|the|and|&|von|van|da|do)"
_LEGAL = r"(?:S\.A\.(?:S\.)?|S\.R\.L\.|S\.L\.|S\.A\.U\.|SA|SRL|Inc\.|Ltd\.|LLC|Corp\.|GmbH|PLC|plc|Cía\.)"
_SPAN = re.compile(rf"(?<![\w.]){_WORD}(?:\s+(?:{_CONNECTOR}\s+)?{_WORD})*(?:,?\s+{_LEGAL})?")
_LEGAL_END = re.compile(rf"\s*,?\s+{_LEGAL}$")
# Capitalised words that open sentences or label things far more often than
# they name something: a span made only of these is no entity.
_COMMON = set("""
el la los las lo un una unos unas su sus se de del en con por para sin sobre entre desde hasta y o e ni que
es fue son era este esta estos estas ese esa eso aquel al como cuando donde según también pero si no muy más
ya hay tiene tienen compra compran vende venden dirige dirigen publica ofrece ofrecen opera operan produce
trabaja trabajan fundada fundado empresa planta ficha perfil cliente proveedor transportista sus
the a an of in on at to for by with from as it its this that these those is was are were be has have had
he she they we you i his her their our there here when where what which who why how but or and not no
enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre diciembre
lunes martes miércoles jueves viernes sábado domingo
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
""".split())
_ORG_WORDS = set("""
distribuidora mayorista comercial almacenes molinos bodegas lácteos conservas textil papelera frigorífico cerámica
química vidriería plásticos oleaginosa transportes logística fletes expreso cargas camiones banco cooperativa
compañía grupo industrias laboratorio laboratorios universidad ministerio instituto fundación asociación
company group bank university ministry institute foundation association industries laboratories
""".split())
_NER_TYPES = {"PERSON": "person", "PER": "person", "ORG": "org", "GPE": "place", "LOC": "place",
              "FAC": "place", "NORP": "group", "PRODUCT": "product", "EVENT": "event", "LAW": "law"}
MAX_RELATION_WORDS = 6
MAX_ENTITIES_PER_SENTENCE = 8
# Entities of one chunk but not of one sentence are related more weakly
# ("X ... . Su proveedor es Y": the pronoun hides the subject), typed by the
# words before the later one; only the first ones of a long chunk, which
# keeps the pairs few.
SENTENCE_WEIGHT, CHUNK_WEIGHT, MAX_CHUNK_PAIRS_ENTITIES = 1.0, 0.5, 12


def _type_of(name):
    if _LEGAL_END.search(name):
        return "org"
    first = name.split()[0].lower()
    return "org" if first in _ORG_WORDS else "entity"


def _rule_spans(sentence):
    """(start, end, name, type) of the sentence's capitalised name spans.
    Leading common words go (a sentence opens with a capital anyway, and
    "Su proveedor" or "La planta" name nothing), and so do one- and
    two-letter leftovers."""
    out = []
    for m in _SPAN.finditer(sentence):
        words = m.group(0).strip(" ,").split()
        while words and (words[0].lower() in _COMMON or re.fullmatch(_CONNECTOR, words[0].lower())):
            words = words[1:]
        name = " ".join(words)
        if len(name) < 3 or all(w.lower() in _COMMON for w in words):
            continue
        start = sentence.find(name, m.start())
        out.append((start, start + len(name), name, _type_of(name)))
    return out


def _ner_spans(sentence, nlp):
    if nlp is None:
        return []
    with _ner_lock:
        doc = nlp(sentence)
    return [(e.start_char, e.end_char, e.text.strip(), _NER_TYPES[e.label_])
            for e in doc.ents if e.label_ in _NER_TYPES and len(e.text.strip()) >= 2]


def _merge(spans):
    """Overlapping spans: the longer wins; a typed one (NER, legal suffix)
    keeps its type when the rules found the same text untyped."""
    spans = sorted(spans, key=lambda s: (s[0], -(s[1] - s[0])))
    out = []
    for s in spans:
        if out and s[0] < out[-1][1]:
            if (s[0], s[1]) == (out[-1][0], out[-1][1]) and out[-1][3] == "entity":
                out[-1] = (out[-1][0], out[-1][1], out[-1][2], s[3])
            continue
        out.append(s)
    return out


def _relation_type(between):
    words = re.findall(r"[\wáéíóúñü]+", between.lower())
    if not words or len(words) > MAX_RELATION_WORDS:
        return "co_occurs"
    return " ".join(words)


def _role(sentence, start):
    """The words before a name in its sentence (at most MAX_RELATION_WORDS):
    "Su proveedor principal es X" types X's link to the chunk's subject as
    "su proveedor principal es", which a question's words can match."""
    words = re.findall(r"[\wáéíóúñü]+", sentence[:start].lower())
    return " ".join(words[-MAX_RELATION_WORDS:]) or "co_occurs"


def extract_offline(text, language):
    """{"entities": [{name, type, count}], "relations": [{source, target,
    type, weight}]} of `text`, names as written."""
    nlp = _ner_pipeline("en") if language == "en" else None
    entities, relations, paired, roles = {}, [], set(), {}
    for sentence in (s for line in text.split("\n") for s in split_sentences(line)):  # a title line ends one
        spans = _merge(_rule_spans(sentence) + _ner_spans(sentence, nlp))[:MAX_ENTITIES_PER_SENTENCE]
        for start, _, name, kind in spans:
            roles.setdefault(name, _role(sentence, start))
            e = entities.setdefault(name, {"name": name, "type": kind, "count": 0})
            e["count"] += 1
            if e["type"] == "entity":
                e["type"] = kind
        for i, a in enumerate(spans):
            for b in spans[i + 1:]:
                if a[2] != b[2]:
                    relations.append({"source": a[2], "target": b[2], "weight": SENTENCE_WEIGHT,
                                      "type": _relation_type(sentence[a[1]:b[0]])})
                    paired.add(frozenset((a[2], b[2])))
    names = list(entities)[:MAX_CHUNK_PAIRS_ENTITIES]
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if frozenset((a, b)) not in paired:
                relations.append({"source": a, "target": b, "type": roles[b], "weight": CHUNK_WEIGHT})
    return {"entities": list(entities.values()), "relations": relations}


PROMPT = """Extract the named entities (organisations, people, places, products, laws) and the relations between them from the text.
Answer with JSON only: {"entities": [{"name": "...", "type": "org|person|place|product|law|entity"}],
"relations": [{"source": "entity name", "target": "entity name", "type": "a short verb phrase"}]}.
Use the names exactly as the text writes them. No entity that the text does not name.

Text:
"""


def extract_llm(cfg, text):
    """The same shape from the chat endpoint `cfg`; raises llm.LLMError on a
    failed call or a reply that is not that JSON."""
    reply = llm.chat(cfg, [{"role": "user", "content": PROMPT + text}], max_tokens=600, json_mode=True)
    try:
        data = json.loads(reply)
    except ValueError:
        raise llm.LLMError("the entity extraction reply is not JSON") from None
    if not isinstance(data, dict):
        raise llm.LLMError("the entity extraction reply is not a JSON object")
    entities = {}
    for e in data.get("entities") or []:
        if isinstance(e, dict) and isinstance(e.get("name"), str) and e["name"].strip() in text:
            name = e["name"].strip()
            entities[name] = {"name": name, "type": str(e.get("type") or "entity")[:20], "count": text.count(name)}
    relations = [{"source": r["source"].strip(), "target": r["target"].strip(), "type": str(r.get("type") or "related")[:60],
                  "weight": SENTENCE_WEIGHT}
                 for r in data.get("relations") or []
                 if isinstance(r, dict) and isinstance(r.get("source"), str) and isinstance(r.get("target"), str)
                 and r["source"].strip() in entities and r["target"].strip() in entities
                 and r["source"].strip() != r["target"].strip()]
    return {"entities": list(entities.values()), "relations": relations, "tokens": reply.usage}
