"""Intent execution: sample sales domain, function registry, parser, validator,
dispatcher, call log and conversation history.

Revision ID: 0003_intents
Revises: 0002_quality
"""
from alembic import op

from ragsql import sqlfiles

revision = "0003_intents"
down_revision = "0002_quality"
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind().connection.dbapi_connection
    sqlfiles.apply(conn, "schema/003_sales.sql")
    sqlfiles.apply_idempotent(conn)
    sqlfiles.apply(conn, "schema/003_intents.sql")


def downgrade():
    op.execute("DROP FUNCTION IF EXISTS public.rag_ask(text)")
    op.execute("DROP VIEW IF EXISTS rag.intent_parse_stats")
    for fn in ("rag.ask(text, date)", "rag.execute_intent(jsonb, boolean)", "rag.validate_intent(jsonb)",
               "rag.parse_intent(text, date, text, text)"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    for table in ("conversation_turns", "intent_eval_runs", "intent_log", "intent_functions"):
        op.execute(f"DROP TABLE IF EXISTS rag.{table}")
    op.execute("DROP SCHEMA IF EXISTS ventas CASCADE")
