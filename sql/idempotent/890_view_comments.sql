-- What every column of the views below means, for the catalog browsers of BI
-- tools (DBeaver, Metabase, psql's \d+). Views defined since carry their
-- comments in their own file (070_answer.sql, 080_feedback.sql,
-- 130_monitoring.sql); tests/test_monitoring_views.py fails on a view column
-- without one. Applied after every view exists, so a view recreated by an
-- earlier file gets its comments back.

COMMENT ON VIEW rag.vector_indexes IS 'Which vector index each embedding model uses, and its access method';
COMMENT ON COLUMN rag.vector_indexes.model IS 'Embedding model name (rag.embedding_models)';
COMMENT ON COLUMN rag.vector_indexes.dimensions IS 'Vector dimensions of the model';
COMMENT ON COLUMN rag.vector_indexes.active IS 'Whether queries use this model';
COMMENT ON COLUMN rag.vector_indexes.index_name IS 'The model''s partial index on rag.embeddings; NULL: none yet (rag.create_vector_index)';
COMMENT ON COLUMN rag.vector_indexes.method IS 'Index access method: diskann (pgvectorscale) or hnsw';
COMMENT ON COLUMN rag.vector_indexes.size IS 'Index size on disk, human readable';

COMMENT ON VIEW rag.embedding_queue_status IS 'The embedding queue per model, as the caller sees it (row security)';
COMMENT ON COLUMN rag.embedding_queue_status.model IS 'Embedding model name';
COMMENT ON COLUMN rag.embedding_queue_status.queued IS 'Chunks waiting to be embedded (attempts left)';
COMMENT ON COLUMN rag.embedding_queue_status.failed IS 'Chunks that failed rag.queue_max_attempts() times';
COMMENT ON COLUMN rag.embedding_queue_status.embedded IS 'Chunks with a vector of this model';
COMMENT ON COLUMN rag.embedding_queue_status.oldest_enqueued_at IS 'When the oldest queued chunk was enqueued';
COMMENT ON COLUMN rag.embedding_queue_status.last_error IS 'The most recent embedding error, if any';
COMMENT ON VIEW rag.graph_queue_status IS 'The graph''s extraction queue per tenant (tenants with rag.enable_graph), as the caller sees it';
COMMENT ON COLUMN rag.graph_queue_status.tenant IS 'Tenant whose chunks wait for entity extraction';
COMMENT ON COLUMN rag.graph_queue_status.queued IS 'Chunks waiting for extraction (attempts left)';
COMMENT ON COLUMN rag.graph_queue_status.failed IS 'Chunks whose extraction failed rag.queue_max_attempts() times';
COMMENT ON COLUMN rag.graph_queue_status.oldest_enqueued_at IS 'When the oldest queued chunk was enqueued';
COMMENT ON COLUMN rag.graph_queue_status.last_error IS 'The most recent extraction error, if any';

COMMENT ON VIEW rag.reembed_progress IS 'Re-embedding with a model (rag.reembed): progress per model';
COMMENT ON COLUMN rag.reembed_progress.model IS 'Embedding model name';
COMMENT ON COLUMN rag.reembed_progress.active IS 'Whether queries use this model';
COMMENT ON COLUMN rag.reembed_progress.reembedding IS 'Whether a re-embed with this model is under way';
COMMENT ON COLUMN rag.reembed_progress.chunks IS 'Chunks the caller can see';
COMMENT ON COLUMN rag.reembed_progress.embedded IS 'Of those, chunks with a vector of this model';
COMMENT ON COLUMN rag.reembed_progress.queued IS 'Chunks queued for this model (attempts left)';
COMMENT ON COLUMN rag.reembed_progress.failed IS 'Chunks that failed rag.queue_max_attempts() times';
COMMENT ON COLUMN rag.reembed_progress.pct_done IS 'embedded / chunks, in percent';

COMMENT ON VIEW rag.flagged_documents IS 'Documents whose text carries planted instructions (found at ingest), for review';
COMMENT ON COLUMN rag.flagged_documents.document_id IS 'Document id (rag.documents)';
COMMENT ON COLUMN rag.flagged_documents.tenant IS 'The document''s tenant';
COMMENT ON COLUMN rag.flagged_documents.title IS 'Document title';
COMMENT ON COLUMN rag.flagged_documents.source IS 'File path or URI the document came from';
COMMENT ON COLUMN rag.flagged_documents.created_at IS 'When it was ingested';
COMMENT ON COLUMN rag.flagged_documents.kinds IS 'Kinds of instruction found';
COMMENT ON COLUMN rag.flagged_documents.findings IS 'Each finding: kind, position, excerpt (metadata "injection")';

COMMENT ON VIEW rag.eval_run_metrics IS 'One row per evaluation run: retrieval and answer metrics';
COMMENT ON COLUMN rag.eval_run_metrics.run_id IS 'Evaluation run id (rag.eval_runs)';
COMMENT ON COLUMN rag.eval_run_metrics.set_name IS 'Evaluation set';
COMMENT ON COLUMN rag.eval_run_metrics.label IS 'Free label given to the run';
COMMENT ON COLUMN rag.eval_run_metrics.started_at IS 'When the run started';
COMMENT ON COLUMN rag.eval_run_metrics.finished_at IS 'When it finished; NULL while running';
COMMENT ON COLUMN rag.eval_run_metrics.status IS 'running, done or failed';
COMMENT ON COLUMN rag.eval_run_metrics.mode IS 'Retrieval mode: hybrid, vector or text';
COMMENT ON COLUMN rag.eval_run_metrics.rerank IS 'Whether the reranker was used';
COMMENT ON COLUMN rag.eval_run_metrics.embedding_model IS 'Embedding model of the run';
COMMENT ON COLUMN rag.eval_run_metrics.generator IS 'Answer generator: extractive or the LLM; NULL: retrieval only';
COMMENT ON COLUMN rag.eval_run_metrics.judge IS 'Faithfulness judge: the LLM or the lexical judge';
COMMENT ON COLUMN rag.eval_run_metrics.cases IS 'Cases evaluated';
COMMENT ON COLUMN rag.eval_run_metrics.recall_at_1 IS 'Share of cases whose first relevant document ranked 1st';
COMMENT ON COLUMN rag.eval_run_metrics.recall_at_5 IS 'Share of cases with a relevant document in the top 5';
COMMENT ON COLUMN rag.eval_run_metrics.recall_at_10 IS 'Share of cases with a relevant document in the top 10';
COMMENT ON COLUMN rag.eval_run_metrics.mrr IS 'Mean reciprocal rank of the first relevant document (0 when missing)';
COMMENT ON COLUMN rag.eval_run_metrics.ndcg_at_10 IS 'Mean nDCG@10 of the relevant documents';
COMMENT ON COLUMN rag.eval_run_metrics.contains_reference IS 'Share of answers containing the reference answer';
COMMENT ON COLUMN rag.eval_run_metrics.token_f1 IS 'Mean token F1 against the reference (SQuAD normalisation)';
COMMENT ON COLUMN rag.eval_run_metrics.faithfulness IS 'Mean share of answer statements the contexts support';
COMMENT ON COLUMN rag.eval_run_metrics.answer_relevancy IS 'Mean answer relevancy (RAGAS); 0 for a refusal';
COMMENT ON COLUMN rag.eval_run_metrics.context_precision IS 'Mean context precision (RAGAS)';
COMMENT ON COLUMN rag.eval_run_metrics.context_recall IS 'Mean context recall (RAGAS)';
COMMENT ON COLUMN rag.eval_run_metrics.hallucination_rate IS 'Share of non-refusal answers with an unsupported statement';
COMMENT ON COLUMN rag.eval_run_metrics.refusal_rate IS 'Share of answers refused';
COMMENT ON COLUMN rag.eval_run_metrics.retrieval_p50_ms IS 'Median milliseconds of rag.search per case';
COMMENT ON COLUMN rag.eval_run_metrics.answer_p50_ms IS 'Median milliseconds of rag.answer per case';
COMMENT ON COLUMN rag.eval_run_metrics.refusal_precision IS 'Refusals of cases marked {"answerable": false} / refusals';
COMMENT ON COLUMN rag.eval_run_metrics.refusal_recall IS 'Refused cases marked {"answerable": false} / such cases answered or refused';
COMMENT ON COLUMN rag.eval_run_metrics.refusal_f1 IS 'Harmonic mean of refusal precision and recall; NULL: no unanswerable case';

COMMENT ON VIEW rag.eval_trend IS 'Finished evaluation runs over time, per set and configuration, with changes';
COMMENT ON COLUMN rag.eval_trend.set_name IS 'Evaluation set';
COMMENT ON COLUMN rag.eval_trend.mode IS 'Retrieval mode';
COMMENT ON COLUMN rag.eval_trend.rerank IS 'Whether the reranker was used';
COMMENT ON COLUMN rag.eval_trend.embedding_model IS 'Embedding model of the run';
COMMENT ON COLUMN rag.eval_trend.generator IS 'Answer generator; NULL: retrieval only';
COMMENT ON COLUMN rag.eval_trend.started_at IS 'When the run started';
COMMENT ON COLUMN rag.eval_trend.run_id IS 'Evaluation run id';
COMMENT ON COLUMN rag.eval_trend.recall_at_5 IS 'As in rag.eval_run_metrics';
COMMENT ON COLUMN rag.eval_trend.mrr IS 'As in rag.eval_run_metrics';
COMMENT ON COLUMN rag.eval_trend.ndcg_at_10 IS 'As in rag.eval_run_metrics';
COMMENT ON COLUMN rag.eval_trend.token_f1 IS 'As in rag.eval_run_metrics';
COMMENT ON COLUMN rag.eval_trend.faithfulness IS 'As in rag.eval_run_metrics';
COMMENT ON COLUMN rag.eval_trend.hallucination_rate IS 'As in rag.eval_run_metrics';
COMMENT ON COLUMN rag.eval_trend.ndcg_change IS 'nDCG@10 minus the previous run''s of the same configuration';
COMMENT ON COLUMN rag.eval_trend.faithfulness_change IS 'Faithfulness minus the previous run''s of the same configuration';

COMMENT ON VIEW rag.eval_worst_cases IS 'The cases each evaluation run got most wrong';
COMMENT ON COLUMN rag.eval_worst_cases.run_id IS 'Evaluation run id';
COMMENT ON COLUMN rag.eval_worst_cases.case_id IS 'Evaluation case id (rag.eval_cases)';
COMMENT ON COLUMN rag.eval_worst_cases.external_id IS 'The case''s id in its source data set';
COMMENT ON COLUMN rag.eval_worst_cases.question IS 'The case''s question';
COMMENT ON COLUMN rag.eval_worst_cases.reference_answer IS 'The expected answer';
COMMENT ON COLUMN rag.eval_worst_cases.first_relevant_rank IS 'Rank of the first relevant document; NULL: not retrieved';
COMMENT ON COLUMN rag.eval_worst_cases.ndcg_at_10 IS 'The case''s nDCG@10';
COMMENT ON COLUMN rag.eval_worst_cases.answer IS 'The answer produced; NULL: retrieval-only run';
COMMENT ON COLUMN rag.eval_worst_cases.faithfulness IS 'Share of the answer''s statements the contexts support';
COMMENT ON COLUMN rag.eval_worst_cases.token_f1 IS 'Token F1 against the reference';
COMMENT ON COLUMN rag.eval_worst_cases.badness_rank IS '1 = the run''s worst case (by nDCG, then faithfulness, then F1)';

COMMENT ON VIEW rag.intent_parse_stats IS 'The caller''s intent calls (rag.ask) per day and parser: which path they took';
COMMENT ON COLUMN rag.intent_parse_stats.day IS 'Day (start, server time zone)';
COMMENT ON COLUMN rag.intent_parse_stats.parser IS 'Parser that produced the intent, as rag.parse_intent names it (rules, llm, ...)';
COMMENT ON COLUMN rag.intent_parse_stats.questions IS 'Questions that day';
COMMENT ON COLUMN rag.intent_parse_stats.executed_rate IS 'Share that ran a registered function';
COMMENT ON COLUMN rag.intent_parse_stats.rejected_rate IS 'Share whose intent failed validation';
COMMENT ON COLUMN rag.intent_parse_stats.document_answer_rate IS 'Share answered from documents (no function matched)';
COMMENT ON COLUMN rag.intent_parse_stats.p50_ms IS 'Median milliseconds per call';
COMMENT ON COLUMN rag.intent_parse_stats.clarify_rate IS 'Share answered with a question back (an unknown catalog value, a missing parameter)';
COMMENT ON COLUMN rag.intent_parse_stats.change_request_rate IS 'Share that asked to change data (refused, or waiting for confirm => true)';

COMMENT ON VIEW rag.pending_versions IS 'New versions of documents not searchable yet: still being embedded, or their embedding failed (the earlier version stays live)';
COMMENT ON COLUMN rag.pending_versions.document_id IS 'The pending version''s document id';
COMMENT ON COLUMN rag.pending_versions.tenant IS 'Tenant of the document';
COMMENT ON COLUMN rag.pending_versions.source IS 'Source (file path or vectorizer row) both versions share';
COMMENT ON COLUMN rag.pending_versions.title IS 'Title of the pending version';
COMMENT ON COLUMN rag.pending_versions.replaces IS 'Document id of the live version it replaces once embedded; NULL: none left';
COMMENT ON COLUMN rag.pending_versions.created_at IS 'When the pending version was loaded';
COMMENT ON COLUMN rag.pending_versions.queued IS 'Its chunks still waiting in the embedding queue';
COMMENT ON COLUMN rag.pending_versions.failed IS 'Its chunks whose embedding failed past the retry limit: the version stays pending';
COMMENT ON COLUMN rag.pending_versions.last_error IS 'The newest embedding error of its chunks';
