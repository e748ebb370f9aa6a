"""ragsql harness: migrations helpers, the document loader/CLI, evaluation
and benchmarks. The product itself lives in PostgreSQL (sql/, py_udfs/)."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def database_url():
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL is not set (run through make, or export it; `make -s dburl` prints the local one)")
    return url
