"""Answer composition: support check, LLM generation with [N] citations, and
the extractive fallback that always returns an answer.

Prompt-injection guardrails (guardrails.py): source sentences that carry
instructions are never quoted, never shown to the LLM and never count as
support; the rest reaches the LLM fenced as data; a generated answer that
repeats what a planted instruction asked for is discarded."""
import re
import secrets
import textwrap
import time
from pathlib import Path

from . import answerability, guardrails, llm, source_guard, support
from .extractive import extractive, score_sentences
from .grounding import statement_supported
from .textutil import detect_language, split_sentences

REFUSAL = {
    "es": "No tengo información sobre eso en las fuentes provistas.",
    "en": "I don't have information about that in the provided sources.",
}
# A tenant the caller cannot see reads exactly like one that does not exist
# (or is empty): the reply must not tell one from the other.
NO_DOCUMENTS = {  # (language, whether a tenant was named)
    ("es", True): "Ese tenant no tiene documentos que usted pueda consultar.",
    ("es", False): "No hay documentos que usted pueda consultar.",
    ("en", True): "That tenant has no documents you can see.",
    ("en", False): "There are no documents you can see.",
}
NO_DOCUMENTS_REASON = {
    True: "the tenant has no documents you can see (it does not exist, is empty, or is not granted to you)",
    False: "there are no documents you can see (no tenant is granted to you, or none has documents)",
}
LLM_REFUSAL_REASON = "the LLM found no answer in the sources"
PROMPT_VERSION = "answer_v3"
PROMPT_TEMPLATE = (Path(__file__).parent / "prompts" / f"{PROMPT_VERSION}.txt").read_text()
_CITATION = re.compile(r"\[(\d+)\]")


def answer_language(question):
    lang = detect_language(question)
    return lang if lang in REFUSAL else "en"


def _withheld(sources):
    """(how many source sentences carry a finding, their kinds)."""
    n, kinds = 0, set()
    for src in sources:
        findings = source_guard.findings_of(src["content"])
        if findings:
            kinds.update(f["kind"] for f in findings)
            n += sum(flagged for *_, flagged in source_guard.flagged_sentences(src["content"], findings))
    return n, sorted(kinds)


def _clean_content(src, marker=" "):
    """A source's text without its flagged sentences: what may support or
    be shown."""
    return source_guard.withhold_flagged(src["content"], source_guard.findings_of(src["content"]), marker)[0]


def generate(cfg, question, sources, lang, prompt=None):
    """Rules in the system message (`prompt`, the Production answer prompt;
    None: the shipped one); sources and question in the user message (small
    local models follow that layout best). The sources go fenced, with a
    fresh nonce per call, and without their flagged sentences ([…])."""
    nonce = secrets.token_hex(8)
    shown = [dict(src, content=_clean_content(src, marker="[…]")) for src in sources]
    try:
        system = (prompt or PROMPT_TEMPLATE).format(language_name="Spanish" if lang == "es" else "English",
                                                    refusal=REFUSAL[lang], nonce=nonce)
    except (KeyError, IndexError, ValueError) as exc:  # an owner's template with stray braces
        raise llm.LLMError(f"the answer prompt is not a valid template ({type(exc).__name__}: {exc})") from None
    label = "Fuentes" if lang == "es" else "Sources"
    ask = "Pregunta" if lang == "es" else "Question"
    messages = [{"role": "system", "content": system},
                {"role": "user",
                 "content": f"{label}:\n{source_guard.fence_sources(shown, nonce)}\n\n{ask}: {question}"}]
    text = llm.chat(cfg, messages, max_tokens=150)
    return clean_citations(text, len(sources)), llm.tokens_used(cfg, messages, text)


_LINK = re.compile(r"https?://[^\s)\]>\"']+|(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]*\w")


