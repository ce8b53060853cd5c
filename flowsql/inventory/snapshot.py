"""Snapshot: the rows of every inventory table, when they were taken and from where."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from flowsql.inventory.tables import TABLES

MANIFEST = "snapshot.json"


@dataclass
class Snapshot:
    """Rows keyed by column name (None for a missing value) for each table in TABLES."""

    taken_at: datetime
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Where it came from: regions, account, the ip-ranges file and its createDate, …
    source: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.taken_at.tzinfo is None:
            self.taken_at = self.taken_at.replace(tzinfo=timezone.utc)
        for name in TABLES:
            self.tables.setdefault(name, [])
        unknown = set(self.tables) - set(TABLES)
        if unknown:
            raise ValueError(f"unknown inventory table(s): {', '.join(sorted(unknown))}")
        self.tables = {name: [_row(name, r) for r in rows] for name, rows in self.tables.items()}

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}

    def merged(self, other: Snapshot) -> Snapshot:
        """This snapshot with `other`'s rows added (several Regions in one inventory)."""
        tables = {name: [*self.tables[name], *other.tables[name]] for name in TABLES}
        source = {**other.source, **self.source}
        regions = [*self.source.get("regions", []), *other.source.get("regions", [])]
        if regions:
            source["regions"] = sorted(set(regions))
        return Snapshot(max(self.taken_at, other.taken_at), tables, source)

    def with_table(self, name: str, rows: Sequence[Mapping[str, Any]], **source: Any) -> Snapshot:
        tables = {**self.tables, name: [dict(r) for r in rows]}
        return Snapshot(self.taken_at, tables, {**self.source, **source})

    def manifest(self) -> dict[str, Any]:
        return {
            "written_by": "flowsql inventory",
            "taken_at": self.taken_at.isoformat(),
            "source": self.source,
            "counts": self.counts(),
        }


def _row(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    columns = TABLES[table]
    extra = set(row) - set(columns)
    if extra:
        raise ValueError(f"inventory table {table}: unknown column(s) {', '.join(sorted(extra))}")
    return {column: row.get(column) for column in columns}
