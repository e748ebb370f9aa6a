"""Vectors and queued work carry their chunk's tenant (row-level security).

Revision ID: 0007_embedding_tenant
Revises: 0006_llm_endpoints
"""
from alembic import op

from ragsql import sqlfiles

revision = "0007_embedding_tenant"
down_revision = "0006_llm_endpoints"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0007_embedding_tenant.sql")


def downgrade():
    # The column is derived from the chunk: nothing is lost.
    for table in ("embeddings", "embedding_queue"):
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON rag.{table}")
        op.execute(f"DROP TRIGGER IF EXISTS set_tenant ON rag.{table}")
        op.execute(f"ALTER TABLE rag.{table} DISABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE rag.{table} DROP COLUMN tenant")
    # (rag.set_tenant_from_parent stays: the chunks' trigger uses it too.)
