"""Structure-aware chunks (section path, page) and per-sentence vectors.

Revision ID: 0010_structure
Revises: 0009_guardrails
"""
from alembic import op

from ragsql import sqlfiles

revision = "0010_structure"
down_revision = "0009_guardrails"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0010_structure.sql")


def downgrade():
    # Everything here is derived from the documents: nothing is lost. The
    # release before this one must not find the functions that use it.
    for fn in ("rag._embed_chunks", "rag._answer_evidence", "rag.chunk(text, int, int)",
               "rag.embedding_text(text, text[], text)"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP TABLE rag.sentence_embeddings")
    op.execute("ALTER TABLE rag.chunks DROP COLUMN section, DROP COLUMN page")
