-- The model endpoints the server may call (chat for answers, judges and the
-- intent parser; embeddings for remote embedding models), registered by an
-- owner. A session chooses one by name and never supplies a URL, and a key
-- from the server's environment is sent only to the endpoint that names it.
CREATE TABLE rag.llm_endpoints (
    name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
    kind        text NOT NULL CHECK (kind IN ('chat', 'embeddings')),
    base_url    text NOT NULL CHECK (base_url ~ '^https?://[^[:space:]]+$'),
    model       text,
    -- The server environment variable that holds this endpoint's key (the key
    -- itself is never stored); NULL: no server key goes to this endpoint.
    api_key_env text CHECK (api_key_env ~ '^[A-Z_][A-Z0-9_]*$'),
    timeout_ms  int NOT NULL DEFAULT 30000 CHECK (timeout_ms BETWEEN 50 AND 600000),
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX llm_endpoints_one_default ON rag.llm_endpoints (kind) WHERE is_default;
