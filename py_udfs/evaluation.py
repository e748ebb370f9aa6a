"""Evaluation metrics: retrieval (rank, nDCG), answers (contains-reference,
token F1) and the RAGAS definitions, with an LLM judge when one is
configured and documented non-LLM approximations otherwise.

RAGAS definitions used here:
- faithfulness = supported statements of the answer / all its statements;
- answer relevancy = mean cosine(question, questions generated back from
  the answer); 0 for a non-committal answer;
- context precision = sum_k precision@k * v_k / sum_k v_k, v_k = 1 when the
  k-th retrieved chunk is useful for the reference;
- context recall = reference claims attributable to the contexts / all claims.
"""
import json
import math
import re
import string
from collections import Counter
from pathlib import Path

from .textutil import content_terms, fold, split_sentences

_ARTICLES = re.compile(r"\b(a|an|the|el|la|los|las|un|una|unos|unas|lo)\b")
_CITATION = re.compile(r"\s*\[\d+\]")
_PROMPTS = Path(__file__).parent / "prompts"
JUDGE_PROMPT_VERSION = "judge_v1"


def normalize(text):
    """SQuAD-style: lower-case, fold accents, drop punctuation and articles."""
    text = fold(text or "")
    text = "".join(" " if ch in string.punctuation or ch in "¿¡«»“”‘’" else ch for ch in text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains_reference(answer, references):
    a = normalize(answer)
    return any(normalize(r) and normalize(r) in a for r in references)


def token_f1(answer, references):
    best = 0.0
    pred = normalize(_CITATION.sub("", answer or "")).split()
    for ref in references:
        gold = normalize(ref).split()
        common = Counter(pred) & Counter(gold)
        same = sum(common.values())
        if not pred or not gold or same == 0:
            continue
        p, r = same / len(pred), same / len(gold)
        best = max(best, 2 * p * r / (p + r))
    return best


def first_relevant_rank(document_ids, relevant):
    """1-based rank of the first relevant document among the distinct
    documents of a ranking (chunks of one document count once); None when
    none was retrieved."""
    seen = list(dict.fromkeys(document_ids))
    return next((i for i, d in enumerate(seen, start=1) if d in relevant), None)


def ndcg_at_10(first_relevant_rank):
    """One relevant document: DCG = 1/log2(rank + 1), ideal DCG = 1."""
    r = first_relevant_rank
    return 1 / math.log2(r + 1) if r and r <= 10 else 0.0


def statements(answer):
    """The answer's statements: its sentences, citations removed."""
    text = _CITATION.sub("", answer or "")
    return [s for s in split_sentences(" ".join(text.split())) if len(content_terms(s)) >= 1]


def context_precision(useful):
    """useful: list of 0/1 per retrieved chunk, in rank order."""
    total = sum(useful)
    if not total:
        return 0.0
    hits, acc = 0, 0.0
    for k, v in enumerate(useful, start=1):
        hits += v
        acc += (hits / k) * v
    return acc / total


# ---- non-LLM approximations ------------------------------------------------

def span_useful(context, references):
    """A chunk is useful for a span reference when it contains the span."""
    c = normalize(context)
    return int(any(normalize(r) and normalize(r) in c for r in references))


# ---- LLM judge ---------------------------------------------------------------

def _prompt(name, **kw):
    return (_PROMPTS / f"{JUDGE_PROMPT_VERSION}_{name}.txt").read_text().format(**kw)


def _json_from(text):
    m = re.search(r"\{.*\}", text, re.S)
    if not m:
        raise ValueError("the judge returned no JSON object")
    return json.loads(m.group(0))


def llm_faithfulness(chat, answer, contexts):
    """Returns (faithfulness, n_statements, n_unsupported). `chat(messages)` -> text."""
    stmts = statements(answer)
    if not stmts:
        return 1.0, 0, 0
    numbered = "\n".join(f"{i + 1}. {s}" for i, s in enumerate(stmts))
    ctx = "\n\n".join(contexts)
    verdict = _json_from(chat([{"role": "user", "content": _prompt("faithfulness", context=ctx, statements=numbered)}]))
    flags = [bool(v) for v in verdict.get("supported", [])][: len(stmts)]
    flags += [False] * (len(stmts) - len(flags))
    return sum(flags) / len(stmts), len(stmts), flags.count(False)


def llm_generated_questions(chat, answer, n=3):
    out = _json_from(chat([{"role": "user", "content": _prompt("questions", answer=answer, n=n)}]))
    return [q for q in out.get("questions", []) if isinstance(q, str) and q.strip()][:n]
