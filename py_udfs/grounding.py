"""Grounding: is a statement supported by source texts? Used at query time
(the answer guardrail drops generated sentences the sources do not support)
and by evaluation (the non-LLM faithfulness judge)."""
from .textutil import content_terms, split_sentences


def statement_supported(statement, contexts, embed=None, min_cosine=0.9, min_overlap=0.8):
    """Supported when most of its content words occur in one context
    sentence, or (with `embed`) when a context sentence is a near paraphrase."""
    terms = set(content_terms(statement))
    sents = [s for c in contexts for s in split_sentences(" ".join(c.split()))]
    if not terms:
        return True
    for s in sents:
        if len(terms & set(content_terms(s))) / len(terms) >= min_overlap:
            return True
    if embed is not None and sents:
        vecs = embed([statement] + sents)
        return float((vecs[1:] @ vecs[0]).max()) >= min_cosine
    return False
