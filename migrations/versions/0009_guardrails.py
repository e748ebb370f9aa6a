"""Guardrails: per-tenant PII policy (rag.tenant_policies), and what the
guardrails found and did per logged answer and intent call.

Revision ID: 0009_guardrails
Revises: 0008_eval_row_security
"""
from alembic import op

from ragsql import sqlfiles
from ragsql.migration_guard import refuse_data_loss

revision = "0009_guardrails"
down_revision = "0008_eval_row_security"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0009_guardrails.sql")


def downgrade():
    refuse_data_loss(revision, ["rag.tenant_policies"])
    # The release before this one has no guardrails: its API must not find them.
    for fn in ("rag.set_pii_policy(text, text)", "rag._pii_mode(text)",
               "rag._log_answer(text, text, bigint[], text, boolean, text, jsonb, text, jsonb)",
               "rag._log_intent_call(text, text, date, jsonb, text[], text, int, float8, jsonb)"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP TABLE rag.tenant_policies")
    for table in ("answer_log", "intent_log"):
        op.execute(f"ALTER TABLE rag.{table} DROP COLUMN guardrails")
