-- Evaluation cases hold questions and reference answers, and results hold
-- generated answers: both under row-level security (policies in sql/
-- idempotent/900_grants.sql), like the tenant data they were made from.
ALTER TABLE rag.eval_cases ENABLE ROW LEVEL SECURITY;
-- Tenant grants too: a role sees its own grants, not which other tenants exist.
ALTER TABLE rag.tenant_access ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.eval_results ENABLE ROW LEVEL SECURITY;
