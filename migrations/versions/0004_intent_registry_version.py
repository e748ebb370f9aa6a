"""English names for the intent evaluation figures (accuracy, coverage,
rejection), and the intent registry version that lets each backend cache the
registry and its catalogs.

Revision ID: 0004_intent_registry_version
Revises: 0003_intents
"""
from alembic import op

from ragsql import sqlfiles

revision = "0004_intent_registry_version"
down_revision = "0003_intents"
branch_labels = None
depends_on = None


def upgrade():
    sqlfiles.apply(op.get_bind().connection.dbapi_connection, "schema/0004_intent_registry_version.sql")


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS intent_registry_version ON rag.intent_functions")
    # Catalog tables keep working without their version trigger once its
    # function is gone: drop the triggers with it.
    op.execute("DROP FUNCTION IF EXISTS rag.bump_intent_registry_version() CASCADE")
    op.execute("DROP FUNCTION IF EXISTS rag.watch_intent_catalogs()")
    op.execute("DROP TABLE IF EXISTS rag.intent_registry_version")
    op.execute("DROP SEQUENCE IF EXISTS rag.intent_registry_version_seq")
    for new, old in (("accuracy", "exactitud"), ("coverage", "cobertura"), ("rejection", "rechazo")):
        op.execute(f"ALTER TABLE rag.intent_eval_runs RENAME COLUMN {new} TO {old}")
