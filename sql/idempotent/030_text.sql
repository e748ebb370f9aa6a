-- Chunking, language detection and the text-search configuration per language.

-- Chunks follow the document's structure: Markdown headings ('#' lines)
-- give each chunk its section path, form feeds its page; a chunk never
-- crosses either. (Earlier releases returned only seq and chunk.)
DROP FUNCTION IF EXISTS rag.chunk(text, int, int);
CREATE FUNCTION rag.chunk(content text, max_chars int DEFAULT 1000, overlap_chars int DEFAULT 200)
RETURNS TABLE (seq int, chunk text, section text[], page int)
LANGUAGE plpython3u IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import text
return text.chunk(plpy, content, max_chars, overlap_chars)
$py$;

CREATE OR REPLACE FUNCTION rag.detect_language(content text) RETURNS text
LANGUAGE plpython3u IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import text
return text.language_of(content)
$py$;

-- Accent-folding configurations created by the schema migration.
CREATE OR REPLACE FUNCTION rag.ts_config(language text) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE language WHEN 'es' THEN 'rag.spanish' WHEN 'en' THEN 'rag.english'
                         ELSE 'rag.simple' END::regconfig
$$;

-- Document frequencies for BM25 (rag.search's text ranking), per tenant:
-- a tenant's term weights come from its own searchable (live) chunks. The loader and the queue
-- drain call it after a load. SECURITY DEFINER: it rebuilds every tenant's
-- statistics, whoever calls it (they are derived data; nothing is revealed).
CREATE OR REPLACE FUNCTION rag.refresh_text_stats() RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_n bigint;
BEGIN
    -- Serialise refreshes; readers keep reading the old rows meanwhile.
    PERFORM pg_advisory_xact_lock(hashtext('rag.refresh_text_stats'));
    DELETE FROM rag.text_stats;
    INSERT INTO rag.text_stats (tenant, lexeme, df)
    SELECT c.tenant, l.lexeme, count(*) FROM rag.chunks c, unnest(tsvector_to_array(c.tsv)) AS l(lexeme)
     WHERE c.live GROUP BY c.tenant, l.lexeme;
    DELETE FROM rag.text_corpus_stats;
    INSERT INTO rag.text_corpus_stats (tenant, n_chunks, avg_length)
    SELECT c.tenant, count(*), avg(length(c.tsv)) FROM rag.chunks c WHERE c.live GROUP BY c.tenant;
    SELECT count(*) INTO v_n FROM rag.chunks c WHERE c.live;
    RETURN v_n;
END;
$$;
