"""Entry module of sql/demo/040_ventas_features.sql: a branch's online
features from Feast's online store (feature_store/), as Feast serves them."""
from .. import feature_values
from .backend import run

# Feast's online table: <project>_<feature view> in the store's schema
# (feature_store/feature_store.yaml).
ONLINE_TABLE = 'feast."ragsql_ventas_sucursal_ventas"'


def features_sucursal(plpy, sucursal):
    branches = run(plpy, "SELECT id, nombre FROM ventas.sucursales WHERE $1::text IS NULL OR nombre = $1 ORDER BY id",
                   ["text"], [sucursal])
    if not branches:
        names = ", ".join(r["nombre"] for r in run(plpy, "SELECT nombre FROM ventas.sucursales ORDER BY nombre"))
        plpy.error(f"no existe la sucursal {sucursal!r}", sqlstate="22023", hint=f"las sucursales son {names}")
    if run(plpy, f"SELECT to_regclass('{ONLINE_TABLE}') IS NULL AS missing")[0]["missing"]:
        plpy.error("the feature store has not been applied to this database", sqlstate="55000",
                   hint="make feast (feast apply and materialize)")
    keys = {feature_values.entity_key("sucursal_id", r["id"]): r for r in branches}
    rows = run(plpy, f"SELECT entity_key, feature_name, value, event_ts FROM {ONLINE_TABLE}"
                     " WHERE entity_key = ANY ($1) AND event_ts > now() - ventas.features_ttl()"
                     " ORDER BY entity_key, feature_name", ["bytea[]"], [list(keys)])
    out = []
    for r in rows:
        branch = keys[bytes(r["entity_key"])]
        value = feature_values.decode_value(r["value"])
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        out.append({"sucursal_id": branch["id"], "nombre": branch["nombre"], "feature": r["feature_name"],
                    "valor": float(value) if numeric else None, "valor_texto": None if numeric else value,
                    "event_ts": r["event_ts"]})
    return out
