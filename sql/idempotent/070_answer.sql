-- Answers with [N] citations: retrieve (rag.search), check that the sources
-- support an answer, generate through an OpenAI-compatible endpoint when one
-- is configured, fall back to quoting the best source sentences when it is
-- not, fails or times out. Every call is logged in rag.answer_log.
--
-- LLM settings (session or ALTER DATABASE/ROLE ... SET): rag.llm_endpoint,
-- one of the endpoints a DBA registered (075_endpoints.sql), rag.llm_model,
-- rag.llm_timeout_ms, and the session's own key in rag.llm_api_key; a server
-- key comes from the environment variable the endpoint names. Never in a table.

CREATE OR REPLACE FUNCTION rag.answer(
    question text,
    k int DEFAULT 10,
    tenant text DEFAULT NULL,
    filter jsonb DEFAULT NULL,
    model text DEFAULT NULL,
    sources int DEFAULT 5,
    rerank boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpython3u VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import answer
return answer.answer(plpy, question, k, tenant, filter, model, sources, rerank)
$py$;

-- What the answer needs about its sources beyond rag.search's rows: where
-- each one is (the document's source path or URI, the section path, the
-- page), its language, and how close each of its sentences is to the question (cosine of
-- the sentence vectors computed at ingest, 050_queue.sql, to the question's
-- vector). Read as the caller: row security applies.
DROP FUNCTION IF EXISTS rag._answer_evidence(bigint[], text, @extschema_vector@.vector);
CREATE FUNCTION rag._answer_evidence(chunk_ids bigint[], model text,
                                                question_vector @extschema_vector@.vector)
RETURNS TABLE (chunk_id bigint, source text, language text, section text[], page int, sentence_n int[],
               sentence_cosine float8[])
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, @extschema_vector@, pg_temp
AS $$
    SELECT c.id, d.source, d.language, c.section, c.page,
           array_agg(s.n ORDER BY s.n) FILTER (WHERE s.n IS NOT NULL),
           array_agg(1 - (s.embedding <=> question_vector) ORDER BY s.n) FILTER (WHERE s.n IS NOT NULL)
      FROM rag.chunks c
      JOIN rag.documents d ON d.id = c.document_id
      LEFT JOIN rag.sentence_embeddings s
             ON s.chunk_id = c.id AND s.model_id = (SELECT m.id FROM rag.embedding_models m WHERE m.name = model)
     WHERE c.id = ANY (chunk_ids)
     GROUP BY c.id, d.source, d.language
$$;

-- The question's words that no document the caller may see (of `tenant`,
-- when given) contains: its stems with no entry in the text statistics,
-- allowing a stem one letter longer or shorter with the same first five
-- ("licence" / "license"). Numbers and stems under three letters are left
-- out. A sign that the sources, however close, do not answer it
-- (py_udfs/answerability.py) -- but only in a corpus large enough for a
-- missing word to mean something (rag.min_chunks_for_unknown_terms chunks):
-- three short documents lack most words of any question.
CREATE OR REPLACE FUNCTION rag.min_chunks_for_unknown_terms() RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT 100 $$;

CREATE OR REPLACE FUNCTION rag._unknown_terms(question text, language text, tenant text)
RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(l.lexeme ORDER BY l.lexeme), '{}')
      FROM unnest(tsvector_to_array(to_tsvector(rag.ts_config(language), question))) AS l(lexeme)
     WHERE length(l.lexeme) >= 3 AND l.lexeme ~ '^[[:alpha:]]+$'
       AND (SELECT coalesce(sum(cs.n_chunks), 0) FROM rag.text_corpus_stats cs
             WHERE _unknown_terms.tenant IS NULL OR cs.tenant = _unknown_terms.tenant)
           >= rag.min_chunks_for_unknown_terms()
       AND NOT EXISTS (SELECT 1 FROM rag.text_stats s
                        WHERE (_unknown_terms.tenant IS NULL OR s.tenant = _unknown_terms.tenant)
                          AND (s.lexeme = l.lexeme
                               OR (length(l.lexeme) >= 5
                                   AND s.lexeme >= left(l.lexeme, 5) AND s.lexeme < left(l.lexeme, 5) || chr(1114111)
                                   AND abs(length(s.lexeme) - length(l.lexeme)) <= 1)))
$$;

-- The answer log's one writer (analysts cannot write the table). The row is
-- always the caller's own: a direct call can only add to one's own log, as
-- asking would.
DROP FUNCTION IF EXISTS rag._log_answer(text, text, bigint[], text, boolean, text, jsonb, text);
CREATE OR REPLACE FUNCTION rag._log_answer(tenant text, question text, chunk_ids bigint[], answer text,
                                           supported boolean, model text, timings_ms jsonb, error text,
                                           guardrails jsonb)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO rag.answer_log (asked_by, tenant, question, chunk_ids, answer, supported, model, timings_ms, error,
                                guardrails)
    VALUES (rag.caller(), tenant, question, coalesce(chunk_ids, '{}'), answer, supported, model,
            coalesce(timings_ms, '{}'), error, coalesce(guardrails, '{}'))
$$;

-- The analyst's entry point, callable without the schema prefix.
CREATE OR REPLACE FUNCTION public.rag_answer(question text) RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT rag.answer(question) $$;

-- Answers for BI tools: one row per logged answer, with latency per stage.
CREATE OR REPLACE VIEW rag.answers WITH (security_invoker = true) AS
SELECT l.id, l.asked_at, l.asked_by, l.tenant, l.question, l.answer, l.supported, l.model,
       cardinality(l.chunk_ids) AS n_sources, l.chunk_ids,
       (l.timings_ms ->> 'retrieval_ms')::float8 AS retrieval_ms,
       (l.timings_ms ->> 'generation_ms')::float8 AS generation_ms,
       (l.timings_ms ->> 'total_ms')::float8 AS total_ms,
       l.error,
       (l.timings_ms ->> 'support_ms')::float8 AS support_ms
FROM rag.answer_log l;

CREATE OR REPLACE VIEW rag.answer_latency WITH (security_invoker = true) AS
SELECT date_trunc('day', asked_at) AS day, count(*) AS answers,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY total_ms) AS p50_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY total_ms) AS p95_ms,
       avg((NOT supported)::int) AS no_information_rate,
       avg((error IS NOT NULL)::int) AS error_rate
FROM rag.answers
GROUP BY 1;