def follows_planted_instruction(text, sources):
    """Why a generated answer looks like it obeyed an instruction planted in
    a source, or None. An answer built from the sources has no reason to
    repeat a planted payload (a quoted reply, "the word X", a link or
    number that only the instruction gives), to carry instructions or role
    markers itself, to embed an image, or to link anywhere the clean source
    text does not."""
    for src in sources:
        payload = source_guard.echoed_payload(text, source_guard.planted_payloads(src["content"]))
        if payload:
            return f"it repeats {payload!r} from an instruction planted in a source"
    if guardrails.injection_findings(text):
        return "it carries instruction-like text"
    if "![" in text:
        return "it embeds an image"
    clean = " ".join(_clean_content(src) for src in sources)
    for link in _LINK.findall(text):
        if link.rstrip(".,;:") not in clean:
            return f"it links to {link!r}, which no source gives"
    return None


def verify(text, sources, embed):
    """Guardrail: keep only the generated sentences the sources support
    (lexically, or as a close paraphrase). A flagged source sentence supports
    nothing: an answer that only a planted instruction backs is dropped.
    Returns (text, n_dropped)."""
    contexts = [_clean_content(src) for src in sources]

    def embed_docs(texts):
        return embed([""] + list(texts), None)[1:]
    kept, dropped, last_kept = [], 0, False
    for sent in split_sentences(" ".join(text.split())):
        bare = _CITATION.sub("", sent).strip()
        if not bare:  # a citation standing after its sentence's period
            if last_kept:
                kept.append(sent)
        elif statement_supported(bare, contexts, embed_docs):
            kept.append(sent)
            last_kept = True
        else:
            dropped += 1
            last_kept = False
    return " ".join(kept).strip(), dropped


def clean_citations(text, n_sources):
    """Drop citations to sources that were not given (a model may invent [7])."""
    return _CITATION.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= n_sources else "", text).strip()


def compose(question, sources, embed, cfg, max_sources=5, unknown_terms=(), prompt=None):
    """Returns dict(answer, supported, language, model, error, timings_ms,
    llm_tokens when an LLM replied (tokens in, out, how they were counted),
    refusal_reason when it refuses, and guardrail when a guardrail acted:
    what it withheld or dropped). `unknown_terms`: the question's words no
    document of the tenant contains (rag._unknown_terms)."""
    lang = answer_language(question)
    sources = sources[:max_sources]
    timings = {}
    notes = []
    t = time.perf_counter()
    withheld, kinds = _withheld(sources)
    if withheld:
        notes.append(f"withheld {withheld} source sentence(s) flagged as instructions ({', '.join(kinds)})")
    scored = score_sentences(question, sources, embed, language=lang)
    refusal = support.why_unsupported(question, scored, sources)
    supported = refusal is None
    if supported:
        quoted = [r[4] for r in scored[:2]]
        same_language = sources[scored[0][3] - 1].get("language") == lang
        refusal = answerability.why_not_an_answer(question, lang, quoted, unknown_terms, same_language)
        supported = refusal is None
    timings["support_ms"] = round((time.perf_counter() - t) * 1000, 2)
    result = {"language": lang, "supported": supported, "error": None, "model": "extractive"}
    if not supported:
        result["refusal_reason"] = refusal
        result["answer"] = REFUSAL[lang]
        result["timings_ms"] = timings
        _note(result, notes)
        return result
    if cfg is not None and cfg.configured:
        t = time.perf_counter()
        try:
            text, result["llm_tokens"] = generate(cfg, question, sources, lang, prompt)
            if REFUSAL[lang].rstrip(".") in text:
                result["supported"] = False
                result["answer"] = REFUSAL[lang]
                result["model"] = cfg.model
                result["refusal_reason"] = LLM_REFUSAL_REASON
            else:
                reason = follows_planted_instruction(text, sources)
                if reason:
                    notes.append(f"discarded the generated answer: {reason}")
                    text, dropped = "", 0
                else:
                    text, dropped = verify(text, sources, embed)
                if dropped:
                    notes.append(f"dropped {dropped} statement(s) the sources do not support")
                if text:
                    if not _CITATION.search(text):
                        # Every answer points at its evidence: cite the best sentence's source.
                        text = f"{text} [{scored[0][3]}]"
                    result["answer"] = text
                    result["model"] = cfg.model
        except llm.LLMError as exc:
            result["error"] = f"LLM unavailable ({exc}); extractive fallback"
        timings["generation_ms"] = round((time.perf_counter() - t) * 1000, 2)
    if "answer" not in result:
        t = time.perf_counter()
        result["answer"] = extractive(scored, sources)
        timings["extractive_ms"] = round((time.perf_counter() - t) * 1000, 2)
    result["timings_ms"] = timings
    _note(result, notes)
    return result


