"""Engines run validated Athena SQL and return Rows: Athena through PyAthena, or DuckDB locally."""

from __future__ import annotations

from typing import Protocol

from flowsql.investigations.window import TimeWindow
from flowsql.results import Rows


class Engine(Protocol):
    name: str

    def execute(self, sql: str, *, window: TimeWindow | None = None) -> Rows:
        """Run one validated statement in Athena's dialect and return its rows. `window`, when
        given, is the time window every read of the table is bounded to: an engine may use it to
        skip files, never to change the answer."""
        ...
