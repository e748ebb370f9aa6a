"""Entities, source and feature view of the sales domain: per branch
(sucursal), sales and margin over 7 and 30 days, average ticket and top
product over 30 days, from the view ventas.sucursal_features_diarias (one
row per branch and day, stamped at the end of the day it covers)."""
import os
from datetime import timedelta

import psycopg
from feast import Entity, FeatureView, Field
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import PostgreSQLSource
from feast.types import Float64, String
from feast.value_type import ValueType


def _ttl():
    """The TTL lives in the database (ventas.features_ttl()), so Feast and
    the SQL function ventas.features_sucursal serve the same values."""
    with psycopg.connect(host=os.environ["FEAST_PG_HOST"], port=os.environ["FEAST_PG_PORT"],
                         dbname=os.environ["FEAST_PG_DB"], user=os.environ["FEAST_PG_USER"],
                         password=os.environ.get("FEAST_PG_PASSWORD") or None) as conn:
        return conn.execute("SELECT extract(epoch FROM ventas.features_ttl())").fetchone()[0]


sucursal = Entity(name="sucursal", join_keys=["sucursal_id"], value_type=ValueType.INT64,
                  description="A branch (ventas.sucursales.id)")

ventas_diarias = PostgreSQLSource(
    name="ventas_diarias",
    query="SELECT * FROM ventas.sucursal_features_diarias",
    timestamp_field="event_timestamp",
)

sucursal_ventas = FeatureView(
    name="sucursal_ventas",
    entities=[sucursal],
    ttl=timedelta(seconds=float(_ttl())),
    schema=[
        Field(name="ventas_7d", dtype=Float64),
        Field(name="ganancia_7d", dtype=Float64),
        Field(name="ventas_30d", dtype=Float64),
        Field(name="ganancia_30d", dtype=Float64),
        Field(name="ticket_promedio_30d", dtype=Float64),
        Field(name="top_producto_30d", dtype=String),
    ],
    online=True,
    source=ventas_diarias,
)
