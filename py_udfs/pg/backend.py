"""What every entry module shares within a backend: prepared plans cached
for the backend's lifetime, embedding model rows, query encoding, model work
that a cancel can stop, endpoint settings read from the session, and the
checks every entry point applies to a question."""
import dataclasses
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from .. import embedding, llm, model_threads
from ..textutil import detect_language

_plans = {}
_vector_type = None
_max_query_chars = None


def plan(plpy, sql, types=()):
    """A prepared plan for `sql`, kept for the backend's lifetime."""
    p = _plans.get(sql)
    if p is None:
        p = _plans[sql] = plpy.prepare(sql, list(types))
    return p


def run(plpy, sql, types=(), args=()):
    return plpy.execute(plan(plpy, sql, types), list(args))


def vector_type(plpy):
    """pgvector's type, schema-qualified (entry points run with a pinned
    search_path that does not include the extension's schema)."""
    global _vector_type
    if _vector_type is None:
        _vector_type = run(plpy, "SELECT format('%I.vector', n.nspname) AS t FROM pg_extension e"
                                 " JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'")[0]["t"]
    return _vector_type


def require_question(plpy, question):
    """A question is not empty and within rag.max_query_chars() (one limit
    for every question or query; read once per backend)."""
    global _max_query_chars
    if question is None or not question.strip():
        plpy.error("question must not be empty", sqlstate="22023")
    if _max_query_chars is None:
        _max_query_chars = run(plpy, "SELECT rag.max_query_chars() AS n")[0]["n"]
    if len(question) > _max_query_chars:
        plpy.error(f"question is {len(question)} characters long; the limit is {_max_query_chars}",
                   sqlstate="22023", hint="ask with the key sentence, not the whole text")


def model_row(plpy, name=None):
    """The named embedding model, or the active one, as a dict."""
    if name:
        rows = run(plpy, "SELECT * FROM rag.embedding_models WHERE name = $1", ["text"], [name])
        if not rows:
            plpy.error(f"unknown embedding model {name!r}", sqlstate="22023",
                       hint="SELECT name FROM rag.embedding_models lists the registered models")
    else:
        rows = run(plpy, "SELECT * FROM rag.embedding_models WHERE active")
        if not rows:
            plpy.error("no active embedding model", hint="SELECT rag.activate_model('name')")
    return dict(rows[0])


def _endpoint_config(plpy, kind, choice_setting, env_base_url=(), chosen=None):
    """The endpoint of `kind` named by the call (`chosen`: a function
    argument, which survives transaction pooling) or by the session
    (`choice_setting`), else the default one of that kind, else the server's
    environment. Either way a name, never a URL: a session may set the
    model, its own key and the timeout; a registered endpoint gets only the
    server key its row names."""
    session = dict(run(plpy, "SELECT current_setting($1, true) AS choice,"
                             " current_setting('rag.llm_model', true) AS model,"
                             " current_setting('rag.llm_api_key', true) AS api_key,"
                             " current_setting('rag.llm_timeout_ms', true) AS timeout_ms", ["text"],
                       [choice_setting])[0])
    choice, where = (chosen, "endpoint argument") if chosen else (session["choice"], f"set in {choice_setting}")
    if choice:
        rows = run(plpy, "SELECT * FROM rag.llm_endpoints WHERE name = $1 AND kind = $2", ["text", "text"],
                   [choice, kind])
        if not rows:
            plpy.error(f"unknown {kind} endpoint {choice!r} ({where})", sqlstate="22023",
                       hint=f"SELECT name FROM rag.llm_endpoints WHERE kind = '{kind}' lists the registered ones")
    else:
        rows = run(plpy, "SELECT * FROM rag.llm_endpoints WHERE kind = $1 AND is_default", ["text"], [kind])
    try:
        if not rows:
            settings = {k: session[k] for k in ("model", "api_key", "timeout_ms")}
            settings["base_url"] = next((os.environ[e] for e in env_base_url if os.environ.get(e)), "")
            return llm.config_from(settings)
        ep = rows[0]
        server_key = os.environ.get(ep["api_key_env"], "") if ep["api_key_env"] else ""
        return llm.config_from({"base_url": ep["base_url"], "model": session["model"] or ep["model"],
                                "api_key": session["api_key"] or server_key,
                                "timeout_ms": session["timeout_ms"] or str(ep["timeout_ms"])}, server_env=False)
    except llm.LLMError as exc:
        plpy.error(str(exc), sqlstate="22023")


