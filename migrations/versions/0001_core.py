"""Core RAG schema: documents, chunks, embeddings per model, queue, answer log,
hybrid search and answer functions.

Revision ID: 0001_core
Revises:
"""
from alembic import op

from ragsql import sqlfiles

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def _dbapi():
    return op.get_bind().connection.dbapi_connection


def upgrade():
    conn = _dbapi()
    sqlfiles.apply(conn, "schema/001_core.sql")
    sqlfiles.apply_idempotent(conn)
    sqlfiles.apply(conn, "schema/001_models.sql")


def downgrade():
    # Extensions and the cluster-wide rag_user role stay: other objects may use them.
    op.execute("DROP FUNCTION IF EXISTS public.rag_answer(text)")
    op.execute("DROP SCHEMA IF EXISTS rag CASCADE")
