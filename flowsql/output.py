"""One writer for every command that prints rows: an aligned table, one JSON array, or CSV."""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

FORMATS = ("table", "json", "csv")


def json_value(value: Any) -> Any:
    """A value as JSON: numbers stay numbers, times become ISO-8601 strings."""
    if isinstance(value, float) and not math.isfinite(value):
        # JSON has no NaN or Infinity; strict parsers (jq, JavaScript's JSON.parse) reject them.
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, bool) or value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return str(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def write(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: str = "table",
    out: IO[str] | None = None,
) -> None:
    """Print rows in one of FORMATS. `table` right-aligns numbers so columns read down easily."""
    stream = out or sys.stdout
    if fmt == "json":
        records = [{c: json_value(v) for c, v in zip(columns, row, strict=False)} for row in rows]
        json.dump(records, stream, ensure_ascii=False, indent=2, allow_nan=False)
        stream.write("\n")
    elif fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else json_value(v) for v in row])
    elif fmt == "table":
        cells = [[_cell(v) for v in row] for row in rows]
        numeric = [
            all(isinstance(row[i], int | float | Decimal) or row[i] is None for row in rows) and bool(rows)
            for i in range(len(columns))
        ]
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

        def line(values: Sequence[str]) -> str:
            parts = [
                v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=False)
            ]
            return "  ".join(parts).rstrip()

        stream.write(line(list(columns)) + "\n")
        stream.write("  ".join("-" * w for w in widths) + "\n")
        for row in cells:
            stream.write(line(row) + "\n")
    else:
        raise ValueError(f"unknown output format {fmt!r}")


def write_records(
    records: Sequence[Mapping[str, Any]], fmt: str = "table", out: IO[str] | None = None
) -> None:
    """Print a list of dicts (all with the same keys) in one of FORMATS."""
    columns = list(records[0]) if records else []
    write(columns, [[r.get(c) for c in columns] for r in records], fmt, out)
