"""What the MLflow sync mirrored: evaluation runs and stage transitions.

Revision ID: 0015_mlflow
Revises: 0014_drift
"""
from alembic import op

from ragsql import sqlfiles

revision = "0015_mlflow"
down_revision = "0014_drift"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0015_mlflow.sql")


def downgrade():
    # Only bookkeeping: MLflow keeps the runs; a later upgrade mirrors again
    # what it cannot match (the sync finds existing runs by their tags).
    op.execute("DROP TABLE rag.mlflow_stage_transitions, rag.mlflow_runs")
