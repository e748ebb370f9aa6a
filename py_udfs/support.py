"""Does any source sentence support an answer to the question? The decision
behind rag.answer's "no information" refusal.

Input: the question and its scored source sentences, rows (score, cosine,
overlap, n, sentence) best first, as answer.score_sentences makes them
(cosine: e5 "query:" question against "passage:" sentence; overlap: share of
the question's content words in the sentence). No model call and no
database here: everything is computed from those rows (about a millisecond
for twenty sentences).

Why more than the best cosine: a near-topic question (its answer absent,
its topic present) finds sentences that share its topic words and sit
close to it in embedding space. What tells them apart is whether the
question's *rarer* words (rare among the retrieved sentences, not in
general: topic words are in all of them) appear in one sentence, and
whether that sentence holds the kind of thing the question asks for (a
number for "how many", a year for "when", a name for "who").

The weights are a logistic regression fitted on the dev split of the
near-topic refusal set plus off-topic questions (ragsql/train_support.py
reproduces them; docs/sql-api.md "Answer support" has the set and the figures)."""
import math
import re

from .textutil import content_terms, fold

FEATURES = ("best_cosine", "top_cosine", "top_overlap", "max_overlap", "rare_overlap", "rare_coverage",
            "cosine_margin", "expects_type", "type_found", "n_terms", "cosine_over_mean", "cosine_over_median",
            "names_near_top", "names_anywhere")
# Fitted by ragsql/train_support.py; refusal when WEIGHTS·features + INTERCEPT > BIAS.
# BIAS keeps 96% of the answerable dev questions answered (5-fold by article).
WEIGHTS = (-22.7202, -28.5019, -3.8944, -1.1499, -3.0736, 0.0936, 15.2258, 1.0102, -0.3522, -0.0499, -22.3232,
           -33.9502, 0.2446, -0.7008)
INTERCEPT = 48.7462
BIAS = 0.149

# Expected answer types, by question word (folded, es and en).
_TYPE_WORDS = (
    ("number", re.compile(r"\b(how (many|much|long|far|large|big|old|tall|high)|what (percentage|percent|number|"
                          r"amount|size)|cuant[oa]s?|que (porcentaje|numero|cantidad|tamano)|a que distancia)\b")),
    ("date", re.compile(r"\b(when|what (year|decade|century|date|time|day|month)|in which year|cuando|"
                        r"(en )?que (ano|decada|siglo|fecha|dia|mes|epoca)|desde cuando|hasta cuando)\b")),
    ("person", re.compile(r"\b(who|whom|whose|quien(es)?|a quien|de quien)\b")),
)
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
                     r"fifty|hundred|thousand|million|billion|dozen|half|uno|una|dos|tres|cuatro|cinco|seis|siete|"
                     r"ocho|nueve|diez|once|doce|veinte|treinta|cuarenta|cincuenta|cien|ciento|mil|millon|"
                     r"millones|docena|mitad)\b")
_DATE = re.compile(r"\b(1\d{3}|20\d{2}|\d{1,2}(st|nd|rd|th)?|century|decade|siglo|decada|january|february|march|"
                   r"april|may|june|july|august|september|october|november|december|enero|febrero|marzo|abril|"
                   r"mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|\d+s)\b")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+")
_CAPITALIZED = re.compile(r"\b[A-ZÁÉÍÓÚÑ][\wáéíóúñü]+")


def answer_type(question):
    """'number', 'date', 'person' or None: what the question asks for."""
    q = fold(question.lower())
    for kind, pattern in _TYPE_WORDS:
        if pattern.search(q):
            return kind
    return None


def has_number(text):
    """Whether `text` holds a number, in digits or in words (es, en)."""
    return bool(_NUMBER.search(fold(text.lower())))


