"""Entry module of sql/idempotent/120_intents.sql: rag.parse_intent,
rag.validate_intent and rag._parse_intent_checked (what rag.ask uses: one
crossing into Python parses and validates).

The registry, the catalog values it names and the embeddings of its
descriptions and examples are cached per backend and reloaded when
rag.intent_registry_version changes (triggers bump it when the registry or
a catalog table changes)."""
import json
import time
from datetime import date

from .. import guardrails, intent_replies, intent_validation, intents, llm
from ..answer import answer_language
from .backend import encode, llm_config, model_row, require_question, run
from .guardrails import mask_pii

_registry = {"version": None, "functions": {}, "catalogs": {}, "vectors": {}}


def _current_registry(plpy):
    version = run(plpy, "SELECT version FROM rag.intent_registry_version")[0]["version"]
    if version != _registry["version"]:
        functions = {}
        for r in run(plpy, "SELECT name, description_es, description_en, parameters::text AS parameters,"
                           " target::text AS target, keywords, examples::text AS examples, enabled, read_only,"
                           " allowed_role, arg_names::text AS arg_names FROM rag.intent_functions ORDER BY name"):
            fn = dict(r)
            for key in ("parameters", "examples", "arg_names"):
                fn[key] = json.loads(fn[key])
            functions[fn["name"]] = fn
        _registry.update(version=version, functions=functions, catalogs=_read_catalogs(plpy, functions.values()),
                         vectors={})
    return _registry


def _read_catalogs(plpy, functions):
    """Allowed values per catalog parameter, read from the tables the registry names."""
    catalogs = {}
    for fn in functions:
        for param, spec in fn["parameters"].get("properties", {}).items():
            cat = spec.get("x-catalog")
            if cat and param not in catalogs:
                sql = run(plpy, "SELECT format('SELECT DISTINCT %I::text AS v FROM %s', $1::text,"
                                " $2::regclass::text) AS sql", ["text", "text"], [cat["column"], cat["table"]])[0]["sql"]
                catalogs[param] = [r["v"] for r in plpy.execute(sql)]
    return catalogs


def _function_vectors(plpy, registry, row, functions):
    """Embeddings of each function's descriptions and example questions."""
    vectors = registry["vectors"].get(row["name"])
    if vectors is None:
        vectors = registry["vectors"][row["name"]] = {
            f["name"]: encode(plpy, row, [f["description_es"], f["description_en"]]
                              + [e["question"] for e in f["examples"]], True)
            for f in functions}
    return vectors


def _validate(plpy, registry, intent, language):
    """Errors of a decoded intent, whatever JSON value it is, in `language`."""
    name = intent.get("funcion") if isinstance(intent, dict) else None
    fn = registry["functions"].get(name) if isinstance(name, str) else None
    allowed = bool(fn) and run(plpy, "SELECT pg_has_role(current_user, $1, 'MEMBER') AS ok", ["name"],
                               [fn["allowed_role"]])[0]["ok"]
    return intent_validation.validate(intent, fn, registry["catalogs"], allowed, registry["functions"].keys(),
                                      language)


def _intent_language(intent):
    """The language to explain an intent's errors in: its "resumen"'s (the
    parser writes it in the question's language), else English."""
    summary = intent.get("resumen") if isinstance(intent, dict) else None
    return answer_language(summary) if isinstance(summary, str) and summary.strip() else "en"


def _timed_validate(plpy, registry, intent, language, timings):
    """_validate, its milliseconds added to timings["validate_ms"] (rag.ask
    logs validation apart from the parse it happens inside)."""
    t0 = time.perf_counter()
    try:
        return _validate(plpy, registry, intent, language)
    finally:
        if timings is not None:
            timings["validate_ms"] = round(timings.get("validate_ms", 0) + (time.perf_counter() - t0) * 1000, 2)


