"""Progress of a long DuckDB statement, read from another thread.

DuckDB draws its own progress bar on stdout, where rows go, so the engine turns printing off and,
when someone asks for progress, polls `connection.query_progress()` from a thread instead and hands
the percentage to a callback (the CLI writes one line on stderr). Nothing is reported for statements
that end within `delay` seconds."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

# percent done (0-100) and seconds since the statement started
Report = Callable[[float, float], None]

DELAY_SECONDS = 1.0
INTERVAL_SECONDS = 0.2


@contextlib.contextmanager
def watching(
    con: Any, report: Report | None, *, delay: float = DELAY_SECONDS, interval: float = INTERVAL_SECONDS
) -> Iterator[None]:
    """Around one statement on `con`: call `report` every `interval` after the first `delay`."""
    if report is None:
        yield
        return
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    stop = threading.Event()
    started = time.monotonic()

    def poll() -> None:
        if stop.wait(delay):
            return
        while not stop.is_set():
            try:
                percent = float(con.query_progress())
            except Exception:  # the connection closed under us: nothing more to report
                return
            if percent >= 0:
                report(min(percent, 100.0), time.monotonic() - started)
            stop.wait(interval)

    thread = threading.Thread(target=poll, name="flowsql-duckdb-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
