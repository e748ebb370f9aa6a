"""Evaluation kept in the database: sets, cases, runs and results.

Revision ID: 0002_quality
Revises: 0001_core
"""
from alembic import op

from ragsql import sqlfiles
from ragsql.migration_guard import refuse_data_loss

revision = "0002_quality"
down_revision = "0001_core"
branch_labels = None
depends_on = None

# API objects that read this revision's tables (dropped on downgrade).
_OBJECTS = [
    "VIEW IF EXISTS rag.eval_worst_cases", "VIEW IF EXISTS rag.eval_trend", "VIEW IF EXISTS rag.eval_run_metrics",
    "FUNCTION IF EXISTS rag.evaluate", "PROCEDURE IF EXISTS rag.run_evaluation",
]


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0002_quality.sql")


def downgrade():
    refuse_data_loss(revision, ["rag.eval_sets", "rag.eval_runs"])
    for obj in _OBJECTS:
        op.execute(f"DROP {obj} CASCADE")
    for table in ("eval_results", "eval_runs", "eval_cases", "eval_sets"):
        op.execute(f"DROP TABLE IF EXISTS rag.{table} CASCADE")
