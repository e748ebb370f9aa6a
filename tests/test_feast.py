"""Feast on the same PostgreSQL (feature_store/): offline store, online
store and registry in this database. Online (SDK) and offline (historical)
values agree for the same instant, the SQL function serves what the SDK
does, a value past its TTL is served by neither, a training frame sees no
sale after its timestamp, and materializing twice changes nothing."""
import json
import os
import subprocess

import psycopg
import pytest

from .conftest import ROOT

FEAST_PY = ROOT / ".venv-feast" / "bin" / "python"
pytestmark = pytest.mark.skipif(not FEAST_PY.exists(), reason="Feast's venv is missing: make feast-venv")
FEATURES = ["ventas_7d", "ganancia_7d", "ventas_30d", "ganancia_30d", "ticket_promedio_30d", "top_producto_30d"]
SDK = """
import json, sys
from datetime import datetime, timezone
import pandas as pd
from feast import FeatureStore
from online import online_features
store = FeatureStore(repo_path=".")
refs = ["sucursal_ventas:" + f for f in %(features)r]
mode, rows = sys.argv[1], json.loads(sys.argv[2])
if mode == "online":
    out = online_features(store, rows)
elif mode == "online-raw":  # Feast's own read, without the TTL rule
    out = store.get_online_features(features=refs, entity_rows=[{"sucursal_id": r} for r in rows]).to_dict()
else:
    df = pd.DataFrame([{"sucursal_id": r[0], "event_timestamp": pd.Timestamp(r[1])} for r in rows])
    out = store.get_historical_features(entity_df=df, features=refs).to_df()
    out["event_timestamp"] = out["event_timestamp"].astype(str)
    out = out.sort_values(["sucursal_id", "event_timestamp"]).to_dict(orient="list")
print(json.dumps(out, default=str))
""" % {"features": FEATURES}


def feast(db_url, *args):
    out = subprocess.run(["bash", "scripts/feast.sh", *args], cwd=ROOT, env=dict(os.environ, DATABASE_URL=db_url),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def sdk(db_url, mode, rows):
    return json.loads(feast(db_url, "python", "-c", SDK, mode, json.dumps(rows)).strip().splitlines()[-1])


@pytest.fixture(scope="module")
def applied(db_url):
    feast(db_url, "apply")
    return db_url


def sql_features(conn, branch=None):
    rows = conn.execute("SELECT * FROM ventas.features_sucursal(%s)", (branch,)).fetchall()
    return {(r["sucursal_id"], r["feature"]): r["valor"] if r["valor"] is not None else r["valor_texto"]
            for r in rows}


def test_a_value_past_its_ttl_is_served_by_neither_the_sdk_nor_sql(applied, conn):
    feast(applied, "feast", "materialize", "2025-03-01T00:00:00", "2025-03-10T00:00:00")
    stored = conn.execute("SELECT count(*) AS n, max(event_ts) AS last FROM feast.ragsql_ventas_sucursal_ventas"
                          ).fetchone()
    assert stored["n"] == 6 * len(FEATURES) and stored["last"].isoformat().startswith("2025-03-10")
    assert sdk(applied, "online-raw", [1, 2])["ventas_7d"][0] is not None  # Feast alone would serve it
    online = sdk(applied, "online", [1, 2])
    assert online["ventas_7d"] == [None, None] and online["top_producto_30d"] == [None, None]
    assert sql_features(conn) == {}


def test_online_offline_and_sql_agree_for_the_same_instant(applied, conn):
    feast(applied, "materialize")  # up to now
    online = sdk(applied, "online", [1, 2, 3, 4, 5, 6])
    last = conn.execute("SELECT max(event_ts) AS t FROM feast.ragsql_ventas_sucursal_ventas").fetchone()["t"]
    offline = sdk(applied, "offline", [[b, last.isoformat()] for b in range(1, 7)])
    served = sql_features(conn)
    for i, branch in enumerate(range(1, 7)):
        for f in FEATURES:
            assert online[f][i] is not None, (branch, f)
            assert offline[f][i] == online[f][i], (branch, f, offline[f][i], online[f][i])
            assert served[(branch, f)] == online[f][i], (branch, f)
    # and they are the sales the view defines: the 7 days before the stamp
    direct = conn.execute("SELECT sum(monto)::float8 AS s FROM ventas.lineas WHERE sucursal_id = 1"
                          " AND fecha >= (%s::timestamptz AT TIME ZONE 'UTC')::date - 7"
                          " AND fecha < (%s::timestamptz AT TIME ZONE 'UTC')::date", (last, last)).fetchone()["s"]
    assert online["ventas_7d"][0] == pytest.approx(direct)


def test_the_training_frame_sees_no_sale_after_its_timestamp(applied, conn):
    t = "2025-03-10T12:00:00+00:00"
    frame = sdk(applied, "offline", [[1, t], [1, "2025-03-11T00:00:00+00:00"]])
    before = conn.execute("SELECT sum(monto)::float8 AS s FROM ventas.lineas WHERE sucursal_id = 1"
                          " AND fecha BETWEEN '2025-03-03' AND '2025-03-09'").fetchone()["s"]
    with_day = conn.execute("SELECT sum(monto)::float8 AS s FROM ventas.lineas WHERE sucursal_id = 1"
                            " AND fecha BETWEEN '2025-03-04' AND '2025-03-10'").fetchone()["s"]
    assert frame["ventas_7d"] == [pytest.approx(before), pytest.approx(with_day)]
    assert before != with_day  # the sales of 10 March count only from its end on


def test_materializing_again_changes_nothing(applied, conn):
    feast(applied, "materialize")
    before = conn.execute("SELECT entity_key, feature_name, value, event_ts FROM feast.ragsql_ventas_sucursal_ventas"
                          " ORDER BY 1, 2").fetchall()
    feast(applied, "materialize")
    after = conn.execute("SELECT entity_key, feature_name, value, event_ts FROM feast.ragsql_ventas_sucursal_ventas"
                         " ORDER BY 1, 2").fetchall()
    assert after == before and len(after) == 6 * len(FEATURES)


def test_an_unknown_branch_is_a_clear_error(conn, applied):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="no existe la sucursal 'Once'") as e:
        conn.execute("SELECT * FROM ventas.features_sucursal('Once')")
    assert "Palermo" in e.value.diag.message_hint
