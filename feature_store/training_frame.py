"""A point-in-time-correct training frame: for each (sucursal_id, timestamp)
row, the branch's features as they stood at that instant (Feast's
get_historical_features over the offline store).

  scripts/feast.sh frame [--days N]     the last N days of every branch, as CSV
"""
import argparse
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
from feast import FeatureStore

FEATURES = [f"sucursal_ventas:{f}" for f in ("ventas_7d", "ganancia_7d", "ventas_30d", "ganancia_30d",
                                             "ticket_promedio_30d", "top_producto_30d")]


def frame(entity_rows):
    """entity_rows: DataFrame with sucursal_id and event_timestamp (UTC)."""
    store = FeatureStore(repo_path=str(Path(__file__).parent))
    return store.get_historical_features(entity_df=entity_rows, features=FEATURES).to_df()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--branches", type=int, nargs="*", default=[1, 2, 3, 4, 5, 6])
    args = p.parse_args(argv)
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    rows = pd.DataFrame([{"sucursal_id": b, "event_timestamp": now - timedelta(days=d)}
                         for b in args.branches for d in range(args.days)])
    frame(rows).sort_values(["sucursal_id", "event_timestamp"]).to_csv(sys.stdout, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
