"""Where an inventory lives, and whether an engine can read it there."""

from __future__ import annotations

import os


def available(location: str | None, engine: str) -> bool:
    """DuckDB reads a local folder holding a snapshot; Athena reads the Glue tables published from
    an s3:// location (checked when the query runs: Athena names a missing table)."""
    if not location:
        return False
    if location.startswith("s3://"):
        return engine == "athena"
    if engine != "duckdb" or not os.path.isdir(location):
        return False
    from flowsql.inventory import store

    return store.exists(location)


def configured(location: str | None) -> bool:
    """Whether an inventory is there for either engine (what `flowsql render` assumes)."""
    if not location:
        return False
    return location.startswith("s3://") or available(location, "duckdb")
