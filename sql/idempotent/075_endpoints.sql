-- Registering the model endpoints the server may call (DBAs only: see
-- 900_grants.sql). Sessions pick one with SET rag.llm_endpoint (chat) or
-- rag.embedding_endpoint (embeddings); without one, the default of its kind,
-- else the server's environment (RAGSQL_LLM_BASE_URL / OPENAI_BASE_URL with
-- its OPENAI_API_KEY: both the server administrator's).

CREATE OR REPLACE FUNCTION rag.register_endpoint(
    name text, kind text, base_url text, model text DEFAULT NULL, api_key_env text DEFAULT NULL,
    timeout_ms int DEFAULT 30000, make_default boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_constraint text; v_column text; v_field text;
BEGIN
    INSERT INTO rag.llm_endpoints AS e (name, kind, base_url, model, api_key_env, timeout_ms)
    VALUES (register_endpoint.name, register_endpoint.kind, register_endpoint.base_url, register_endpoint.model,
            register_endpoint.api_key_env, register_endpoint.timeout_ms)
    ON CONFLICT ON CONSTRAINT llm_endpoints_pkey DO UPDATE
       SET kind = excluded.kind, base_url = excluded.base_url, model = excluded.model,
           api_key_env = excluded.api_key_env, timeout_ms = excluded.timeout_ms;
    IF make_default THEN
        UPDATE rag.llm_endpoints e SET is_default = (e.name = register_endpoint.name)
         WHERE e.kind = register_endpoint.kind AND (e.is_default OR e.name = register_endpoint.name);
    END IF;
-- The table's constraints (0006_llm_endpoints.sql) stay the one statement of
-- what is valid; this only says which argument broke one, and how to fix it.
EXCEPTION WHEN check_violation OR not_null_violation THEN
    GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME, v_column = COLUMN_NAME;
    v_field := coalesce(nullif(v_column, ''), substring(v_constraint FROM '^llm_endpoints_(.*)_check$'), 'argument');
    RAISE EXCEPTION 'invalid endpoint %: %', v_field,
          coalesce(quote_literal(CASE v_field WHEN 'name' THEN register_endpoint.name WHEN 'kind' THEN register_endpoint.kind
                                              WHEN 'base_url' THEN register_endpoint.base_url
                                              -- a key given by mistake must not reach the log
                                              WHEN 'api_key_env' THEN '(not shown)'
                                              WHEN 'timeout_ms' THEN register_endpoint.timeout_ms::text END), 'NULL')
          USING ERRCODE = '22023',
                HINT = CASE v_field
                    WHEN 'name' THEN 'a name of 1 to 64 letters, digits, _ . or -'
                    WHEN 'kind' THEN 'chat or embeddings'
                    WHEN 'base_url' THEN 'an http:// or https:// URL without spaces, e.g. http://127.0.0.1:8088/v1'
                    WHEN 'api_key_env' THEN 'the name of a server environment variable (capitals, digits, _), never the key'
                    WHEN 'timeout_ms' THEN 'milliseconds between 50 and 600000'
                    ELSE 'see rag.register_endpoint in docs/dbas.md' END;
END;
$$;

CREATE OR REPLACE FUNCTION rag.unregister_endpoint(name text) RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH d AS (DELETE FROM rag.llm_endpoints e WHERE e.name = unregister_endpoint.name RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM d)
$$;