def _parse(plpy, question, reference_date, session_id, parser, check, llm_question=None, llm_calls=None,
           timings=None):
    """(intent, validation errors) for a question; errors are only computed
    with `check` (an LLM intent is always validated: it stands only if valid).
    An LLM is sent `llm_question` when given (the question with its PII masked)."""
    require_question(plpy, question)
    if parser not in ("auto", "rules", "llm"):
        plpy.error(f"parser must be auto, rules or llm, got {parser!r}")
    ref = date.fromisoformat(reference_date)
    registry = _current_registry(plpy)
    functions = [f for f in registry["functions"].values() if f["enabled"]]
    row = model_row(plpy, None)
    vectors = _function_vectors(plpy, registry, row, functions)
    q = encode(plpy, row, [question], True)[0]
    similarity = {name: float((v @ q).max()) for name, v in vectors.items()}
    history = []
    if session_id:
        history = [json.loads(r["intent"]) for r in run(
            plpy, "SELECT intent::text AS intent FROM rag.conversation_turns WHERE asked_by = current_user"
                  " AND session_id = $1 AND intent ? 'funcion' AND intent->>'funcion' IS NOT NULL"
                  " ORDER BY id DESC LIMIT 3", ["text"], [session_id])]
    language = intent_replies.question_language(question)
    out = intents.parse(question, ref, functions, registry["catalogs"], lambda n: similarity.get(n, 0.0), history,
                        language)
    cfg = llm_config(plpy)
    # A clarification or a refusal is the rules' to give: an LLM would guess.
    settled = "aclaracion" in out or "rechazo" in out
    if not settled and (parser == "llm" or (parser == "auto" and cfg.configured and out["parser"] != "rules+history")):
        if not cfg.configured:
            plpy.error("parser => 'llm' needs a chat endpoint (SET rag.llm_endpoint; see rag.llm_endpoints)",
                       sqlstate="22023")
        # The model's intent goes through the same validation; when it
        # fails, the rules' intent stands.
        messages = intents.llm_messages(llm_question or question, ref, functions, registry["catalogs"])
        reply = None
        try:
            reply = llm.chat(cfg, messages, max_tokens=200, json_mode=True)
            got = intents.parse_llm_reply(reply)
            errors = [] if got.get("funcion") is None else _timed_validate(plpy, registry, got, language, timings)
            if not errors:
                # Only the rules ask back or refuse: a model's text is not shown as either.
                for key in ("aclaracion", "rechazo"):
                    got.pop(key, None)
                got.update(parser="llm", confianza=out.get("confianza"))
                return got, []
            out["llm_errors"] = errors
        except (llm.LLMError, ValueError) as exc:
            out["llm_errors"] = [str(exc)]
        finally:
            if llm_calls is not None:  # what the call cost, for the intent log
                llm_calls.append(llm.call_record(cfg, reply and llm.tokens_used(cfg, messages, reply)))
        out["parser"] = "rules+embedding (llm fallback)"
    return out, (_timed_validate(plpy, registry, out, language, timings) if check and out["funcion"] is not None
                 else [])


def parse_intent(plpy, question, reference_date, session_id, parser):
    return json.dumps(_parse(plpy, question, reference_date, session_id, parser, check=False)[0], ensure_ascii=False)


def parse_intent_checked(plpy, question, reference_date, session_id, parser):
    """rag._parse_intent_checked: the intent and its errors, with the
    question as it may be logged and sent (PII masked under a policy) and
    what the guardrails found in it."""
    require_question(plpy, question)
    screen = {}
    overrides = guardrails.question_findings(question)
    if overrides:
        screen["question_injection"] = [{"kind": f["kind"], "excerpt": f["excerpt"]} for f in overrides]
    masked = None
    if run(plpy, "SELECT rag._pii_mode(NULL) AS mode")[0]["mode"] != "off":
        masked = mask_pii(plpy, question, None)
        screen["pii_masked"] = True
    llm_calls, timings = [], {}
    intent, errors = _parse(plpy, question, reference_date, session_id, parser, check=True, llm_question=masked,
                            llm_calls=llm_calls, timings=timings)
    language = intent_replies.question_language(question)
    name = intent.get("funcion")
    fn = _registry["functions"].get(name) if isinstance(name, str) else None
    template = fmt = None
    if fn and "aclaracion" not in intent:
        if errors:
            errors = intent_replies.humanize_errors(errors, fn, language)
        else:
            template, fmt = intent_replies.reply(fn, intent.get("parametros") or {}, language)
            if not fn["read_only"]:
                fmt["confirmacion"] = intent_replies.confirmation(fn, intent.get("parametros") or {}, language)
    return {"intent": json.dumps(intent, ensure_ascii=False), "errors": errors,
            "logged_question": masked or question, "guardrails": json.dumps(screen),
            "language": language, "reply_template": template, "reply_format": json.dumps(fmt, ensure_ascii=False),
            "llm": json.dumps(llm_calls[0]) if llm_calls else None, "timings": json.dumps(timings)}


def warm_up(plpy):
    """rag.warm_up's share for intents: the registry, its catalog values and
    the embeddings of its examples, so the first question finds them cached;
    returns how many functions are registered."""
    registry = _current_registry(plpy)
    functions = [f for f in registry["functions"].values() if f["enabled"]]
    if functions:
        _function_vectors(plpy, registry, model_row(plpy, None), functions)
        intents.parse("warm up", date.today(), functions, registry["catalogs"], lambda n: 0.0)
    return len(functions)


def validate_intent(plpy, intent_text):
    """rag.validate_intent: `intent_text` is the jsonb's text (or None); its
    size and depth are checked before it is decoded (errors found before
    decoding are in English: the language is not known yet)."""
    intent, errors = intent_validation.load_intent(intent_text)
    return errors or _validate(plpy, _current_registry(plpy), intent, _intent_language(intent))


def intent_problem(plpy, intent_text):
    """rag._intent_problem: None for a valid intent, else the message
    rag.execute_intent raises, in the intent's language."""
    intent, errors = intent_validation.load_intent(intent_text)
    language = _intent_language(intent)
    errors = errors or _validate(plpy, _current_registry(plpy), intent, language)
    return intent_validation.message(language, "invalid", errors="; ".join(errors)) if errors else None
