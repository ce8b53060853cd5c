"""Finding the flow-log files of a TableSpec in a local folder, and grouping text files by header line.

Reading a gzip file's first line costs one small read and a partial inflate, so grouping thousands of
files stays cheap; the records themselves are only ever read by DuckDB."""

from __future__ import annotations

import os
import re
import stat
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

from flowsql.errors import LocationError, LogFormatError
from flowsql.tables.fields import parse_header
from flowsql.tables.spec import TableSpec

# A header line names at most a few dozen fields; anything longer than this is not a header.
_HEADER_LIMIT = 8192
_FIRST_READ = 16384


@dataclass(frozen=True)
class FileGroup:
    """Files that share one field list: the header line (text) or the column set (Parquet)."""

    columns: tuple[str, ...]
    paths: tuple[str, ...]
    # Parquet only: the physical column names as written in the files, parallel to `columns`.
    source_names: tuple[str, ...] = ()


@dataclass
class Inventory:
    """Every flow-log file under a location: readable ones in groups, the rest with a reason."""

    groups: list[FileGroup] = field(default_factory=list)
    bad: dict[str, str] = field(default_factory=dict)
    # Parquet only: the least and greatest `start` a file's footer statistics prove it holds.
    start_ranges: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def paths(self) -> list[str]:
        return [p for g in self.groups for p in g.paths]


def find_files(spec: TableSpec) -> list[str]:
    """Absolute paths of the files under spec.location that sit where the layout puts flow logs."""
    return scan_location(spec)[0]


def scan_location(spec: TableSpec) -> tuple[list[str], list[str]]:
    """The flow-log files under spec.location (sorted), and the files under AWSLogs/ the engine
    leaves out: another suffix, outside the layout's partition folders, or not a regular file (a
    FIFO is never opened: reading one would wait forever). Hidden and '_' files are skipped
    silently, as Athena skips them."""
    root = os.path.abspath(spec.location)
    if not os.path.exists(root):
        raise LocationError(
            f"location {spec.location!r} does not exist", hint="give the folder that holds AWSLogs/"
        )
    if not os.path.isdir(root):
        raise LocationError(f"location {spec.location!r} is not a folder")
    logs = os.path.join(root, "AWSLogs")
    pattern = re.compile(spec.path_regex())
    suffix = spec.file_suffix
    matched: list[str] = []
    ignored: list[str] = []
    misplaced = other_suffix = 0
    for folder, _dirs, names in os.walk(logs):
        for name in names:
            if name.startswith((".", "_")):
                continue  # hidden or in-progress files, which Athena skips too
            path = os.path.join(folder, name)
            posix = path.replace(os.sep, "/")
            if not _is_regular(path):
                ignored.append(posix)
                continue
            if not name.endswith(suffix):
                if name.endswith((".log.gz", ".log.parquet")):
                    other_suffix += 1
                ignored.append(posix)
                continue
            if pattern.search(posix):
                matched.append(posix)
            else:
                misplaced += 1
                ignored.append(posix)
    if not matched:
        raise LocationError(_nothing_found(spec, logs, misplaced, other_suffix))
    matched.sort()
    return matched, sorted(ignored)


def _is_regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def ignored_warning(ignored: list[str], spec: TableSpec) -> str | None:
    """One line naming the files under AWSLogs/ that the engine does not read."""
    if not ignored:
        return None
    shown = ", ".join(ignored[:3]) + (f" and {len(ignored) - 3} more" if len(ignored) > 3 else "")
    return (
        f"{len(ignored)} file(s) under AWSLogs/ not read (not a regular {spec.file_suffix} file in a "
        f"partition folder of the {spec.layout.value} layout): {shown}"
    )


