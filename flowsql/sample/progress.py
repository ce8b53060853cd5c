"""How far `generate()` is, for whoever shows progress (the CLI draws a line on stderr from it)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

DRAWING = "drawing"  # DuckDB draws the records
SORTING = "sorting"  # and sorts them into one file per account, Region and 5-minute window
WRITING = "writing"  # the files are written


@dataclass(frozen=True)
class SampleProgress:
    stage: str  # DRAWING, SORTING or WRITING
    records_total: int
    days: int
    files: int = 0  # files written so far
    files_total: int = 0  # known once the records are drawn
    records: int = 0  # records in the files written so far
    day: int = 0  # 1-based day of the file written last (WRITING)
    percent: float | None = None  # DuckDB's progress of the statement running (DRAWING, SORTING)


Report = Callable[[SampleProgress], None]


class Tracker:
    """What generate() tells its `on_progress` callback, step by step (nothing without one)."""

    def __init__(self, report: Report | None, records_total: int, days: int, first: int) -> None:
        self.report = report
        self.first = first  # epoch of the first day's midnight
        self.state = SampleProgress(DRAWING, records_total, days)

    def _tell(self, **changes: object) -> None:
        if self.report is not None:
            self.state = replace(self.state, **changes)  # type: ignore[arg-type]
            self.report(self.state)

    def drawing(self, con: Any, stage: str = DRAWING) -> contextlib.AbstractContextManager[None]:
        """Around one long DuckDB statement of `stage`: its percentage, polled from a thread."""
        if self.report is None:
            return contextlib.nullcontext()
        from flowsql.engines.duckdb.progress import watching

        self._tell(stage=stage, percent=None)
        return watching(con, lambda percent, _seconds: self._tell(percent=percent), delay=0.0)

    def planned(self, files: int) -> None:
        self._tell(files_total=files)

    def wrote(self, records: int, slot: int) -> None:
        """One file written: its records and its 5-minute window (epoch seconds)."""
        day = min(self.state.days, (slot - self.first) // 86400 + 1)
        self._tell(
            stage=WRITING,
            files=self.state.files + 1,
            records=self.state.records + records,
            day=max(1, day),
            percent=None,
        )
