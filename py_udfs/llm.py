"""OpenAI-compatible chat and embeddings client: OpenAI itself, or any
server that speaks the protocol (llama.cpp, vLLM, a local model).

Settings come from the caller (session settings or the server environment);
the API key lives only in memory, never in a table or a log line."""
import json
import os
import re
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# A reply longer than this many characters per requested token is not a
# chat completion we asked for: refused before any further work reads it.
MAX_CHARS_PER_TOKEN = 16
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min)?\s*$")
_UNIT_MS = {None: 1.0, "ms": 1.0, "s": 1000.0, "min": 60000.0}


# An endpoint that could not be reached (refused, no route, no reply in
# time) is not tried again by this process for this long: each question
# falls back at once instead of waiting for it again.
DEAD_ENDPOINT_COOLDOWN_S = 30.0
# How often a waiting caller gets control back (LLMConfig.on_wait).
POLL_S = 0.05
_dead_until = {}


class LLMError(RuntimeError):
    pass


@dataclass(frozen=True)
class LLMConfig:
    base_url: str = ""
    model: str = ""
    api_key: str = ""
    timeout_s: float = 30.0
    # Called every POLL_S while a reply is awaited; inside PostgreSQL it
    # checks for a cancel or statement_timeout (and raises).
    on_wait: object = field(default=None, compare=False, repr=False)

    @property
    def configured(self):
        return bool(self.base_url or self.api_key)

    def describe(self):
        """What may be logged: never the key."""
        return f"{self.model}@{self.base_url or 'api.openai.com'}"


def config_from(settings, server_env=True):
    """Build the config from a dict of base_url, model, api_key, timeout_ms
    ('' or None when unset). With server_env, what is unset falls back to
    the server's environment (its administrator's URL and key); without it
    (a registered endpoint), nothing does: a server key must not travel to a
    URL it does not belong to."""
    def pick(name, env):
        val = (settings.get(name) or "").strip()
        if not val and server_env:
            for e in env:
                val = os.environ.get(e, "").strip()
                if val:
                    break
        return val
    timeout = pick("timeout_ms", ["RAGSQL_LLM_TIMEOUT_MS"]) or "30000"
    m = _DURATION.match(timeout)
    if not m:
        raise LLMError(f"rag.llm_timeout_ms must be a duration such as 30000, '2s' or '500ms', got {timeout!r}")
    timeout_s = max(0.05, float(m.group(1)) * _UNIT_MS[m.group(2)] / 1000.0)
    return LLMConfig(
        base_url=pick("base_url", ["RAGSQL_LLM_BASE_URL", "OPENAI_BASE_URL"]),
        model=pick("model", ["RAGSQL_LLM_MODEL"]) or "gpt-4o-mini",
        api_key=pick("api_key", ["RAGSQL_LLM_API_KEY", "OPENAI_API_KEY"]),
        timeout_s=timeout_s,
    )


_clients = {}


def openai_client(cfg):
    key = (cfg.base_url, cfg.api_key, cfg.timeout_s)
    client = _clients.get(key)
    if client is None:
        from openai import OpenAI
        # No retries: a query-time call is bounded by one timeout, and the
        # caller has a fallback answer.
        client = OpenAI(base_url=cfg.base_url or None, api_key=cfg.api_key or "unused",
                        timeout=cfg.timeout_s, max_retries=0)
        _clients.clear()
        _clients[key] = client
    return client


def chat(cfg, messages, max_tokens=400, temperature=0.0, json_mode=False):
    """One chat completion within one deadline (cfg.timeout_s for the whole
    call, however the server trickles its reply); raises LLMError with a
    short reason on any failure, a malformed or oversized reply included.
    json_mode asks for a JSON object (OpenAI's response_format; llama.cpp
    constrains its sampling to it)."""
    extra = {"response_format": {"type": "json_object"}} if json_mode else {}
    resp = _complete(cfg, dict(model=cfg.model, messages=messages, max_tokens=max_tokens,
                               temperature=temperature, **extra))
    return Reply(_text(resp, max_tokens).strip(), _usage(resp))


def chat_tools(cfg, messages, tools, max_tokens=400, temperature=0.0):
    """One tool-calling turn (the OpenAI tools API), under chat's deadline
    and checks: (text, [{"id", "name", "arguments"}], usage). Arguments a
    model wrote as invalid JSON come back as the string it wrote, for the
    caller to refuse."""
    resp = _complete(cfg, dict(model=cfg.model, messages=messages, max_tokens=max_tokens,
                               temperature=temperature, tools=tools))
    text = _text(resp, max_tokens, allow_empty=True)
    calls = []
    for i, call in enumerate(getattr(resp.choices[0].message, "tool_calls", None) or []):
        fn = getattr(call, "function", None)
        raw = getattr(fn, "arguments", None) or "{}"
        try:
            args = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            args = raw
        calls.append({"id": getattr(call, "id", None) or f"call_{i}", "name": getattr(fn, "name", None),
                      "arguments": args})
    return text.strip(), calls, _usage(resp)


