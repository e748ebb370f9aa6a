"""Intent execution: the function registry, the call log, parse-accuracy runs
and the conversation history. (Until this layout, this revision also created
the demo sales schema `ventas`; databases that have it keep it, and the demo
installs it idempotently: sql/demo/.)

Revision ID: 0003_intents
Revises: 0002_quality
"""
from alembic import op

from ragsql import sqlfiles
from ragsql.migration_guard import refuse_data_loss

revision = "0003_intents"
down_revision = "0002_quality"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0003_intents.sql")


def downgrade():
    # The registry rows a DBA added count; the ones the demo installs too.
    refuse_data_loss(revision, ["rag.intent_functions", "rag.intent_log", "rag.intent_eval_runs",
                                "rag.conversation_turns"])
    op.execute("DROP FUNCTION IF EXISTS public.rag_ask(text)")
    op.execute("DROP VIEW IF EXISTS rag.intent_parse_stats")
    for fn in ("rag.ask(text, date)", "rag.execute_intent(jsonb, boolean)", "rag._run_intent(jsonb, boolean)",
               "rag.validate_intent(jsonb)", "rag._parse_intent_checked(text, date, text, text)",
               "rag.parse_intent(text, date, text, text)"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    for table in ("conversation_turns", "intent_eval_runs", "intent_log", "intent_functions"):
        op.execute(f"DROP TABLE IF EXISTS rag.{table}")
