-- Guardrails against PII leaks and prompt injection.
--
-- A tenant's PII policy: 'off'; 'redact_at_ingest' (documents are masked
-- before they are stored: no PII in the index at all); 'redact_on_output'
-- (documents are stored as loaded; answers, the logs and what is sent to an
-- LLM are masked). Row-level security: a role sees its tenants' policies;
-- DBAs set them (rag.set_pii_policy).
CREATE TABLE rag.tenant_policies (
    tenant     text PRIMARY KEY,
    pii        text NOT NULL DEFAULT 'off' CHECK (pii IN ('off', 'redact_at_ingest', 'redact_on_output')),
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE rag.tenant_policies ENABLE ROW LEVEL SECURITY;

-- Per logged call: what the guardrails found in the question (an attempt to
-- override the system) and what they did (PII masked, source text withheld).
ALTER TABLE rag.answer_log ADD COLUMN guardrails jsonb NOT NULL DEFAULT '{}';
ALTER TABLE rag.intent_log ADD COLUMN guardrails jsonb NOT NULL DEFAULT '{}';
