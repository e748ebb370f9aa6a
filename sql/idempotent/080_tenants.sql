-- Tenants. Row-level security (policies in 900_grants.sql): a role sees the
-- rows of the tenants granted to it (or to a role it belongs to) in
-- rag.tenant_access. Table owners and superusers (DBAs, the loader) bypass it
-- as usual.

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
