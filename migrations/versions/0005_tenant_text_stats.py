"""BM25 statistics per tenant (rag.text_stats, rag.text_corpus_stats).

Revision ID: 0005_tenant_text_stats
Revises: 0004_intent_registry_version
"""
from alembic import op

from ragsql import sqlfiles

revision = "0005_tenant_text_stats"
down_revision = "0004_intent_registry_version"
branch_labels = None
depends_on = None


def upgrade():
    # The functions that read the statistics take the tenant from now on; the
    # API applied after this revision creates them with their new arguments.
    op.execute("""DO $$
        DECLARE f regprocedure;
        BEGIN
            FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                      WHERE p.pronamespace = 'rag'::regnamespace
                        AND p.proname IN ('text_query', '_signals', '_signal_scores', '_rerank_scores') LOOP
                EXECUTE 'DROP FUNCTION ' || f;
            END LOOP;
        END $$""")
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0005_tenant_text_stats.sql")


def downgrade():
    # Derived data: back to corpus-wide statistics, recomputed.
    op.execute("DROP FUNCTION IF EXISTS rag.text_query(text, text, text)")
    op.execute("DROP TABLE rag.text_stats")
    op.execute("DROP TABLE rag.text_corpus_stats")
    op.execute("CREATE TABLE rag.text_stats (lexeme text PRIMARY KEY, df int NOT NULL)")
    op.execute("CREATE TABLE rag.text_corpus_stats (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),"
               " n_chunks bigint NOT NULL, avg_length float8 NOT NULL, refreshed_at timestamptz NOT NULL DEFAULT now())")
    op.execute("INSERT INTO rag.text_stats SELECT l.lexeme, count(*) FROM rag.chunks c,"
               " unnest(tsvector_to_array(c.tsv)) AS l(lexeme) GROUP BY l.lexeme")
    op.execute("INSERT INTO rag.text_corpus_stats (n_chunks, avg_length)"
               " SELECT count(*), coalesce(avg(length(tsv)), 1) FROM rag.chunks")