def _complete(cfg, kwargs):
    """client.chat.completions.create(**kwargs) within cfg.timeout_s; the
    response, or LLMError."""
    outcome = {}
    endpoint = cfg.base_url or "default"
    left = _dead_until.get(endpoint, 0.0) - time.monotonic()
    if left > 0:
        raise LLMError(f"endpoint unreachable on the last try; not retried for another {left:.0f} s")
    client = openai_client(cfg)  # the first one imports the client library: not the server's time

    def call():
        try:
            outcome["resp"] = client.chat.completions.create(**kwargs)
        except Exception as exc:  # reported below, in the caller's thread
            outcome["error"] = exc

    # The client's timeout bounds each read; the thread's join bounds the
    # call. A call past its deadline is abandoned (its socket times out on
    # its own) and the caller falls back at once.
    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    deadline = time.monotonic() + cfg.timeout_s
    while worker.is_alive() and time.monotonic() < deadline:
        worker.join(min(POLL_S, max(0.0, deadline - time.monotonic())))
        if worker.is_alive() and cfg.on_wait is not None:
            cfg.on_wait()
    if worker.is_alive():
        _dead_until[endpoint] = time.monotonic() + DEAD_ENDPOINT_COOLDOWN_S
        raise LLMError(f"Timeout: no complete reply within {cfg.timeout_s:g} s")
    if "error" in outcome:
        exc = outcome["error"]
        status = getattr(exc, "status_code", None)
        if status is None and type(exc).__name__ in ("APIConnectionError", "APITimeoutError"):
            _dead_until[endpoint] = time.monotonic() + DEAD_ENDPOINT_COOLDOWN_S
        raise LLMError(f"{type(exc).__name__}{f' (HTTP {status})' if status else ''}")
    return outcome["resp"]


def _text(resp, max_tokens, allow_empty=False):
    try:
        text = resp.choices[0].message.content
    except Exception:
        raise LLMError("malformed chat completion response (no choices[0].message.content)") from None
    text = "" if text is None and allow_empty else (text or "")
    if not isinstance(text, str):
        raise LLMError("malformed chat completion response (content is not text)")
    if len(text) > max_tokens * MAX_CHARS_PER_TOKEN:
        raise LLMError(f"reply of {len(text)} characters is too long for max_tokens {max_tokens}")
    return text


class Reply(str):
    """A chat reply's text; `usage` is (tokens in, tokens out) as the reply
    counted them, or None when it did not."""
    usage = None

    def __new__(cls, text, usage=None):
        reply = super().__new__(cls, text)
        reply.usage = usage
        return reply


def _usage(resp):
    usage = getattr(resp, "usage", None)
    tokens_in = getattr(usage, "prompt_tokens", None)
    tokens_out = getattr(usage, "completion_tokens", None)
    if isinstance(tokens_in, int) and isinstance(tokens_out, int) and tokens_in >= 0 and tokens_out >= 0:
        return tokens_in, tokens_out
    return None


def tokens_used(cfg, messages, reply):
    """(tokens in, tokens out, how they were counted) for one chat call:
    the reply's usage, else the model's tokenizer over the messages' text
    (without the chat template's few tokens) and the reply; None when
    neither can tell."""
    if getattr(reply, "usage", None):
        return (*reply.usage, "usage")
    counts = count_tokens(cfg, ["\n".join(m["content"] for m in messages), str(reply)])
    return (*counts, "tokenizer") if counts else None


def call_record(cfg, tokens):
    """What the logs keep of one LLM call (never its key): whom it is priced
    by, the model, and its tokens when known (tokens_used)."""
    record = {"provider": provider(cfg), "model": cfg.model}
    if tokens:
        record.update(tokens_in=tokens[0], tokens_out=tokens[1], counted_by=tokens[2])
    return record


def provider(cfg):
    """Whom an endpoint's calls are priced by (rag.llm_prices.provider): the
    host its base_url names."""
    return urlsplit(cfg.base_url).hostname if cfg.base_url else "api.openai.com"


def count_tokens(cfg, texts, timeout_s=2.0):
    """Tokens of each text by the model's own tokenizer, for a server whose
    replies carry no usage: llama.cpp's server (the local LLM) tokenizes at
    /tokenize beside its /v1 API. None when the server has no such route or
    does not answer in time: an unknown count stays unknown."""
    if not cfg.base_url:
        return None
    root = cfg.base_url.rstrip("/")
    root = root[:-3] if root.endswith("/v1") else root
    counts = []
    try:
        for text in texts:
            req = urllib.request.Request(root + "/tokenize", data=json.dumps({"content": text}).encode(),
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=timeout_s) as resp:  # noqa: S310 (owner-registered URL)
                tokens = json.loads(resp.read(1 << 22)).get("tokens")
            if not isinstance(tokens, list):
                return None
            counts.append(len(tokens))
    except (OSError, ValueError):
        return None
    return counts
