-- Evaluation from SQL: rag.evaluate runs a set and stores one row per case;
-- the views below are what BI tools chart. `prompt` names a registered
-- answer prompt to give the LLM instead of Production's: a candidate prompt's
-- evidence for the promotion gate (105_stages.sql).

-- Before `prompt` was a parameter.
DROP FUNCTION IF EXISTS rag.evaluate(text, text, int, boolean, text, boolean, text, int, text, float8, float8, int);
DROP PROCEDURE IF EXISTS rag.run_evaluation(text, text, int, boolean, text, boolean, text, int, text, float8, float8,
                                            int, bigint);

CREATE OR REPLACE FUNCTION rag.evaluate(
    set_name text,
    mode text DEFAULT 'hybrid',
    k int DEFAULT 10,
    rerank boolean DEFAULT false,
    reranker text DEFAULT NULL,
    generate boolean DEFAULT false,
    label text DEFAULT NULL,
    max_cases int DEFAULT NULL,
    model text DEFAULT NULL,
    vector_weight float8 DEFAULT 1.0,
    text_weight float8 DEFAULT 1.0,
    sources int DEFAULT 5,
    prompt text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpython3u VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import evaluation
return evaluation.evaluate(plpy, set_name, mode, k, rerank, reranker, generate, label, max_cases, model,
                           vector_weight, text_weight, sources, prompt)
$py$;

-- The same, committing after every case (CALL it outside a transaction
-- block): for long runs, e.g. with an LLM. A procedure that commits cannot
-- carry a SET clause; every name in py_udfs' SQL is schema-qualified.
CREATE OR REPLACE PROCEDURE rag.run_evaluation(
    set_name text,
    mode text DEFAULT 'hybrid',
    k int DEFAULT 10,
    rerank boolean DEFAULT false,
    reranker text DEFAULT NULL,
    generate boolean DEFAULT false,
    label text DEFAULT NULL,
    max_cases int DEFAULT NULL,
    model text DEFAULT NULL,
    vector_weight float8 DEFAULT 1.0,
    text_weight float8 DEFAULT 1.0,
    sources int DEFAULT 5,
    prompt text DEFAULT NULL,
    INOUT run_id bigint DEFAULT NULL)
LANGUAGE plpython3u
AS $py$
if "ragsql" not in GD: plpy.execute("SELECT rag._py_init()")
from py_udfs.pg import evaluation
return {"run_id": evaluation.evaluate(plpy, set_name, mode, k, rerank, reranker, generate, label, max_cases, model,
                                       vector_weight, text_weight, sources, prompt, commit=True)}
$py$;

-- One row per run: retrieval metrics over all cases; answer metrics over
-- the cases that produced an answer; hallucination rate over the answers
-- that were not refusals (at least one unsupported statement); refusal
-- precision, recall and F1 over the answered cases, where a case whose
-- metadata says {"answerable": false} should be refused (NULL: the set has
-- no such case).
CREATE OR REPLACE VIEW rag.eval_run_metrics WITH (security_invoker = true) AS
SELECT m.*, 2 * m.refusal_precision * m.refusal_recall / nullif(m.refusal_precision + m.refusal_recall, 0)
           AS refusal_f1
FROM (
SELECT r.id AS run_id, s.name AS set_name, r.label, r.started_at, r.finished_at, r.status,
       r.config ->> 'mode' AS mode, (r.config ->> 'rerank')::boolean AS rerank,
       r.config ->> 'embedding_model' AS embedding_model, r.config ->> 'generator' AS generator,
       r.config -> 'judge' ->> 'faithfulness' AS judge,
       count(x.case_id) AS cases,
       -- a case whose relevant document was not retrieved (rank NULL) counts 0
       avg(coalesce(x.first_relevant_rank = 1, false)::int) AS recall_at_1,
       avg(coalesce(x.first_relevant_rank <= 5, false)::int) AS recall_at_5,
       avg(coalesce(x.first_relevant_rank <= 10, false)::int) AS recall_at_10,
       avg(coalesce(1.0 / x.first_relevant_rank, 0)) AS mrr,
       avg(x.ndcg_at_10) AS ndcg_at_10,
       avg(x.contains_reference::int) AS contains_reference,
       avg(x.token_f1) AS token_f1,
       avg(x.faithfulness) AS faithfulness,
       avg(x.answer_relevancy) AS answer_relevancy,
       avg(x.context_precision) AS context_precision,
       avg(x.context_recall) AS context_recall,
       avg((x.faithfulness < 1)::int) FILTER (WHERE x.supported AND x.faithfulness IS NOT NULL) AS hallucination_rate,
       avg((NOT x.supported)::int) AS refusal_rate,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY x.retrieval_ms) AS retrieval_p50_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY x.answer_ms) AS answer_p50_ms,
       (count(*) FILTER (WHERE NOT x.supported AND c.metadata ->> 'answerable' = 'false'))::float8
           / nullif(count(*) FILTER (WHERE NOT x.supported), 0) AS refusal_precision,
       (count(*) FILTER (WHERE NOT x.supported AND c.metadata ->> 'answerable' = 'false'))::float8
           / nullif(count(*) FILTER (WHERE x.supported IS NOT NULL AND c.metadata ->> 'answerable' = 'false'), 0)
           AS refusal_recall
FROM rag.eval_runs r
JOIN rag.eval_sets s ON s.id = r.set_id
LEFT JOIN rag.eval_results x ON x.run_id = r.id
LEFT JOIN rag.eval_cases c ON c.id = x.case_id
GROUP BY r.id, s.name) m;

-- The same figures over time, per set and configuration.
CREATE OR REPLACE VIEW rag.eval_trend WITH (security_invoker = true) AS
SELECT set_name, mode, rerank, embedding_model, generator, started_at, run_id,
       recall_at_5, mrr, ndcg_at_10, token_f1, faithfulness, hallucination_rate,
       ndcg_at_10 - lag(ndcg_at_10) OVER w AS ndcg_change,
       faithfulness - lag(faithfulness) OVER w AS faithfulness_change
FROM rag.eval_run_metrics
WHERE status = 'done'
WINDOW w AS (PARTITION BY set_name, mode, rerank, embedding_model, generator ORDER BY started_at);

-- The cases each run got most wrong: not retrieved, badly ranked, or unfaithful.
CREATE OR REPLACE VIEW rag.eval_worst_cases WITH (security_invoker = true) AS
SELECT x.run_id, c.id AS case_id, c.external_id, c.question, c.reference_answer, x.first_relevant_rank,
       x.ndcg_at_10, x.answer, x.faithfulness, x.token_f1,
       rank() OVER (PARTITION BY x.run_id
                    ORDER BY x.ndcg_at_10, coalesce(x.faithfulness, 1), coalesce(x.token_f1, 1)) AS badness_rank
FROM rag.eval_results x
JOIN rag.eval_cases c ON c.id = x.case_id;
