"""ragsql's Python side: the code PL/Python functions import and call.

Everything here also runs outside the server (plain functions, no `plpy`
at import time), so it is unit-testable; the thin SQL wrappers live in
sql/idempotent/.
"""
__version__ = "0.1.0"
