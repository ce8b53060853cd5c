"""What the commands that print rows share: where rows go (stdout or --output FILE), how wide a
table may be, whether to colour, the progress line on stderr, and the notes after the rows."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
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
        output.write(columns, rows, fmt, stream, width=width, color=use_color(stream))
        stream.flush()


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


def note(text: str) -> None:
    """A note after the rows, on stderr."""
    click.echo(f"note: {text}", err=True)
