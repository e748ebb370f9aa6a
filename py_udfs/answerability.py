"""Checks that a close source sentence is not yet an answer. Near-topic
questions (the sources talk about the subject, but not about what is
asked) pass a closeness threshold; two plain checks catch many of them:

- the question asks for a number (how many, how much, which version,
  cuántos, qué versión, ...) and the sentences that would be quoted have no
  digit;
- the question names things that no document of the tenant contains (two
  or more words of its own language with no match in the tenant's text
  statistics) while the sources are in the question's language: "¿Cuánto cuesta el envío
  a Chile?" over shipping rules that never mention Chile. Across languages
  the test says nothing (every word is unknown to the other language), so
  it is not applied.

Chosen on the real-documents and XQuAD near-topic dev splits."""
import re

from . import support

# Broader than the support model's "number" type (support.answer_type):
# versions, ids, ports, amounts and terms are what manuals and policies are
# asked; the model's own patterns stay as they were fitted.
_NUMBER_QUESTION = {
    "en": re.compile(r"\b(how (many|much|long|old|often|far|large|big)|what (version|number|year|percentage|age|"
                     r"uid|gid|port)|which (version|year|port)|numeric|maximum number|minimum number)\b"),
    "es": re.compile(r"\b(cu[aá]nt[oa]s?|qu[eé] (versi[oó]n|n[uú]mero|a[nñ]o|porcentaje|edad|uid|gid|puerto)|"
                     r"cu[aá]l es (el|la) (n[uú]mero|porcentaje|plazo|monto|precio|costo|multa|tarifa))\b"),
}


def expects_number(question, language):
    pattern = _NUMBER_QUESTION.get(language)
    return bool(pattern and pattern.search(question.lower()))


# One unknown word is often a paraphrase ("How long does the warranty
# last?"): on the XQuAD near-topic dev split, one or more refused 16% of the
# answerable questions, two or more under 2% (and still a fifth of the
# unanswerable ones).
MIN_UNKNOWN = 2
# Stems of question words and auxiliaries: unknown to a corpus that never
# asks anything, and no sign of a near-topic question.
_GENERIC = {"cuant", "cual", "cuand", "dond", "quien", "com", "estan", "esta", "tien", "hac", "pued", "deb",
            "sab", "hay", "tuv", "much", "mani", "long", "someth", "anyth"}


def why_not_an_answer(question, language, quoted, unknown_terms, sources_in_question_language):
    """None when nothing speaks against answering with the `quoted`
    sentences, else the reason (for the answer log)."""
    if expects_number(question, language) and not support.has_number(" ".join(quoted)):
        return "the question asks for a number and the closest sentences give none"
    specific = sorted(set(unknown_terms or ()) - _GENERIC)
    if len(specific) >= MIN_UNKNOWN and sources_in_question_language:
        return f"no document mentions {', '.join(specific)}"
    return None
