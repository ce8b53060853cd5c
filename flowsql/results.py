"""Rows: what every engine returns. Plain Python values, DB-API tuple habits, access by name."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

PRICE_PER_TB = 5.0
MIN_BILLED_BYTES = 10 * 1024 * 1024
_MB = 1024 * 1024
REPR_ROWS = 10


def athena_cost(bytes_scanned: int | None) -> float | None:
    """Dollars Athena bills for a scan: $5 per TB, rounded up to the MB, 10 MB minimum."""
    if bytes_scanned is None:
        return None
    billed = max(-(-bytes_scanned // _MB) * _MB, MIN_BILLED_BYTES)
    return billed / 1024**4 * PRICE_PER_TB


@dataclass
class Stats:
    """How a result was obtained."""

    engine: str
    elapsed_seconds: float = 0.0
    row_count: int = 0
    execution_id: str | None = None
    bytes_scanned: int | None = None
    files_skipped: list[tuple[str, str]] = field(default_factory=list)
    # What a person should know about how the answer was read (files left out, another format).
    warnings: list[str] = field(default_factory=list)
    statement: str | None = None
    # Athena only: "s3" when rows came from the result CSV, "GetQueryResults" when paged by API.
    result_source: str | None = None
    # The time window the statement was bounded to (a TimeWindow), None for an unbounded statement.
    window: Any = None
    # The investigation's parameter values the statement was rendered with (a chart's bucket).
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def cost_usd(self) -> float | None:
        return athena_cost(self.bytes_scanned) if self.engine == "athena" else None

    def summary(self) -> str:
        parts = [
            f"{self.row_count:,} row{'s' if self.row_count != 1 else ''}",
            f"{self.elapsed_seconds:.2f}s",
        ]
        parts.append(self.engine)
        if self.window is not None:
            parts.append(f"window {self.window.describe()}")
        if self.bytes_scanned is not None:
            parts.append(f"{format_bytes(self.bytes_scanned)} scanned")
        if self.cost_usd is not None:
            parts.append(format_cost(self.cost_usd))
        if self.execution_id:
            parts.append(f"id {self.execution_id}")
        if self.files_skipped:
            parts.append(f"{len(self.files_skipped)} bad file(s) skipped")
        return ", ".join(parts)


def format_cost(dollars: float) -> str:
    """Dollars with enough digits that the 10 MB minimum ($0.000048) does not read as $0.0000."""
    return f"${dollars:.2f}" if dollars >= 1 else f"${dollars:.6f}".rstrip("0").rstrip(".")


def format_bytes(n: float) -> str:
    """Bytes for a person, in decimal units as AWS bills and `--max-scan 10GB` reads them:
    1 KB = 1,000 bytes, 1 GB = 1,000,000,000 bytes (the one unit system flowsql prints)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} PB"


class Row(tuple):  # type: ignore[type-arg]
    """A result row: a tuple that also answers row['col'] and row.col."""

    _index: dict[str, int]

    def __new__(cls, values: Iterable[Any], index: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._index = index
        return row

    @overload  # type: ignore[override]
    def __getitem__(self, key: int) -> Any: ...
    @overload
    def __getitem__(self, key: slice) -> tuple[Any, ...]: ...
    @overload
    def __getitem__(self, key: str) -> Any: ...

    def __getitem__(self, key: int | slice | str) -> Any:
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._index[key])
            except KeyError:
                raise KeyError(f"no column {key!r}; columns are {', '.join(self._index)}") from None
        return tuple.__getitem__(self, key)

    def __getattr__(self, name: str) -> Any:
        index = self.__dict__.get("_index") if hasattr(self, "__dict__") else None
        if index is not None and name in index:
            return tuple.__getitem__(self, index[name])
        raise AttributeError(name)

    def __reduce__(self) -> tuple[Any, ...]:
        # tuple's default pickling would call __new__ without the index.
        return (Row, (tuple(self), self._index))

    def keys(self) -> list[str]:
        return list(self._index)

    def as_dict(self) -> dict[str, Any]:
        return dict(zip(self._index, self, strict=False))


def _all_int(values: list[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, int) and not isinstance(v, bool) for v in present)


class Rows(Sequence[Row]):
    """An engine's result: a sequence of Row, its column names, and its Stats."""

    def __init__(self, columns: Sequence[str], rows: Iterable[Sequence[Any]], stats: Stats) -> None:
        self.columns = tuple(columns)
        index = {name: i for i, name in enumerate(self.columns)}
        self._rows = [Row(r, index) for r in rows]
        self.stats = stats
        stats.row_count = len(self._rows)

    @overload
    def __getitem__(self, i: int) -> Row: ...
    @overload
    def __getitem__(self, i: slice) -> list[Row]: ...

    def __getitem__(self, i: int | slice) -> Row | list[Row]:
        return self._rows[i]

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self._rows)

    def __repr__(self) -> str:
        """The first rows as an aligned table, then the statistics: what a REPL user wants to see."""
        if not self.columns:
            return f"<Rows: no columns ({self.stats.summary()})>"
        from flowsql.output import write

        shown = self._rows[:REPR_ROWS]
        buffer = io.StringIO()
        write(self.columns, shown, "table", buffer)
        if len(self) > len(shown):
            buffer.write(f"… {len(self) - len(shown)} more rows\n")
        return buffer.getvalue() + f"({self.stats.summary()})"

    def to_dicts(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self._rows]

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [r[i] for r in self._rows]

    def to_pandas(self) -> Any:
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas() needs pandas: pip install 'flowsql[pandas]'") from None
        frame = pd.DataFrame.from_records(self._rows, columns=list(self.columns))
        for name in self.columns:
            values = self.column(name)
            # An integer column with NULLs would otherwise turn into floats.
            if None in values and _all_int(values):
                frame[name] = pd.array(values, dtype="Int64")
        return frame

    def to_arrow(self) -> Any:
        try:
            import pyarrow as pa
        except ImportError:
            raise ImportError("to_arrow() needs pyarrow: pip install 'flowsql[arrow]'") from None
        return pa.table({c: self.column(c) for c in self.columns})

    def plot(self, columns: str | Sequence[str] | None = None, *, bucket: Any = None, ax: Any = None) -> Any:
        """A matplotlib chart of a time series result (the first time column against `columns`,
        default the first numeric one), buckets without rows drawn as zero; returns the Axes.
        Needs matplotlib: pip install 'flowsql[plot]'."""
        from flowsql.charts import plot

        return plot(self, columns, bucket=bucket, ax=ax)

    def _repr_html_(self) -> str:
        import html

        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in r) + "</tr>"
            for r in self._rows[:500]
        )
        more = f"<p>… {len(self) - 500} more rows</p>" if len(self) > 500 else ""
        return (
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"
            f"<p><small>{html.escape(self.stats.summary())}</small></p>"
        )
