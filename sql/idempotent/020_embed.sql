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
from py_udfs.pg import embed
return None if content is None else embed.embed(plpy, [content], model, input_type)[0]
$py$;

CREATE OR REPLACE FUNCTION rag.embed_batch(contents text[], model text DEFAULT NULL, input_type text DEFAULT 'document')
RETURNS @extschema_vector@.vector[]
LANGUAGE plpython3u STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import embed
return None if contents is None else embed.embed(plpy, contents, model, input_type)
$py$;

-- The queue worker's one crossing per batch: the chunks' vectors (of their
-- embedding texts) and the vectors of their quotable sentences (spans into
-- each chunk's content), so that answering needs no model call for them.
CREATE OR REPLACE FUNCTION rag._embed_chunks(texts text[], contents text[], model text,
    OUT vectors @extschema_vector@.vector[], OUT sentence_chunk int[], OUT sentence_n int[],
    OUT sentence_start int[], OUT sentence_end int[], OUT sentence_vectors @extschema_vector@.vector[])
LANGUAGE plpython3u STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import embed
return embed.embed_chunks(plpy, texts, contents, model)
$py$;

-- The text a chunk is embedded (and cross-encoder-scored) as: where it sits
-- (its document's title and section path, "Title › Heading › Subheading")
-- on a line of its own, then the chunk. A chunk under "Security" in one
-- manual and in another is then told apart by more than its words.
DROP FUNCTION IF EXISTS rag.embedding_text(text, text);
CREATE OR REPLACE FUNCTION rag.embedding_text(title text, section text[], content text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce(nullif(array_to_string(array_prepend(title, section), ' › '), '') || E'\n', '') || content $$;

-- Everything retrieval needs from Python about a query, in one call: its
-- vector for each of `models` (in that order) and its language (the
-- hint, or detected). rag.search calls it once per query.
CREATE OR REPLACE FUNCTION rag.query_features(query text, models text[], language_hint text DEFAULT NULL,
    OUT embeddings @extschema_vector@.vector[], OUT language text)
LANGUAGE plpython3u STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import embed
return embed.query_features(plpy, query, models, language_hint)
$py$;

-- Warm-up: load the active embedding model in this backend now rather than
-- on the first query (connection pools call it on connect), and the intent
-- parser's registry, catalog values and example embeddings
-- (rag._warm_up_intents, 120_intents.sql). Returns ms spent.
CREATE OR REPLACE FUNCTION rag._warm_up_model(model text DEFAULT NULL) RETURNS float8
LANGUAGE plpython3u VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import embed
return embed.warm_up(plpy, model)
$py$;

DROP FUNCTION IF EXISTS rag.warm_up(text);
CREATE OR REPLACE FUNCTION rag.warm_up(model text DEFAULT NULL) RETURNS float8
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_t0 timestamptz := clock_timestamp();
BEGIN
    PERFORM rag._warm_up_model(model);
    -- A role that may not read a catalog table asks no intent questions
    -- either: its warm-up is the model's.
    BEGIN
        PERFORM rag._warm_up_intents();
    EXCEPTION WHEN insufficient_privilege THEN
        NULL;
    END;
    RETURN round((extract(epoch FROM clock_timestamp() - v_t0) * 1000)::numeric, 2)::float8;
END;
$$;

-- How many client backends are running a statement now: the model thread
-- policy shares the cores among them (py_udfs/model_threads.py). SECURITY
-- DEFINER because pg_stat_activity hides other roles' state from ordinary
-- roles; it returns a count and nothing else.
CREATE OR REPLACE FUNCTION rag._active_backends() RETURNS int
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND state = 'active'
$$;
