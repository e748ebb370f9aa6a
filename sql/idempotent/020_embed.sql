-- Embedding from SQL. STABLE (the result depends on the registry, not on
-- rows) so the planner computes a query vector once per statement; PARALLEL
-- RESTRICTED so parallel workers do not each load the model. Not STRICT:
-- model => NULL means the active model.

CREATE OR REPLACE FUNCTION rag.embed(content text, model text DEFAULT NULL, input_type text DEFAULT 'query')
RETURNS @extschema_vector@.vector
LANGUAGE plpython3u STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs import pg
return None if content is None else pg.embed(plpy, [content], model, input_type)[0]
$py$;

CREATE OR REPLACE FUNCTION rag.embed_batch(contents text[], model text DEFAULT NULL, input_type text DEFAULT 'document')
RETURNS @extschema_vector@.vector[]
LANGUAGE plpython3u STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs import pg
return None if contents is None else pg.embed(plpy, contents, model, input_type)
$py$;
