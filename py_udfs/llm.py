"""OpenAI-compatible chat and embeddings client: OpenAI itself, or any
server that speaks the protocol (llama.cpp, vLLM, a local model).

Settings come from the caller (session settings or the server environment);
the API key lives only in memory, never in a table or a log line."""
import os
from dataclasses import dataclass


class LLMError(RuntimeError):
    pass


@dataclass(frozen=True)
class LLMConfig:
    base_url: str = ""
    model: str = ""
    api_key: str = ""
    timeout_s: float = 30.0

    @property
    def configured(self):
        return bool(self.base_url or self.api_key)

    def describe(self):
        """What may be logged: never the key."""
        return f"{self.model}@{self.base_url or 'api.openai.com'}"


def config_from(settings):
    """Build the config from session settings (a dict of rag.llm_* values,
    '' when unset), falling back to the server environment."""
    def pick(name, env):
        val = (settings.get(name) or "").strip()
        if not val:
            for e in env:
                val = os.environ.get(e, "").strip()
                if val:
                    break
        return val
    timeout_ms = pick("timeout_ms", ["RAGSQL_LLM_TIMEOUT_MS"]) or "30000"
    try:
        timeout_s = max(0.05, float(timeout_ms) / 1000.0)
    except ValueError:
        raise LLMError(f"rag.llm_timeout_ms must be a number of milliseconds, got {timeout_ms!r}") from None
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
    """One chat completion; raises LLMError with a short reason on any failure.
    json_mode asks for a JSON object (OpenAI's response_format; llama.cpp
    constrains its sampling to it)."""
    extra = {"response_format": {"type": "json_object"}} if json_mode else {}
    try:
        resp = openai_client(cfg).chat.completions.create(
            model=cfg.model, messages=messages, max_tokens=max_tokens, temperature=temperature, **extra)
    except Exception as exc:
        name = type(exc).__name__
        status = getattr(exc, "status_code", None)
        raise LLMError(f"{name}{f' (HTTP {status})' if status else ''}") from None
    try:
        text = resp.choices[0].message.content or ""
    except (AttributeError, IndexError):
        raise LLMError("malformed chat completion response") from None
    return text.strip()
