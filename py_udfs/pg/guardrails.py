"""Entry module of sql/idempotent/085_guardrails.sql: PII (py_udfs/pii.py)
and prompt injection (py_udfs/guardrails.py) for SQL callers, and the
screening rag.ingest_document applies to each document."""
import json

from .. import guardrails, pii
from .backend import run_model

# Masking runs on the model thread (spaCy's NER for names is a model): a
# cancel stops a long document within a poll.


def find_pii(plpy, content, language):
    if not content:
        return []
    spans = run_model(plpy, pii.find_pii, content, language)
    return [(s["type"], s["start"], s["end"], s["score"]) for s in spans]


def mask_pii(plpy, content, language):
    if content is None:
        return None
    return run_model(plpy, pii.mask_pii, content, language)


def find_injection(plpy, content):
    return [(f["kind"], f["start"], f["end"], f["excerpt"]) for f in guardrails.injection_findings(content or "")]


def screen_document(plpy, content, title, mask):
    """(content, title) as they will be stored, masked when the tenant's
    policy says so, and the instructions found in them (JSON, or None)."""
    if mask:
        content, title = mask_pii(plpy, content, None), mask_pii(plpy, title, None)
    findings = [{"kind": f["kind"], "excerpt": f["excerpt"]}
                for f in guardrails.injection_findings(f"{title or ''}\n{content}")]
    return {"content": content, "title": title, "injection": json.dumps(findings[:20]) if findings else None}
