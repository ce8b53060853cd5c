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


def _cell(value: Any, column: str = "", human: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return str(value)
    if human and isinstance(value, int | Decimal) and is_bytes_column(column):
        from flowsql.results import format_bytes

        return format_bytes(float(value))
    if human and isinstance(value, int) and not is_code_column(column):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.6g}"
    # One line per row: a line break inside a value would break the table's columns.
    return str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def is_bytes_column(name: str) -> bool:
    """A column holding a byte count (bytes, accepted_bytes, bytes_out, …)."""
    lowered = name.lower()
    return lowered == "bytes" or lowered.endswith("_bytes") or lowered.startswith("bytes_")


# Integers that are codes or times, not amounts: no thousands separators (port 50123, start 1714521600).
_CODES = ("start", "end", "version", "protocol", "tcp_flags", "traffic_path", "sublocation_id", "year")


def is_code_column(name: str) -> bool:
    lowered = name.lower()
    return lowered in _CODES or lowered.endswith(("port", "_id", "protocol", "_epoch"))


# Cells are cut to fit the terminal, but no text column narrower than this (or its header).
MIN_CUT_WIDTH = 8
GAP = 2


def is_whole_column(values: Sequence[Any], cells: Sequence[str]) -> bool:
    """A column whose cells are useless cut: numbers, times and dates, IP addresses and CIDR blocks."""
    present = [v for v in values if v is not None]
    if not present:
        return False
    if all(isinstance(v, int | float | Decimal | datetime | date) for v in present):
        return True
    import ipaddress

    for text in (c for c, v in zip(cells, values, strict=True) if v is not None and c not in ("", "-")):
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            return False
    return True


def fit_widths(widths: list[int], headers: Sequence[str], whole: Sequence[bool], total: int) -> list[int]:
    """Column widths whose table (with GAP between columns) fits in `total` characters: the widest
    text column gives up a character until it fits or none can shrink further. `whole` columns
    (numbers, times, addresses) are never cut, and the first column (what the row is) only when
    cutting the others is not enough."""
    fitted = list(widths)
    floors = [w if keep else min(w, max(MIN_CUT_WIDTH, min(len(h), 12))) for w, h, keep in
              zip(widths, headers, whole, strict=True)]  # fmt: skip
    for protect_first in (True, False):
        while sum(fitted) + GAP * (len(fitted) - 1) > total:
            candidates = [i for i, w in enumerate(fitted) if w > floors[i] and not (protect_first and i == 0)]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: fitted[i])
            fitted[widest] -= 1
    return fitted


def fit_columns(
    widths: list[int], headers: Sequence[str], whole: Sequence[bool], total: int
) -> tuple[list[int], list[int]]:
    """The columns shown (indexes) and their widths: every column when cutting text cells makes the
    table fit, else the last columns are left out until it does (never the first)."""
    shown = list(range(len(widths)))
    while True:
        fitted = fit_widths(
            [widths[i] for i in shown], [headers[i] for i in shown], [whole[i] for i in shown], total
        )
        if sum(fitted) + GAP * (len(fitted) - 1) <= total or len(shown) == 1:
            return fitted, shown
        shown.pop()


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def write(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: str = "table",
    out: IO[str] | None = None,
    *,
    width: int | None = None,
    color: bool = False,
    human: bool = True,
) -> list[str]:
    """Print rows in one of FORMATS; returns the columns a table left out to fit `width`.

    `table` right-aligns numbers so columns read down easily; with `human`, byte counts are in decimal
    units (12.3 MB) and other integers have thousands separators; with `width`, long text cells are
    cut (ending in …) so each row fits on one line of that many characters, and when that is not
    enough the last columns are left out (numbers, times and IP addresses are never cut); `color`
    makes the header bold (for a terminal)."""
    stream = out or sys.stdout
    hidden: list[str] = []
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
        cells = [[_cell(v, c, human) for v, c in zip(row, columns, strict=False)] for row in rows]
        numeric = [
            all(isinstance(row[i], int | float | Decimal) or row[i] is None for row in rows) and bool(rows)
            for i in range(len(columns))
        ]
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
        shown = list(range(len(columns)))
        if width is not None and columns:
            whole = [
                is_whole_column([row[i] for row in rows], [r[i] for r in cells]) for i in range(len(columns))
            ]
            widths, shown = fit_columns(widths, columns, whole, width)
            hidden = [c for i, c in enumerate(columns) if i not in shown]

        def line(values: Sequence[str]) -> str:
            parts = [
                _cut(values[i], w).rjust(w) if numeric[i] else _cut(values[i], w).ljust(w)
                for i, w in zip(shown, widths, strict=True)
            ]
            return (" " * GAP).join(parts).rstrip()

        header = line(list(columns))
        stream.write((f"\x1b[1m{header}\x1b[0m" if color else header) + "\n")
        stream.write((" " * GAP).join("-" * w for w in widths) + "\n")
        for row in cells:
            stream.write(line(row) + "\n")
    else:
        raise ValueError(f"unknown output format {fmt!r}")
    return hidden


def write_records(
    records: Sequence[Mapping[str, Any]], fmt: str = "table", out: IO[str] | None = None, **options: Any
) -> list[str]:
    """Print a list of dicts (all with the same keys) in one of FORMATS (options as for write)."""
    columns = list(records[0]) if records else []
    return write(columns, [[r.get(c) for c in columns] for r in records], fmt, out, **options)
