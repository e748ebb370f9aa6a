-- Guardrails: PII detection and masking (py_udfs/pii.py), and prompt
-- injection in documents and questions (py_udfs/guardrails.py). The
-- per-tenant PII policy (schema 0009) decides where masking happens:
-- 'redact_at_ingest' masks documents before they are stored;
-- 'redact_on_output' keeps them as loaded and masks answers, logs and what
-- an LLM is sent. With either, questions are masked in the logs.

-- The PII found in a text: type (EMAIL, PHONE, DNI, CUIT, CREDIT_CARD, IBAN,
-- PERSON), where it is, and the detector's score.
CREATE OR REPLACE FUNCTION rag.find_pii(content text, language text DEFAULT NULL)
RETURNS TABLE (type text, start_pos int, end_pos int, score float8)
LANGUAGE plpython3u STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import guardrails
return guardrails.find_pii(plpy, content, language)
$py$;

-- The text with each PII span replaced by its type: '<EMAIL>', '<DNI>', ...
CREATE OR REPLACE FUNCTION rag.mask_pii(content text, language text DEFAULT NULL) RETURNS text
LANGUAGE plpython3u STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import guardrails
return guardrails.mask_pii(plpy, content, language)
$py$;

-- Instructions planted in a text (a document or a question): kind
-- (override, role_marker, hidden_text, exfiltration), where, and an excerpt.
CREATE OR REPLACE FUNCTION rag.find_injection(content text)
RETURNS TABLE (kind text, start_pos int, end_pos int, excerpt text)
LANGUAGE plpython3u STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import guardrails
return guardrails.find_injection(plpy, content)
$py$;

-- What rag.ingest_document needs in one crossing: the content and title as
-- they will be stored (masked when `mask`), and the injection findings.
CREATE OR REPLACE FUNCTION rag._screen_document(content text, title text, mask boolean,
                                                OUT content text, OUT title text, OUT injection jsonb)
LANGUAGE plpython3u STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import guardrails
return guardrails.screen_document(plpy, content, title, mask)
$py$;

-- The PII policy that applies to a request: the named tenant's when the
-- caller may see it, else the strictest among the caller's tenants (a
-- question without a tenant may reach any of them; naming a tenant one may
-- not see tells nothing about its policy). Read as the owner, so a caller
-- cannot escape the policy by hiding its row.
CREATE OR REPLACE FUNCTION rag._pii_mode(tenant text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN _pii_mode.tenant IS NOT NULL
             AND (rag.caller_is_dba() OR _pii_mode.tenant = ANY (rag.caller_tenants())) THEN
            coalesce((SELECT p.pii FROM rag.tenant_policies p WHERE p.tenant = _pii_mode.tenant), 'off')
        WHEN EXISTS (SELECT 1 FROM rag.tenant_policies p
                      WHERE p.pii <> 'off' AND (rag.caller_is_dba() OR p.tenant = ANY (rag.caller_tenants())))
            THEN 'redact_on_output'
        ELSE 'off' END
$$;

CREATE OR REPLACE FUNCTION rag.set_pii_policy(tenant text, pii text) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO rag.tenant_policies AS p (tenant, pii) VALUES (set_pii_policy.tenant, set_pii_policy.pii)
    ON CONFLICT (tenant) DO UPDATE SET pii = excluded.pii, updated_at = now()
$$;

-- Documents whose text carries instructions (found at ingest, kept in their
-- metadata under "injection"): for review. Their flagged sentences are never
-- quoted as an answer, and every source reaches an LLM fenced as data.
CREATE OR REPLACE VIEW rag.flagged_documents WITH (security_invoker = true) AS
SELECT d.id AS document_id, d.tenant, d.title, d.source, d.created_at,
       (SELECT array_agg(DISTINCT f ->> 'kind') FROM jsonb_array_elements(d.metadata -> 'injection') f) AS kinds,
       d.metadata -> 'injection' AS findings
FROM rag.documents d
WHERE d.metadata ? 'injection';
