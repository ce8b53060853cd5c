"""Turning Athena's result text into Python values: the result CSV and the per-type conversion.

Athena's result CSV quotes every value and writes NULL as an empty *unquoted* field, so NULL and
the empty string differ only in quoting. Python's csv module before 3.12 cannot tell them apart,
hence the small parser here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from pyathena.converter import DefaultTypeConverter

UTC = timezone.utc

# A quoted field (doubled quotes inside) or a bare run up to the next separator.
_FIELD = re.compile(r'"([^"]*(?:""[^"]*)*)"|([^",\r\n]*)')


def parse_result_csv(text: str) -> list[list[str | None]]:
    """Records of an Athena result CSV, header included; None for NULL, '' for an empty string."""
    records: list[list[str | None]] = []
    row: list[str | None] = []
    pos, end = 0, len(text)
    if not end:
        return records
    match = _FIELD.match
    while True:
        found = match(text, pos)
        assert found is not None  # the bare alternative matches the empty string
        quoted = found.group(1)
        if quoted is not None:
            row.append(quoted.replace('""', '"') if '""' in quoted else quoted)
        else:
            row.append(found.group(2) or None)
        pos = found.end()
        if pos >= end:
            records.append(row)
            return records
        char = text[pos]
        if char == ",":
            pos += 1
            if pos >= end:  # a trailing comma ends the text with a NULL field
                row.append(None)
                records.append(row)
                return records
            continue
        if char == "\n":
            pos += 1
        elif text.startswith("\r\n", pos):
            pos += 2
        else:
            raise ValueError(f"malformed result CSV at offset {pos}: unexpected {char!r}")
        records.append(row)
        row = []
        if pos >= end:
            return records


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UtcConverter(DefaultTypeConverter):
    """PyAthena's conversions, with every timestamp an aware datetime in UTC.

    Athena's session time zone is UTC, so a plain `timestamp` is a UTC wall-clock time; a
    `timestamp with time zone` is converted to UTC so all engines return comparable values.
    Strings are returned as Athena returns them: a flow log's '-' stays '-' (the DuckDB engine reads
    it the same way), NULL is None.
    """

    def __init__(self) -> None:
        super().__init__()
        for name in ("timestamp", "timestamp with time zone"):
            base = self.get(name)
            self.set(name, lambda text, base=base: _as_utc(base(text or None)))


def convert_rows(
    records: Sequence[Sequence[str | None]], types: Sequence[str], converter: UtcConverter | None = None
) -> list[tuple[Any, ...]]:
    """Typed rows from text records, one conversion function per column."""
    conv = converter or UtcConverter()
    functions: list[Callable[[str | None], Any]] = [conv.get(t) for t in types]
    return [
        tuple(None if v is None else f(v) for f, v in zip(functions, record, strict=True))
        for record in records
    ]
