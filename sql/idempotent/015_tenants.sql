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

-- Who a request acts for. Analysts never write a table directly: every write
-- goes through a SECURITY DEFINER function (ingest, delete, the queue worker,
-- the logs), where current_user is the owner. The caller is the session's
-- role: SET ROLE's target, or the login role. SET ROLE needs membership, so
-- a session cannot claim a role it does not hold.
CREATE OR REPLACE FUNCTION rag.caller() RETURNS name
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN current_setting('role') = 'none' THEN session_user ELSE current_setting('role') END::name
$$;

-- DBAs (superusers, roles that bypass row security, members of the schema's
-- owner) write any tenant; anyone else writes the tenants granted to them.
-- The role_ forms answer for a named role: a vectorizer writes with its
-- owner's tenant rights (047_vectorizers.sql), whoever writes the table.
CREATE OR REPLACE FUNCTION rag.role_is_dba(role_name name) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT r.rolsuper OR r.rolbypassrls FROM pg_roles r WHERE r.rolname = role_is_dba.role_name), false)
        OR coalesce((SELECT pg_has_role(role_is_dba.role_name, n.nspowner, 'MEMBER') FROM pg_namespace n
                      WHERE n.nspname = 'rag'
                        AND EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = role_is_dba.role_name)), false)
$$;

CREATE OR REPLACE FUNCTION rag.caller_is_dba() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT rag.role_is_dba(rag.caller()) $$;

CREATE OR REPLACE FUNCTION rag.role_tenants(role_name name) RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- role_tenants.role_name: tenant_access has a column of that name too.
    SELECT coalesce(array_agg(a.tenant), '{}') FROM rag.tenant_access a
     WHERE EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = role_tenants.role_name)
       AND pg_has_role(role_tenants.role_name, a.role_name, 'MEMBER')
$$;

CREATE OR REPLACE FUNCTION rag.caller_tenants() RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT rag.role_tenants(rag.caller()) $$;

CREATE OR REPLACE FUNCTION rag.role_may_write_tenant(role_name name, tenant text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT rag.role_is_dba(role_may_write_tenant.role_name)
        OR role_may_write_tenant.tenant = ANY (rag.role_tenants(role_may_write_tenant.role_name))
$$;

CREATE OR REPLACE FUNCTION rag.may_write_tenant(tenant text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT rag.role_may_write_tenant(rag.caller(), may_write_tenant.tenant) $$;
