"""Downgrades that would drop rows refuse unless the DBA says so:

    alembic -x allow_data_loss=true downgrade <revision>

Every run of revisions is one transaction (migrations/env.py), so a refused
or failed downgrade leaves the database at the revision it started from."""
from alembic import context, op


class DataLossRefused(RuntimeError):
    pass


def refuse_data_loss(revision, tables):
    """Raise unless `tables` (schema-qualified) are empty or the run was
    given -x allow_data_loss=true."""
    allowed = context.get_x_argument(as_dictionary=True).get("allow_data_loss", "").lower() in ("1", "true", "yes")
    if allowed:
        return
    conn = op.get_bind().connection.dbapi_connection
    holding = []
    with conn.cursor() as cur:
        for table in tables:
            cur.execute(f"SELECT count(*) FROM {table}")
            n = cur.fetchone()[0]
            if n:
                holding.append(f"{table} ({n} rows)")
    if holding:
        raise DataLossRefused(
            f"downgrading {revision} would drop {', '.join(holding)}; nothing was changed. "
            "Back the data up, then run: alembic -x allow_data_loss=true downgrade <revision>")
