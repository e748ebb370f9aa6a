-- Chunking, language detection and the text-search configuration per language.

CREATE OR REPLACE FUNCTION rag.chunk(content text, max_chars int DEFAULT 1000, overlap_chars int DEFAULT 200)
RETURNS TABLE (seq int, chunk text)
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

-- Document frequencies for BM25 (rag.search's text ranking). The loader and
-- the queue drain call it after a load. SECURITY DEFINER: the statistics are
-- corpus-wide, so a caller restricted to one tenant must not shrink them.
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
    INSERT INTO rag.text_stats (lexeme, df)
    SELECT s.word, s.ndoc FROM ts_stat('SELECT tsv FROM rag.chunks') s;
    SELECT count(*) INTO v_n FROM rag.chunks;
    INSERT INTO rag.text_corpus_stats (n_chunks, avg_length, refreshed_at)
    SELECT v_n, coalesce((SELECT avg(length(tsv)) FROM rag.chunks), 1), now()
    ON CONFLICT (singleton) DO UPDATE
       SET n_chunks = excluded.n_chunks, avg_length = excluded.avg_length, refreshed_at = now();
    RETURN v_n;
END;
$$;
