"""Registered model endpoints (rag.llm_endpoints): sessions choose one by name.

Revision ID: 0006_llm_endpoints
Revises: 0005_tenant_text_stats
"""
from alembic import op

from ragsql import sqlfiles
from ragsql.migration_guard import refuse_data_loss

revision = "0006_llm_endpoints"
down_revision = "0005_tenant_text_stats"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0006_llm_endpoints.sql")


def downgrade():
    refuse_data_loss(revision, ["rag.llm_endpoints"])
    for fn in ("rag.register_endpoint(text, text, text, text, text, int, boolean)", "rag.unregister_endpoint(text)"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP TABLE rag.llm_endpoints")
