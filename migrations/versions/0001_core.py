"""Core RAG schema: documents, chunks, embeddings per model, queue, tenants,
text statistics, answer log.

Revision ID: 0001_core
Revises:
"""
from alembic import op

from ragsql import sqlfiles
from ragsql.migration_guard import refuse_data_loss

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0001_core.sql")


def downgrade():
    refuse_data_loss(revision, ["rag.documents", "rag.tenant_access", "rag.answer_log"])
    # Extensions and the cluster-wide rag_user role stay: other objects may use them.
    op.execute("DROP FUNCTION IF EXISTS public.rag_answer(text)")
    op.execute("DROP SCHEMA IF EXISTS rag CASCADE")
