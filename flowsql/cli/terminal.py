"""What the commands that print rows share: where rows go (stdout or --output FILE), how wide a
table may be, whether to colour, the progress line on stderr, and the notes after the rows."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import IO, Any

import click


def table_width(stream: IO[str]) -> int | None:
    """The width a table must fit in: $COLUMNS when set, else the terminal's; None off a terminal."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if _isatty(stream):
        return shutil.get_terminal_size().columns
    return None


def use_color(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return _isatty(stream) and not os.environ.get("NO_COLOR")


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def write_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: str,
    output_file: str | None = None,
    *,
    wide: bool = False,
) -> None:
    """Rows to stdout (a table fitted to the terminal unless --wide) or, with --output, to FILE."""
    from flowsql import output

    if output_file:
        with open(output_file, "w", encoding="utf-8", newline="") as handle:
            output.write(columns, rows, fmt, handle)
        return
    stream = sys.stdout
    width = None if wide else table_width(stream)
    with reader_may_leave():
        hidden = output.write(columns, rows, fmt, stream, width=width, color=use_color(stream))
        stream.flush()
    if hidden:
        listed = ", ".join(hidden)
        note(f"{len(hidden)} column(s) left out to fit {width} characters: {listed} (--wide shows them)")


@contextlib.contextmanager
def reader_may_leave() -> Iterator[None]:
    """Around writing to stdout: when its reader went away (`flowsql run … | head -1`), stop quietly
    with status 0; stdout is pointed at /dev/null so the interpreter's last flush does not complain."""
    try:
        yield
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        raise SystemExit(0) from None


class StatusLine:
    """One line on stderr, rewritten in place while something works and erased when it ends."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.width = 0

    def show(self, text: str) -> None:
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(text))

    def clear(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


class LocalProgress(StatusLine):
    """DuckDB's progress ('duckdb: 42% 3.1s') as a status line."""

    def __init__(self, stream: IO[str], label: str = "duckdb") -> None:
        super().__init__(stream)
        self.label = label

    def __call__(self, percent: float, seconds: float) -> None:
        self.show(f"{self.label}: {percent:.0f}% {seconds:.1f}s")


# Seconds a job runs before its progress line appears; FLOWSQL_PROGRESS_DELAY overrides it (0: at once).
PROGRESS_DELAY = 1.0
PROGRESS_INTERVAL = 0.25


class ProgressLine(StatusLine):
    """The status line of a job that reports its own steps (`sample`, `compact`): nothing for its
    first second, then the time so far and the latest step's text ('compact 4s: 3 of 8 partitions,
    …'), redrawn from a thread every quarter second so the time moves while one step is slow;
    erased by close(). Text longer than the terminal is cut, so the line never wraps."""

    def __init__(self, stream: IO[str], label: str, *, delay: float | None = None) -> None:
        super().__init__(stream)
        self.label = label
        self.delay = progress_delay() if delay is None else delay
        self.started = time.monotonic()
        self.text = ""
        self._drawn = 0.0
        self._drawn_text = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="flowsql-progress-line", daemon=True)
        self._thread.start()

    def update(self, text: str) -> None:
        """The job's latest step; drawn now when the line is showing, else at its first tick."""
        with self._lock:
            self.text = text
            now = time.monotonic()
            if not self._stop.is_set() and now - self.started >= self.delay and now - self._drawn >= 0.1:
                self._draw()

    def close(self) -> None:
        """Stop the ticks and erase the line (the caller prints its summary next). A last step the
        ticks had not drawn yet is drawn first, so the line's last state is the job's."""
        self._stop.set()
        self._thread.join()
        with self._lock:
            if self.width and self.text != self._drawn_text:
                self._draw()
            self.clear()

    def _tick(self) -> None:
        if self._stop.wait(max(0.0, self.delay)):
            return
        while True:
            with self._lock:
                if self._stop.is_set():
                    return
                if self.text:
                    self._draw()
            if self._stop.wait(PROGRESS_INTERVAL):
                return

    def _draw(self) -> None:
        self._drawn = time.monotonic()
        self._drawn_text = self.text
        text = f"{self.label} {time.monotonic() - self.started:.0f}s: {self.text}"
        limit = _terminal_columns(self.stream) - 1
        self.show(text if len(text) <= limit else text[: max(0, limit - 1)] + "…")


def progress_delay() -> float:
    """PROGRESS_DELAY, or FLOWSQL_PROGRESS_DELAY seconds when that is set to a number."""
    try:
        return max(0.0, float(os.environ["FLOWSQL_PROGRESS_DELAY"]))
    except (KeyError, ValueError):
        return PROGRESS_DELAY


def progress_line(label: str, *, quiet: bool = False) -> ProgressLine | None:
    """A progress line on stderr for a long job, or None: only on a terminal and never with -q.
    NO_COLOR does not matter: the line has no colour."""
    if quiet or not _isatty(sys.stderr):
        return None
    return ProgressLine(sys.stderr, label)


def _terminal_columns(stream: IO[str]) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):
        return shutil.get_terminal_size().columns


def note(text: str) -> None:
    """A note after the rows, on stderr."""
    click.echo(f"note: {text}", err=True)
