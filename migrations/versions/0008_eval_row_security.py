"""Row-level security on evaluation cases and results, and on tenant grants.

Revision ID: 0008_eval_row_security
Revises: 0007_embedding_tenant
"""
from alembic import op

from ragsql import sqlfiles

revision = "0008_eval_row_security"
down_revision = "0007_embedding_tenant"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0008_eval_row_security.sql")


def downgrade():
    for table in ("eval_results", "eval_cases", "tenant_access"):
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON rag.{table}")
        op.execute(f"ALTER TABLE rag.{table} DISABLE ROW LEVEL SECURITY")
