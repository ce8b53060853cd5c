"""Pictures of a time series result (traffic_by_hour, traffic_over_time, log_coverage, …): a bar chart
for the terminal (`flowsql run … --chart`) and a matplotlib plot for notebooks (`Rows.plot()`).

A series is the result's first time column against one numeric column. Buckets without a row are
drawn as zero, from the start of the window the query ran over (when known, aligned to the bucket)
to its end, at the bucket size given, else the run's `bucket` parameter, else (when nothing says
it) the smallest step between the rows' times."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from flowsql.errors import ParameterError

UTC = timezone.utc
BLOCKS = " ▏▎▍▌▋▊▉█"
MAX_POINTS = 5000


@dataclass(frozen=True)
class Series:
    time_column: str
    column: str
    step: timedelta
    points: list[tuple[datetime, float]]  # every bucket, zero-filled, in time order


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def series(rows: Any, column: str | None = None, bucket: str | timedelta | None = None) -> Series:
    """The zero-filled series of `column` (default: the first numeric column) over the time column."""
    columns = list(rows.columns)
    times = [
        c for c in columns if rows and all(isinstance(v, datetime) for v in rows.column(c) if v is not None)
    ]
    if not times or not rows:
        raise ParameterError(
            "a chart needs rows with a time column"
            + ("" if rows else ": the result is empty")
            + f" (columns: {', '.join(columns) or 'none'})",
            hint="chart a time series such as traffic_by_hour or traffic_over_time",
        )
    numeric = [
        c for c in columns if c not in times and all(_is_number(v) or v is None for v in rows.column(c))
    ]
    if column is None:
        if not numeric:
            raise ParameterError(f"a chart needs a numeric column; the columns are {', '.join(columns)}")
        column = numeric[0]
    elif column not in numeric:
        raise ParameterError(
            f"cannot chart {column!r}: it is not a numeric column of the result",
            hint=f"numeric columns: {', '.join(numeric) or 'none'}",
        )
    time_column = times[0]
    values: dict[datetime, float] = {}
    for moment, value in zip(rows.column(time_column), rows.column(column), strict=True):
        if moment is not None:
            key = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            values[key] = values.get(key, 0.0) + float(value or 0)
    stats = getattr(rows, "stats", None)
    step = _step(bucket, sorted(values)) if bucket is not None else _run_step(stats, sorted(values))
    window = getattr(stats, "window", None)
    return Series(time_column, column, step, zero_filled(values, step, window))


def _step(bucket: str | timedelta | None, times: list[datetime]) -> timedelta:
    if bucket is not None:
        from flowsql.investigations.window import parse_span

        return parse_span(bucket, "bucket")
    gaps = [b - a for a, b in itertools.pairwise(times) if b > a]
    return min(gaps) if gaps else timedelta(hours=1)


def _run_step(stats: Any, times: list[datetime]) -> timedelta:
    """The run's `bucket` parameter when it is a duration (traffic_over_time's 5m … 1d), else the
    step inferred from the rows."""
    run_bucket = (getattr(stats, "params", None) or {}).get("bucket")
    if isinstance(run_bucket, str | timedelta) and run_bucket:
        try:
            return _step(run_bucket, times)
        except ParameterError:
            pass  # a user investigation's `bucket` that is not a duration: infer
    return _step(None, times)


def zero_filled(
    values: dict[datetime, float], step: timedelta, window: Any = None
) -> list[tuple[datetime, float]]:
    """Every bucket from the window's start (or the first value) to its end (or the last value)."""
    first, last = min(values), max(values)
    seconds = int(step.total_seconds())
    if window is not None:
        start_epoch = int(window.start.timestamp())
        first = min(first, datetime.fromtimestamp(start_epoch - start_epoch % seconds, UTC))
        last = max(last, window.end - timedelta(microseconds=1))
    if (last - first) / step > MAX_POINTS:
        raise ParameterError(f"the chart would have more than {MAX_POINTS:,} buckets of {step}")
    points = []
    cursor = first
    while cursor <= last:
        points.append((cursor, values.get(cursor, 0.0)))
        cursor += step
    # Values off the step grid (an irregular series) are kept where they are.
    grid = {t for t, _ in points}
    points += [(t, v) for t, v in values.items() if t not in grid]
    return sorted(points)


def _label(moment: datetime, step: timedelta) -> str:
    return moment.strftime("%Y-%m-%d" if step >= timedelta(days=1) else "%Y-%m-%d %H:%M")


def _value_text(column: str, value: float) -> str:
    from flowsql.output import is_bytes_column
    from flowsql.results import format_bytes

    if is_bytes_column(column):
        return format_bytes(value)
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _bar(value: float, top: float, width: int) -> str:
    if top <= 0 or value <= 0:
        return ""
    eighths = round(value / top * width * 8)
    full, part = divmod(max(eighths, 1), 8)
    return "█" * full + (BLOCKS[part] if part else "")


def terminal_chart(
    rows: Any, *, column: str | None = None, bucket: str | timedelta | None = None, width: int = 80
) -> str:
    """One line per bucket: its time, a bar scaled to the largest value, and the value."""
    found = series(rows, column, bucket)
    labels = [_label(t, found.step) for t, _ in found.points]
    texts = [_value_text(found.column, v) for _, v in found.points]
    top = max((v for _, v in found.points), default=0.0)
    label_w = max(len(x) for x in labels)
    text_w = max(len(x) for x in texts)
    bar_w = max(width - label_w - text_w - 4, 10)
    lines = [f"{found.column} per {_step_text(found.step)} ({found.time_column}, UTC)"]
    for label, text, (_, value) in zip(labels, texts, found.points, strict=True):
        lines.append(f"{label.ljust(label_w)} │{_bar(value, top, bar_w).ljust(bar_w)} {text.rjust(text_w)}")
    return "\n".join(lines) + "\n"


def _step_text(step: timedelta) -> str:
    seconds = int(step.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def plot(
    rows: Any,
    columns: str | Sequence[str] | None = None,
    *,
    bucket: str | timedelta | None = None,
    ax: Any = None,
) -> Any:
    """A matplotlib line chart of the series (zero-filled); returns the Axes."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot() needs matplotlib: pip install 'flowsql[plot]'") from None
    names = [columns] if isinstance(columns, str) or columns is None else list(columns)
    found = [series(rows, name, bucket) for name in names]
    if ax is None:
        _figure, ax = plt.subplots(figsize=(10, 4))
    for one in found:
        ax.plot(
            [t for t, _ in one.points], [v for _, v in one.points], label=one.column, drawstyle="steps-post"
        )
    ax.set_xlabel(f"{found[0].time_column} (UTC)")
    ax.set_ylabel(", ".join(one.column for one in found))
    if len(found) > 1:
        ax.legend()
    ax.figure.autofmt_xdate()
    return ax
