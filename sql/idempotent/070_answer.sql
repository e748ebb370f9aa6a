-- Answers with [N] citations: retrieve (rag.search), check that the sources
-- support an answer, generate through an OpenAI-compatible endpoint when one
-- is configured, fall back to quoting the best source sentences when it is
-- not, fails or times out. Every call is logged in rag.answer_log.
--
-- LLM settings (session or ALTER DATABASE/ROLE ... SET): rag.llm_endpoint,
-- one of the endpoints a DBA registered (075_endpoints.sql), rag.llm_model,
-- rag.llm_timeout_ms, and the session's own key in rag.llm_api_key; a server
-- key comes from the environment variable the endpoint names. Never in a table.

-- `endpoint` names a registered chat endpoint for this call, as SET
-- rag.llm_endpoint does for a session: behind a transaction-pooling
-- connection pool a SET does not stay with the caller, an argument does. A
-- name, never a URL. A NULL question gives NULL.
--
-- rag.answer is PL/pgSQL around the PL/Python body, rag._answer, so that
-- bad input reaches the caller as a plain error (rag._raise_clean) rather
-- than a Python traceback. rag.answer_text is the same answer for a person
-- at a terminal: rag.answer's result through rag.format_answer
-- (py_udfs/answer.py as_text: wrapped, with its sources as `[n] citation`
-- lines or why it refused). A cancel or statement_timeout is not
-- caught (WHEN OTHERS leaves it alone).
DROP FUNCTION IF EXISTS rag.answer(text, int, text, jsonb, text, int, boolean);
DROP FUNCTION IF EXISTS rag._answer(text, int, text, jsonb, text, int, boolean, text, text);
-- graph (0016): the sources come from rag.graph_search (155_graph_search.sql).
DROP FUNCTION IF EXISTS rag.answer(text, int, text, jsonb, text, int, boolean, text);
DROP FUNCTION IF EXISTS rag.answer_text(text, int, text, jsonb, text, int, boolean, text);
DROP FUNCTION IF EXISTS rag._answer(text, int, text, jsonb, text, int, boolean, text);
CREATE OR REPLACE FUNCTION rag._answer(question text, k int, tenant text, filter jsonb, model text, sources int,
                                       rerank boolean, endpoint text, graph boolean)
RETURNS text
LANGUAGE plpython3u VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import answer
return answer.answer(plpy, question, k, tenant, filter, model, sources, rerank, endpoint, graph)
$py$;

