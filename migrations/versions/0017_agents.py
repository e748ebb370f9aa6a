"""Agents with a human in the loop: runs, steps, pending actions, incidents.

Revision ID: 0017_agents
Revises: 0016_graph
"""
from alembic import op

from ragsql import sqlfiles
from ragsql.migration_guard import refuse_data_loss

revision = "0017_agents"
down_revision = "0016_graph"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0017_agents.sql")


def downgrade():
    # Incidents and decisions are records people made: keep them unless told.
    refuse_data_loss(revision, ["rag.incidents", "rag.pending_actions"])
    for fn in ("rag.agent_run(text, text, int, int, text[], text)", "rag._agent_run(text, text, int, int, text[], text)",
               "rag._agent_sql(text, int, int)", "rag._agent_sql_target()", "rag._agent_start(text, text, int, int, text)",
               "rag._agent_check_run(bigint)",
               "rag._agent_log_step(bigint, int, text, text, jsonb, jsonb, text, int, int, float8)",
               "rag._agent_finish(bigint, text, text, text, int, int, int)",
               "rag._agent_propose(bigint, int, text, jsonb, text)", "rag.expire_actions()", "rag.action_ttl()",
               "rag.approve_action(bigint)", "rag.reject_action(bigint, text)", "rag._claim_action(bigint)",
               "rag._settle_action(bigint, text, jsonb, text, text)", "rag.open_incident(text, text, text)"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP TABLE rag.incidents, rag.pending_actions, rag.agent_steps, rag.agent_runs")
