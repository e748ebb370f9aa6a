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