CREATE OR REPLACE FUNCTION rag.answer(
    question text,
    k int DEFAULT 10,
    tenant text DEFAULT NULL,
    filter jsonb DEFAULT NULL,
    model text DEFAULT NULL,
    sources int DEFAULT 5,
    rerank boolean DEFAULT false,
    endpoint text DEFAULT NULL,
    graph boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_state text; v_msg text; v_detail text; v_hint text;
BEGIN
    RETURN rag._answer($1, $2, $3, $4, $5, $6, $7, $8, $9)::jsonb;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL,
                            v_hint = PG_EXCEPTION_HINT;
    PERFORM rag._raise_clean(v_state, v_msg, v_detail, v_hint);
END;
$$;

-- An answer rag.answer gave, as text: rag.answer_text and the document
-- fallback of rag.ask_text (which keeps the answer in its reply) share it.
CREATE OR REPLACE FUNCTION rag.format_answer(answer jsonb) RETURNS text
LANGUAGE plpython3u IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import answer as entry
return entry.format_text(answer)
$py$;

CREATE OR REPLACE FUNCTION rag.answer_text(
    question text,
    k int DEFAULT 10,
    tenant text DEFAULT NULL,
    filter jsonb DEFAULT NULL,
    model text DEFAULT NULL,
    sources int DEFAULT 5,
    rerank boolean DEFAULT false,
    endpoint text DEFAULT NULL,
    graph boolean DEFAULT false)
RETURNS text
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT rag.format_answer(rag.answer($1, $2, $3, $4, $5, $6, $7, $8, $9)) $$;

-- Whether the caller can see any searchable document (of `tenant`, when
-- given). Read as the caller: a tenant not granted to them and one that does
-- not exist both say no.
CREATE OR REPLACE FUNCTION rag._sees_documents(tenant text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM rag.documents d
                    WHERE (_sees_documents.tenant IS NULL OR d.tenant = _sees_documents.tenant) AND NOT d.pending)
$$;

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
-- asking would. Returns the row's id: the answer's `answer_id`, which
-- rag.give_feedback rates.
DROP FUNCTION IF EXISTS rag._log_answer(text, text, bigint[], text, boolean, text, jsonb, text);
DROP FUNCTION IF EXISTS rag._log_answer(text, text, bigint[], text, boolean, text, jsonb, text, jsonb);
DROP FUNCTION IF EXISTS rag._log_answer(text, text, bigint[], text, boolean, text, jsonb, text, jsonb, text);
-- llm: the LLM call's record (py_udfs/llm.py call_record), NULL when none
-- was made.
CREATE OR REPLACE FUNCTION rag._log_answer(tenant text, question text, chunk_ids bigint[], answer text,
                                           supported boolean, model text, timings_ms jsonb, error text,
                                           guardrails jsonb, refusal_reason text DEFAULT NULL, llm jsonb DEFAULT NULL)
RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO rag.answer_log (asked_by, tenant, question, chunk_ids, answer, supported, model, timings_ms, error,
                                guardrails, refusal_reason, llm_provider, llm_model, tokens_in, tokens_out,
                                tokens_counted_by)
    VALUES (rag.caller(), tenant, question, coalesce(chunk_ids, '{}'), answer, supported, model,
            coalesce(timings_ms, '{}'), error, coalesce(guardrails, '{}'), refusal_reason, llm ->> 'provider',
            llm ->> 'model', (llm ->> 'tokens_in')::int, (llm ->> 'tokens_out')::int, llm ->> 'counted_by')
    RETURNING id
$$;

-- The analyst's entry points, callable without the schema prefix: the JSON
-- for programs, the text for psql. `tenant` and `endpoint` as in rag.answer.
DROP FUNCTION IF EXISTS public.rag_answer(text);
CREATE OR REPLACE FUNCTION public.rag_answer(question text, tenant text DEFAULT NULL, endpoint text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT rag.answer(question, tenant => tenant, endpoint => endpoint) $$;

CREATE OR REPLACE FUNCTION public.rag_answer_text(question text, tenant text DEFAULT NULL,
                                                  endpoint text DEFAULT NULL)
RETURNS text
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT rag.answer_text(question, tenant => tenant, endpoint => endpoint) $$;

-- Answers for BI tools: one row per logged answer, with latency per stage.
CREATE OR REPLACE VIEW rag.answers WITH (security_invoker = true) AS
SELECT l.id, l.asked_at, l.asked_by, l.tenant, l.question, l.answer, l.supported, l.model,
       cardinality(l.chunk_ids) AS n_sources, l.chunk_ids,
       (l.timings_ms ->> 'retrieval_ms')::float8 AS retrieval_ms,
       (l.timings_ms ->> 'generation_ms')::float8 AS generation_ms,
       (l.timings_ms ->> 'total_ms')::float8 AS total_ms,
       l.error,
       (l.timings_ms ->> 'support_ms')::float8 AS support_ms,
       (l.timings_ms ->> 'embed_ms')::float8 AS embed_ms,
       (l.timings_ms ->> 'vector_ms')::float8 AS vector_ms,
       (l.timings_ms ->> 'text_ms')::float8 AS text_ms,
       (l.timings_ms ->> 'fusion_ms')::float8 AS fusion_ms,
       (l.timings_ms ->> 'rerank_ms')::float8 AS rerank_ms,
       l.llm_provider, l.llm_model, l.tokens_in, l.tokens_out, l.tokens_counted_by,
       -- A fallback: an LLM was asked (generation ran) but the extractive
       -- generator answered, because the LLM failed (an error) or the
       -- guardrails discarded all it wrote (no error). The one definition,
       -- for rag.answer_stats and the drift signal; a view column, not a
       -- function, so it inlines into their aggregates.
       coalesce(l.supported, false) AND l.model = 'extractive'
           AND (l.error IS NOT NULL OR l.timings_ms ? 'generation_ms') AS fell_back
FROM rag.answer_log l;

CREATE OR REPLACE VIEW rag.answer_latency WITH (security_invoker = true) AS
SELECT date_trunc('day', asked_at) AS day, count(*) AS answers,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY total_ms) AS p50_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY total_ms) AS p95_ms,
       avg((NOT supported)::int) AS no_information_rate,
       avg((error IS NOT NULL)::int) AS error_rate
