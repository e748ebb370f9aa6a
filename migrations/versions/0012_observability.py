"""Observability: LLM prices, token counts per answer and intent call, intent stage timings.

Revision ID: 0012_observability
Revises: 0011_lifecycle
"""
from alembic import op

from ragsql import sqlfiles

revision = "0012_observability"
down_revision = "0011_lifecycle"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0012_observability.sql")


def downgrade():
    # Prices are configuration an owner typed in: pg_dump rag.llm_prices
    # first to keep them. Token counts go with their columns.
    op.execute("DROP VIEW IF EXISTS rag.cost_daily, rag.llm_calls, rag.stage_latency CASCADE")
    # This release's writers and readers of the new columns: the previous
    # release re-creates its own.
    for fn in ("rag._log_answer(text, text, bigint[], text, boolean, text, jsonb, text, jsonb, text, jsonb)",
               "rag._log_intent_call(text, text, date, jsonb, text[], text, int, float8, jsonb, text, jsonb, jsonb)",
               "rag._parse_intent_checked(text, date, text, text)", "rag.llm_price_at(text, text, timestamptz)",
               "rag.monitor_costs(int)", "rag.monitor_stage_latency(int)"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP VIEW IF EXISTS rag.answers CASCADE")
    op.execute("ALTER TABLE rag.intent_log DROP COLUMN timings_ms, DROP COLUMN llm_provider, DROP COLUMN llm_model,"
               " DROP COLUMN tokens_in, DROP COLUMN tokens_out, DROP COLUMN tokens_counted_by")
    op.execute("ALTER TABLE rag.answer_log DROP COLUMN llm_provider, DROP COLUMN llm_model,"
               " DROP COLUMN tokens_in, DROP COLUMN tokens_out, DROP COLUMN tokens_counted_by")
    op.execute("DROP TABLE rag.llm_prices")