def llm_config(plpy, endpoint=None):
    """The chat endpoint (answers, judges, the intent parser): the one
    `endpoint` names, else SET rag.llm_endpoint = 'name', else the default
    chat endpoint, else the server's RAGSQL_LLM_BASE_URL / OPENAI_BASE_URL.
    The key stays in memory."""
    cfg = _endpoint_config(plpy, "chat", "rag.llm_endpoint", ("RAGSQL_LLM_BASE_URL", "OPENAI_BASE_URL"), endpoint)
    return dataclasses.replace(cfg, on_wait=lambda: check_interrupts(plpy))


def embedding_endpoint(plpy):
    """The embeddings endpoint of remote embedding models: SET
    rag.embedding_endpoint = 'name', else the default embeddings endpoint,
    else the server's RAGSQL_EMBEDDING_BASE_URL / OPENAI_BASE_URL."""
    return _endpoint_config(plpy, "embeddings", "rag.embedding_endpoint",
                            ("RAGSQL_EMBEDDING_BASE_URL", "OPENAI_BASE_URL"))


def check_interrupts(plpy):
    """Runs PostgreSQL's CHECK_FOR_INTERRUPTS: a pending cancel,
    statement_timeout or terminate raises here."""
    plpy.execute("SELECT 1")


# Model work (an embedding slice, a cross-encoder batch) runs on a model
# thread of this backend while the backend's own thread checks every POLL_S
# for a cancel or a statement_timeout: either takes effect within POLL_S, not
# when the model finishes. An engine cannot be stopped midway, so an
# abandoned call finishes in the background and the next model call waits
# for it (the engines are not re-entrant: one lock); slices keep that short.
# Background work (rag.work_class = 'background': the queue worker) runs on
# a thread of lower CPU priority, so questions asked meanwhile stay fast.
POLL_S = 0.05
BACKGROUND_NICE = 10
_executors = {}
_model_lock = threading.Lock()


def _model_call_settings(plpy):
    """Threads for this model call (model_threads.choose: rag.model_threads,
    else the cores shared among rag.model_concurrency or the active
    backends), and whether it is background work."""
    r = run(plpy, "SELECT current_setting('rag.model_threads', true) AS threads,"
                  " current_setting('rag.model_concurrency', true) AS concurrency,"
                  " rag._active_backends() AS active,"
                  " current_setting('rag.work_class', true) = 'background' AS background")[0]
    return model_threads.choose(r["threads"], r["concurrency"], r["active"]), bool(r["background"])


def _lower_priority():
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


def run_model(plpy, fn, *args):
    """fn(*args) on a model thread, with the thread policy applied; the
    caller's thread waits for it and for interrupts."""
    threads, background = _model_call_settings(plpy)
    executor = _executors.get(background)
    if executor is None:
        executor = _executors[background] = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="ragsql-model", initializer=_lower_priority if background else None)

    def job():
        with _model_lock:
            model_threads.apply(threads)
            return fn(*args)
    future = executor.submit(job)
    while True:
        try:
            return future.result(timeout=POLL_S)
        except FutureTimeout:
            check_interrupts(plpy)


# At most this many texts, and about this many characters, per model call:
# what an abandoned call may still cost after a cancel.
ENCODE_SLICE = 16
ENCODE_SLICE_CHARS = 16000


def _slices(texts):
    part, size = [], 0
    for text in texts:
        if part and (len(part) == ENCODE_SLICE or size + len(text) > ENCODE_SLICE_CHARS):
            yield part
            part, size = [], 0
        part.append(text)
        size += len(text)
    if part:
        yield part


def encode(plpy, row, texts, is_query):
    """Vectors (numpy, normalised) of `texts` with the model of `row`,
    slice by slice on the model thread (a cancel stops it within POLL_S); a
    model failure is an SQL error naming the model."""
    import numpy as np
    clean = [t or "" for t in texts]
    cached = embedding.cached_query_vectors(row, clean, is_query)
    if cached is not None:  # a repeated question: no model thread, no settings to read
        return cached
    remote = embedding_endpoint(plpy) if row["provider"] == "openai" else None
    parts = []
    for part in _slices(clean):
        try:
            parts.append(run_model(plpy, embedding.encode, row, part, is_query, remote))
        except plpy.SPIError:
            raise  # a cancel or timeout, as it is
        except Exception as exc:
            plpy.error(f"embedding with model {row['name']!r} failed: {exc}")
    return np.vstack(parts) if parts else embedding.encode(row, [], is_query=is_query, remote=remote)


def query_features(plpy, query, model_names, language):
    """What retrieval needs from Python about a query, in one call: its
    vector for each named model (text form, in order) and its language (the
    caller's, or detected)."""
    vectors = [embedding.to_pgvector(encode(plpy, model_row(plpy, name), [query], True)[0])
               for name in model_names or []]
    return {"embeddings": vectors, "language": language or detect_language(query or "")}