def _note(result, notes):
    if notes:
        result["guardrail"] = "; ".join(notes)


def cited_numbers(text):
    return sorted({int(m) for m in _CITATION.findall(text)})


def no_documents(question, tenant_named):
    """The reply when the caller can see no document (of the tenant named,
    when one is): said as such, not as "no information", and without any
    model work."""
    lang = answer_language(question)
    return {"language": lang, "supported": False, "error": None, "model": "extractive",
            "answer": NO_DOCUMENTS[lang, bool(tenant_named)], "refusal_reason": NO_DOCUMENTS_REASON[bool(tenant_named)],
            "timings_ms": {}}


_TEXT_LABELS = {
    "es": {"sources": "Fuentes:", "why": "Motivo:", "note": "Nota:", "rate": "respuesta {id}: califíquela de 1 a 5 con"},
    "en": {"sources": "Sources:", "why": "Why:", "note": "Note:", "rate": "answer {id}: rate it 1 to 5 with"},
}

# The refusal reasons are stable English for programs (rag.answer,
# answer_log); a person reading a Spanish answer gets them in Spanish.
_REASONS_ES = {
    "no source sentence is close enough to the question": "ninguna oración de las fuentes se acerca lo suficiente a la pregunta",
    "the sources are on the topic but do not answer the question (support model)":
        "las fuentes tratan el tema pero no responden la pregunta (modelo de respaldo)",
    "the question asks for a number and the closest sentences give none":
        "la pregunta pide un número y las oraciones más cercanas no dan ninguno",
    LLM_REFUSAL_REASON: "el LLM no encontró la respuesta en las fuentes",
    NO_DOCUMENTS_REASON[True]: "ese tenant no tiene documentos que usted pueda consultar (no existe, está vacío o no le fue otorgado)",
    NO_DOCUMENTS_REASON[False]: "no hay documentos que usted pueda consultar",
}
_NO_MENTION = "no document mentions "


def reason_in(language, reason):
    if language != "es":
        return reason
    if reason.startswith(_NO_MENTION):
        return "ningún documento menciona " + reason[len(_NO_MENTION):]
    return _REASONS_ES.get(reason, reason)


def as_text(result, width=78):
    """rag.answer's JSON as text for a terminal (psql): the answer wrapped
    to `width`, then its sources as `[n] citation` lines (the cited ones, or
    all when none is cited), or why it refused; labels in the answer's
    language."""
    labels = _TEXT_LABELS.get(result.get("language"), _TEXT_LABELS["en"])
    lines = textwrap.wrap(result["answer"], width) or [""]
    if result.get("supported"):
        sources = result.get("sources") or []
        shown = [s for s in sources if s.get("cited")] or sources
        if shown:
            lines += ["", labels["sources"]]
            for s in shown:
                lines += textwrap.wrap(f"[{s['n']}] {s['citation']}", width, initial_indent="  ",
                                       subsequent_indent="      ")
    elif result.get("refusal_reason"):
        why = reason_in(result.get("language"), result["refusal_reason"])
        lines += [""] + textwrap.wrap(f"{labels['why']} {why}", width, subsequent_indent="  ")
    if result.get("error"):
        lines += textwrap.wrap(f"{labels['note']} {result['error']}", width, subsequent_indent="  ")
    if result.get("answer_id") is not None:
        # the statement to copy stays whole, on a line of its own when need be
        rate = f"({labels['rate'].format(id=result['answer_id'])}"
        sql = f"SELECT rag.give_feedback({result['answer_id']}, 5))"
        lines += ["", f"{rate} {sql}"] if len(rate) + 1 + len(sql) <= width else ["", rate, f"  {sql}"]
    return "\n".join(lines)
