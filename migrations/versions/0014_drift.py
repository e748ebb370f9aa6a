"""Drift: corpus centroids, drift snapshots, the golden sets the nightly job runs.

Revision ID: 0014_drift
Revises: 0013_stages
"""
from alembic import op

from ragsql import sqlfiles

revision = "0014_drift"
down_revision = "0013_stages"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0014_drift.sql")


def downgrade():
    # Snapshots are history a BI tool charts: pg_dump them first to keep
    # them. Centroids are refitted in seconds; golden sets are a short list.
    op.execute("DROP VIEW IF EXISTS rag.drift_status CASCADE")
    for fn in ("FUNCTION rag.fit_drift_centroids(text, int)",
               "FUNCTION rag._drift_snapshot(text, timestamptz, timestamptz, timestamptz, timestamptz)",
               "FUNCTION rag.drift_snapshot(text, timestamptz, timestamptz, timestamptz, timestamptz)",
               "FUNCTION rag.drift_snapshot_all()", "FUNCTION rag.monitor_drift()",
               "PROCEDURE rag.run_golden_evaluations()"):
        op.execute(f"DROP {fn.replace(' ', ' IF EXISTS ', 1)}")
    op.execute("DROP TABLE rag.golden_sets, rag.drift_snapshots, rag.drift_centroids")
