"""Stages of versioned artefacts, their history, the promotion gate, answer prompts.

Revision ID: 0013_stages
Revises: 0012_observability
"""
from alembic import op

from ragsql import sqlfiles
from ragsql.migration_guard import refuse_data_loss

revision = "0013_stages"
down_revision = "0012_observability"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0013_stages.sql")


def downgrade():
    # The promotion history is an audit record: pg_dump it before going back.
    refuse_data_loss(revision, ["rag.stage_history"])
    # eval_run_metrics gained the refusal columns: the previous release
    # re-creates it (and eval_trend, which reads it) without them.
    op.execute("DROP VIEW IF EXISTS rag.eval_run_metrics, rag.artefact_stages_current CASCADE")
    for fn in ("rag.transition_stage(text, text, text, boolean, boolean, text)",
               "rag._record_stage(text, text, text, text, boolean, text, jsonb)",
               "rag.promotion_check(text, text)", "rag._gate_metric(text, text, text, text)",
               "rag._production_prompt()", "rag._production_parser()", "rag._shipped_answer_prompt()"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP TABLE rag.promotion_gates, rag.stage_history, rag.artefact_stages, rag.answer_prompts")