def format_warnings(groups: list[FileGroup], columns: tuple[str, ...]) -> list[str]:
    """A line per group of text files whose header is not the table's format. They are read here
    by field name; Athena's text table reads fields by position, which agrees only when one list is
    the start of the other (fields missing at the end read as NULL on both)."""
    lines = []
    for group in groups:
        if group.columns == columns or not group.paths:
            continue
        missing = [c for c in columns if c not in group.columns]
        extra = [c for c in group.columns if c not in columns]
        size = min(len(group.columns), len(columns))
        agrees = group.columns[:size] == columns[:size]
        parts = []
        if missing:
            parts.append("lacks " + ", ".join(missing))
        if extra:
            parts.append("has " + ", ".join(extra) + " (not in the table, not read)")
        if not missing and not extra:
            parts.append("orders the fields differently")
        athena = (
            "Athena reads them the same way (by position, NULL for fields past the end)"
            if agrees
            else "Athena's text table reads fields by position, so on Athena these files' columns shift"
        )
        lines.append(
            f"{len(group.paths)} file(s) hold another log format (the header {'; '.join(parts)}), "
            f"e.g. {group.paths[0]}: read here by field name, missing fields as NULL; {athena}"
        )
    return lines


def _nothing_found(spec: TableSpec, logs: str, misplaced: int, other_suffix: int) -> str:
    layout = f"{spec.layout.value}{' hourly' if spec.hourly else ' daily'}"
    text = f"no {spec.file_suffix} flow-log files under {logs} in the {layout} layout"
    if not os.path.isdir(logs):
        return f"no AWSLogs/ folder under {spec.location!r}: it holds no flow logs"
    if misplaced:
        text += (
            f"; {misplaced} {spec.file_suffix} file(s) sit elsewhere: check --layout (aws|hive) and --hourly"
        )
    if other_suffix:
        other = "parquet" if spec.file_suffix == ".log.gz" else "text"
        text += f"; {other_suffix} file(s) of another format: did you mean --file-format {other}?"
    return text


class Unreadable(Exception):
    """A file that is not a readable flow-log file; the message is the reason."""


def read_header(path: str) -> str:
    """The first line of a gzip flow-log file, checked to be a flow-log header."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_FIRST_READ)
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            text = b""
            while True:
                if not raw:
                    break
                try:
                    text += inflater.decompress(raw, _HEADER_LIMIT + 1 - len(text))
                except zlib.error as err:
                    raise Unreadable(f"not a gzip file or corrupt gzip data ({err})") from None
                if b"\n" in text or len(text) > _HEADER_LIMIT or inflater.eof:
                    break
                raw = inflater.unconsumed_tail or handle.read(_FIRST_READ)
    except OSError as err:
        raise Unreadable(f"cannot open: {err.strerror or err}") from None
    if not text:
        raise Unreadable("empty file: no header line")
    line, newline, _rest = text.partition(b"\n")
    if not newline and not inflater.eof:
        if len(text) > _HEADER_LIMIT:
            raise Unreadable("first line is not a flow-log header (no line break in the first 8 KB)")
        raise Unreadable("truncated gzip: the stream ends inside the header line")
    try:
        header = line.decode("ascii").rstrip("\r")
    except UnicodeDecodeError:
        raise Unreadable("first line is not a flow-log header (binary data)") from None
    try:
        fields = parse_header(header, "first line")
    except LogFormatError as err:
        raise Unreadable(f"first line is not a flow-log header: {err.message}") from None
    known = sum(f.known for f in fields)
    # Unknown fields are allowed (a newer format), but a line most of whose words are no flow-log
    # field is data or another kind of file, not a header.
    if known == 0 or known * 2 < len(fields):
        raise Unreadable(f"first line is not a flow-log header: {_clip(header)!r} names no flow-log fields")
    return header


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@lru_cache(maxsize=256)
def header_columns(header: str) -> tuple[str, ...]:
    """Column names of a header line (parsed once per distinct header: thousands of files share one)."""
    return tuple(f.column for f in parse_header(header, "first line"))


def group_text_files(paths: list[str]) -> Inventory:
    """Text files grouped by their header line (field order kept); unreadable ones set aside."""
    by_header: dict[tuple[str, ...], list[str]] = {}
    inventory = Inventory()
    for path in paths:
        try:
            header = read_header(path)
        except Unreadable as err:
            inventory.bad[path] = str(err)
            continue
        columns = header_columns(header)
        by_header.setdefault(columns, []).append(path)
    inventory.groups = [FileGroup(columns, tuple(files)) for columns, files in by_header.items()]
    return inventory
