-- BM25 statistics per tenant: a tenant's term weights come from its own
-- chunks only, so they neither depend on nor reveal another tenant's
-- vocabulary. Both tables hold derived data (rag.refresh_text_stats() rebuilds
-- them), so they are recreated in the new shape and filled at once.
DROP TABLE rag.text_stats;
CREATE TABLE rag.text_stats (
    tenant text NOT NULL,
    lexeme text NOT NULL,
    df     int  NOT NULL,
    PRIMARY KEY (lexeme, tenant)  -- a query's lexemes are looked up for one tenant or for all
);
DROP TABLE rag.text_corpus_stats;
CREATE TABLE rag.text_corpus_stats (
    tenant       text PRIMARY KEY,
    n_chunks     bigint NOT NULL,
    avg_length   float8 NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO rag.text_stats (tenant, lexeme, df)
SELECT c.tenant, l.lexeme, count(*) FROM rag.chunks c, unnest(tsvector_to_array(c.tsv)) AS l(lexeme)
 GROUP BY c.tenant, l.lexeme;
INSERT INTO rag.text_corpus_stats (tenant, n_chunks, avg_length)
SELECT c.tenant, count(*), avg(length(c.tsv)) FROM rag.chunks c GROUP BY c.tenant;
ALTER TABLE rag.text_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE rag.text_corpus_stats ENABLE ROW LEVEL SECURITY;
