"""Online reads through Feast's SDK, with the feature view's TTL enforced:
Feast 0.67 checks the TTL online only for pre-computed vectors, so a value
materialized long ago would otherwise still be served. The SQL function
ventas.features_sucursal applies the same rule to the same table."""
import time

from feast import FeatureStore

FEATURES = ["ventas_7d", "ganancia_7d", "ventas_30d", "ganancia_30d", "ticket_promedio_30d", "top_producto_30d"]


def online_features(store: FeatureStore, sucursal_ids, now=None):
    """{feature: [value per branch]} as of now; None past the TTL or never materialized."""
    view = store.get_feature_view("sucursal_ventas")
    got = store.get_online_features(features=[f"sucursal_ventas:{f}" for f in FEATURES],
                                    entity_rows=[{"sucursal_id": int(i)} for i in sucursal_ids]
                                    ).to_dict(include_event_timestamps=True)
    ttl = view.ttl.total_seconds() if view.ttl else None
    now = time.time() if now is None else now
    out = {"sucursal_id": list(sucursal_ids)}
    for f in FEATURES:
        out[f] = [v if v is not None and (ttl is None or now - (ts or 0) <= ttl) else None
                  for v, ts in zip(got[f], got[f + "__ts"])]
    return out
