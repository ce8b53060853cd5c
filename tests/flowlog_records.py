"""Flow-log records read back from the files in plain Python, sharing no code with flowsql's reader.

Text: gzip, a header line naming the fields (AWS's hyphenated names), then one record per line, fields
separated by single spaces. Parquet: read with pyarrow (flowsql reads it with DuckDB). Column names
follow AWS's rule (hyphens become underscores); integer fields are those AWS's own DDL types int or
bigint. A `-` (no value) reads as Athena's text table reads it: NULL (None) in an integer column, the
string '-' in a string column. Parquet holds nulls as nulls.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# AWS's field table: the int/bigint fields; every other field is a string.
INTEGER_FIELDS = frozenset(
    {"version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "tcp-flags",
     "traffic-path"}
)  # fmt: skip

Record = dict[str, Any]


def read(files: Iterable[Path]) -> list[Record]:
    out: list[Record] = []
    for path in sorted(Path(p) for p in files):
        out.extend(_parquet(path) if path.name.endswith(".parquet") else _text(path))
    return out


def _text(path: Path) -> list[Record]:
    with gzip.open(path, "rt", encoding="utf-8", newline="\n") as handle:
        header = handle.readline().rstrip("\n").split(" ")
        rows = []
        for number, line in enumerate(handle, start=2):
            cells = line.rstrip("\n").split(" ")
            assert len(cells) == len(header), (
                f"{path}:{number}: {len(cells)} fields, header has {len(header)}"
            )
            rows.append({_column(f): _value(f, c) for f, c in zip(header, cells, strict=True)})
    return rows


def _column(field: str) -> str:
    return field.replace("-", "_")


def _value(field: str, cell: str) -> Any:
    if field not in INTEGER_FIELDS:
        return cell
    return None if cell == "-" else int(cell)


def _parquet(path: Path) -> list[Record]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()