def has_type(kind, sentence, question):
    """Whether `sentence` holds something of `kind` that the question does
    not already give (a year the question names answers nothing)."""
    s = fold(sentence.lower())
    if kind == "number":
        found = set(_NUMBER.findall(s)) - set(_NUMBER.findall(fold(question.lower())))
        return bool(found)
    if kind == "date":
        return bool({m[0] for m in _DATE.findall(s)} - {m[0] for m in _DATE.findall(fold(question.lower()))})
    if kind == "person":
        q_terms = set(content_terms(question))
        return any(content_terms(m) and content_terms(m)[0] not in q_terms for m in _NAME.findall(sentence))
    return False


def names(question):
    """The content terms of the question's capitalised words after its
    first: the names it is about ("Andy Taylor", "Fog on the Tyne")."""
    return {t for w in _CAPITALIZED.findall(question)[1:] for t in content_terms(w)}


def _rarity(q_terms, sentences_terms):
    """Weight of each question term: its inverse frequency among the scored
    sentences (a term in every retrieved sentence is the topic, not the
    question's point). A term no sentence has weighs the most."""
    n = len(sentences_terms)
    return {t: math.log((n + 1) / (sum(t in s for s in sentences_terms) + 0.5)) for t in q_terms}


def features(question, scored, sources=None):
    """The feature vector (in FEATURES order) of one question's scored
    sentences. `sources` is accepted for future chunk-level signals and not
    used yet."""
    q_terms = set(content_terms(question))
    if not scored:
        return [0.0] * len(FEATURES)
    sent_terms = [set(content_terms(r[4])) for r in scored]
    weights = _rarity(q_terms, sent_terms)
    total = sum(weights.values()) or 1.0
    top = scored[:3]
    rare_overlap = max(sum(weights[t] for t in q_terms & s) / total for s in sent_terms[:3])
    anywhere = set().union(*sent_terms)
    rare_coverage = sum(weights[t] for t in q_terms & anywhere) / total
    cosines = sorted((r[1] for r in scored), reverse=True)
    kind = answer_type(question)
    found = kind is not None and any(has_type(kind, r[4], question) for r in top[:2])
    # A name the question asks about and no sentence mentions is the
    # strongest sign that its answer is elsewhere.
    named = names(question)
    names_near_top = max(len(named & s) / len(named) for s in sent_terms[:3]) if named else 1.0
    names_anywhere = len(named & anywhere) / len(named) if named else 1.0
    return [cosines[0], scored[0][1], scored[0][2], max(r[2] for r in scored), rare_overlap, rare_coverage,
            cosines[0] - (cosines[1] if len(cosines) > 1 else 0.0), float(kind is not None), float(found),
            float(len(q_terms)), cosines[0] - sum(cosines) / len(cosines), cosines[0] - cosines[len(cosines) // 2],
            names_near_top, names_anywhere]


def refusal_score(question, scored, sources=None):
    """The model's log-odds that the question should be refused."""
    return sum(w * f for w, f in zip(WEIGHTS, features(question, scored, sources))) + INTERCEPT


# The closeness floor (cosine of the best sentence, or cosine with a share
# of the question's content words), calibrated on XQuAD on-topic versus
# off-topic questions (ragsql/calibrate_support.py).
MIN_COSINE = 0.83
MIN_COSINE_WITH_OVERLAP = 0.78
MIN_OVERLAP = 0.34
# The model reads each sentence against the others retrieved with it (its
# cosine over their mean and median, the margin to the next, word rarity
# among them): with few sentences there is no background to read against,
# and it refuses plain answers ("How long does the warranty last?" over one
# sentence saying "12 months"). Below this many it is not consulted.
MIN_SENTENCES = 10


def why_unsupported(question, scored, sources=None):
    """None when the scored sentences support an answer, else why not."""
    if not scored or not any(c >= MIN_COSINE or (o >= MIN_OVERLAP and c >= MIN_COSINE_WITH_OVERLAP)
                             for _, c, o, _, _ in scored):
        return "no source sentence is close enough to the question"
    if len(scored) >= MIN_SENTENCES and refusal_score(question, scored, sources) > BIAS:
        return "the sources are on the topic but do not answer the question (support model)"
    return None


def supported(question, scored, sources=None):
    """True when the scored sentences support an answer."""
    return why_unsupported(question, scored, sources) is None
