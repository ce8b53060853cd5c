"""Engines run validated Athena SQL and return Rows: Athena through PyAthena, or DuckDB locally."""

from __future__ import annotations

from typing import Protocol

from flowsql.results import Rows


class Engine(Protocol):
    name: str

    def execute(self, sql: str) -> Rows:
        """Run one validated statement in Athena's dialect and return its rows."""
        ...
