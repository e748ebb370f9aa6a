-- Tenants and grants. Row-level security: a role sees the rows of the tenants
-- granted to it (or to a role it belongs to) in rag.tenant_access. Table
-- owners and superusers (DBAs, the loader) bypass it as usual.

CREATE OR REPLACE FUNCTION rag.visible_tenants() RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(a.tenant), '{}') FROM rag.tenant_access a
     WHERE pg_has_role(current_user, a.role_name, 'MEMBER')
$$;

CREATE OR REPLACE FUNCTION rag.grant_tenant(role_name name, tenant text) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO rag.tenant_access (role_name, tenant) VALUES (grant_tenant.role_name, grant_tenant.tenant)
    ON CONFLICT DO NOTHING
$$;

CREATE OR REPLACE FUNCTION rag.revoke_tenant(role_name name, tenant text) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM rag.tenant_access a WHERE a.role_name = revoke_tenant.role_name AND a.tenant = revoke_tenant.tenant
$$;

DROP POLICY IF EXISTS tenant_isolation ON rag.documents;
CREATE POLICY tenant_isolation ON rag.documents
    USING (tenant = ANY (rag.visible_tenants())) WITH CHECK (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.chunks;
CREATE POLICY tenant_isolation ON rag.chunks
    USING (tenant = ANY (rag.visible_tenants())) WITH CHECK (tenant = ANY (rag.visible_tenants()));
DROP POLICY IF EXISTS tenant_isolation ON rag.answer_log;
CREATE POLICY tenant_isolation ON rag.answer_log
    USING (asked_by = current_user) WITH CHECK (asked_by = current_user);

GRANT USAGE ON SCHEMA rag TO rag_user;
GRANT SELECT ON rag.embedding_models, rag.vector_indexes, rag.embedding_queue_status, rag.reembed_progress,
                rag.rerankers,
                rag.text_stats, rag.text_corpus_stats, rag.answers, rag.answer_latency TO rag_user;
GRANT SELECT, INSERT, DELETE ON rag.documents, rag.chunks TO rag_user;
GRANT SELECT, INSERT, UPDATE, DELETE ON rag.embeddings, rag.embedding_queue TO rag_user;
GRANT SELECT, INSERT ON rag.answer_log TO rag_user;
REVOKE ALL ON rag.tenant_access FROM PUBLIC;
GRANT SELECT ON rag.tenant_access TO rag_user;
REVOKE EXECUTE ON FUNCTION rag.grant_tenant(name, text), rag.revoke_tenant(name, text),
       rag.register_model(text, text, text, int, text, text, text, boolean),
       rag.activate_model(text, boolean), rag.create_vector_index(text), rag.refresh_text_stats(),
       rag.start_reembed(text), rag.drop_embeddings(text), rag.unregister_model(text),
       rag.register_reranker(text, text, text, jsonb, boolean) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE rag.reembed(text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rag.refresh_text_stats() TO rag_user;
