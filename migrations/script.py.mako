"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""
from alembic import op

from ragsql import sqlfiles

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind().connection.dbapi_connection
    sqlfiles.apply_idempotent(conn)


def downgrade():
    pass