FROM rag.answers
GROUP BY 1;

-- What each column means, for the catalog browsers of BI tools.
COMMENT ON VIEW rag.answers IS 'One row per answer the caller asked (rag.answer_log under row security), latency per stage';
COMMENT ON COLUMN rag.answers.id IS 'The answer''s id (answer_id in rag.answer''s JSON; rated by rag.give_feedback)';
COMMENT ON COLUMN rag.answers.asked_at IS 'When the question was asked';
COMMENT ON COLUMN rag.answers.asked_by IS 'The role that asked (the session''s role)';
COMMENT ON COLUMN rag.answers.tenant IS 'The tenant asked about; NULL: every tenant the caller may see';
COMMENT ON COLUMN rag.answers.question IS 'The question as logged (PII masked under a tenant''s PII policy)';
COMMENT ON COLUMN rag.answers.answer IS 'The answer text with [N] citations, or the refusal';
COMMENT ON COLUMN rag.answers.supported IS 'true: answered from the sources; false: refused (refusal_reason in rag.answer_log)';
COMMENT ON COLUMN rag.answers.model IS 'Generator: ''extractive'' or the LLM endpoint and model';
COMMENT ON COLUMN rag.answers.n_sources IS 'How many sources the answer was given';
COMMENT ON COLUMN rag.answers.chunk_ids IS 'The sources'' chunk ids, in source order [1], [2], ...';
COMMENT ON COLUMN rag.answers.retrieval_ms IS 'Milliseconds spent retrieving (rag.search)';
COMMENT ON COLUMN rag.answers.generation_ms IS 'Milliseconds spent in the LLM; NULL when none was called';
COMMENT ON COLUMN rag.answers.total_ms IS 'Milliseconds for the whole call';
COMMENT ON COLUMN rag.answers.error IS 'Why the LLM was skipped (the extractive fallback answered); NULL when not';
COMMENT ON COLUMN rag.answers.support_ms IS 'Milliseconds spent checking that the sources support an answer';
COMMENT ON COLUMN rag.answers.embed_ms IS 'Milliseconds spent embedding the question';
COMMENT ON COLUMN rag.answers.vector_ms IS 'Milliseconds in the vector leg of the search; NULL when it did not run';
COMMENT ON COLUMN rag.answers.text_ms IS 'Milliseconds in the full-text leg of the search; NULL when it did not run';
COMMENT ON COLUMN rag.answers.fusion_ms IS 'The rest of the search: fusing the legs and fetching the chunks';
COMMENT ON COLUMN rag.answers.rerank_ms IS 'Milliseconds in the reranker; NULL when none ran';
COMMENT ON COLUMN rag.answers.fell_back IS 'The extractive generator answered although an LLM was asked: it failed or the guardrails discarded all it wrote';
COMMENT ON COLUMN rag.answers.llm_provider IS 'Host of the LLM endpoint called (rag.llm_prices.provider); NULL: none';
COMMENT ON COLUMN rag.answers.llm_model IS 'Model the LLM endpoint was asked for; NULL: none called';
COMMENT ON COLUMN rag.answers.tokens_in IS 'Prompt tokens of the LLM call; NULL when none or uncounted';
COMMENT ON COLUMN rag.answers.tokens_out IS 'Completion tokens of the LLM call; NULL when none or uncounted';
COMMENT ON COLUMN rag.answers.tokens_counted_by IS '''usage'': the reply''s own count; ''tokenizer'': the model''s tokenizer';
COMMENT ON VIEW rag.answer_latency IS 'The caller''s answers per day: latency percentiles and rates';
COMMENT ON COLUMN rag.answer_latency.day IS 'Day (start, server time zone)';
COMMENT ON COLUMN rag.answer_latency.answers IS 'Answers that day';
COMMENT ON COLUMN rag.answer_latency.p50_ms IS 'Median total milliseconds';
COMMENT ON COLUMN rag.answer_latency.p95_ms IS '95th percentile of total milliseconds';
COMMENT ON COLUMN rag.answer_latency.no_information_rate IS 'Share of answers refused (supported = false)';
COMMENT ON COLUMN rag.answer_latency.error_rate IS 'Share of answers whose LLM failed (extractive fallback)';
