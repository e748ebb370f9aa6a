-- PL/Python bootstrap. The venv and py_udfs paths are baked into this body
-- when a DBA runs the migration: only someone who may replace this function
-- (its owner, a superuser) can point the server at other Python code. No
-- session setting or table decides it, and PL/Python being untrusted, only a
-- superuser can create or replace it.
CREATE OR REPLACE FUNCTION rag._py_init() RETURNS void
LANGUAGE plpython3u VOLATILE
SET search_path = pg_catalog, pg_temp
AS $py$
import os, sys
for p in reversed(@python_path@):
    if p in sys.path:
        sys.path.remove(p)
    sys.path.insert(0, p)  # in front: Debian's dist-packages must not shadow the venv
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
import py_udfs
GD["ragsql"] = py_udfs.__version__
$py$;

-- A PL/Python error reaches the caller as "plpy.Error: <message>" (or
-- "spiexceptions.<Name>: ...") with the Python traceback as its context. An
-- entry point meant for people (rag.answer) calls its PL/Python body from
-- PL/pgSQL and, on error, re-raises it here: same SQLSTATE, detail and
-- hint, the message without the Python class, no traceback.
CREATE OR REPLACE FUNCTION rag._raise_clean(sqlstate text, message text, detail text, hint text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_msg text := regexp_replace(message, '^(plpy\.\w+|spiexceptions\.\w+): ', '');
BEGIN
    -- RAISE refuses a NULL option, and an empty one would print an empty line.
    IF coalesce(detail, '') <> '' AND coalesce(hint, '') <> '' THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = v_msg, DETAIL = detail, HINT = hint;
    ELSIF coalesce(detail, '') <> '' THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = v_msg, DETAIL = detail;
    ELSIF coalesce(hint, '') <> '' THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = v_msg, HINT = hint;
    ELSE
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = v_msg;
    END IF;
END;
$$;
