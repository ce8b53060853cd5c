"""Parquet compaction on DuckDB: partition by partition, resumable through a manifest, each file
written under a temporary name and renamed when complete."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from flowsql.cost.compact import (
    COMPRESSIONS,
    DEFAULT_COMPRESSION,
    DUCKDB_TYPES,
    KEY_FINGERPRINT,
    KEY_SOURCES,
    MANIFEST,
    MAX_SOURCE_BYTES_PER_FILE,
    TMP_MARK,
    OutputFile,
    Partition,
    SourceFile,
    output_files,
    parquet_target,
    source_partitions,
)
from flowsql.engines.duckdb.files import FileGroup, format_warnings
from flowsql.engines.duckdb.interrupt import interruptible
from flowsql.errors import BadFile, ConfigError, EngineError, LocationError
from flowsql.tables import fields as flowfields
from flowsql.tables.fields import Field
from flowsql.tables.spec import FileFormat, TableSpec


@dataclass
class PartitionResult:
    partition: Partition
    status: str  # "written", "skipped" (already complete) or "rewritten" (sources changed)
    rows: int
    files: list[str]
    output_bytes: int


@dataclass(frozen=True)
class CompactProgress:
    """How far compact_local() is: partitions done of the total, bytes read and written so far."""

    partitions: int
    partitions_total: int
    source_bytes: int  # gzip text of the partitions done
    source_bytes_total: int
    output_bytes: int  # Parquet of the partitions done (written now, or found complete)
    rows: int
    places: int = 1  # accounts × Regions among the partitions
    current: Partition | None = None  # the partition being worked on
    percent: float | None = None  # DuckDB's progress of the file being written, when known


@dataclass
class CompactReport:
    source: TableSpec
    target: TableSpec
    results: list[PartitionResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    elapsed_seconds: float = 0.0

    def count(self, *statuses: str) -> int:
        return sum(1 for r in self.results if r.status in statuses)

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.results)

    @property
    def source_bytes(self) -> int:
        return sum(r.partition.source_bytes for r in self.results)

    @property
    def output_bytes(self) -> int:
        return sum(r.output_bytes for r in self.results)

    def summary(self) -> str:
        from flowsql.results import format_bytes

        done = self.count("written", "rewritten")
        return (
            f"{len(self.results)} partition{'s' if len(self.results) != 1 else ''}: {done} written, "
            f"{self.count('skipped')} already complete; {self.rows:,} rows, "
            f"{format_bytes(self.source_bytes)} of gzip text → {format_bytes(self.output_bytes)} of Parquet "
            f"in {self.elapsed_seconds:.1f}s"
        )


# --- local compaction ---------------------------------------------------------------------------


def compact_local(
    spec: TableSpec,
    dest: str,
    *,
    days: tuple[date, date] | None = None,
    compression: str = DEFAULT_COMPRESSION,
    threads: int | None = None,
    max_source_bytes: int = MAX_SOURCE_BYTES_PER_FILE,
    on_partition: Callable[[PartitionResult], None] | None = None,
    on_progress: Callable[[CompactProgress], None] | None = None,
) -> CompactReport:
    """Rewrite the text partitions under spec.location (those of days first..last when given) as
    Parquet under dest, partition by partition; resumable (see the module docstring).
    on_partition gets each partition's result; on_progress a CompactProgress before and after each
    partition, and DuckDB's percentage while a file is written."""
    if spec.file_format is not FileFormat.TEXT:
        raise ConfigError("compact rewrites text flow logs; this table is already Parquet")
    if compression not in COMPRESSIONS:
        raise ConfigError(f"--compression must be one of {'|'.join(COMPRESSIONS)}, got {compression!r}")
    if dest.startswith("s3://") or "://" in dest:
        raise LocationError(
            f"local compaction writes to a local folder, got {dest}",
            hint="use --engine athena to write Parquet to S3",
        )
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise ConfigError(
            f"--to {dest} is an existing file, not a folder",
            hint="give a folder for the Parquet copy (it is created when missing)",
        )
    target = parquet_target(spec, dest)
    if os.path.abspath(target.table_location) == os.path.abspath(spec.table_location):
        raise ConfigError("--to must differ from the text table's location")
    started = time.monotonic()
    report = CompactReport(spec, target)
    ignored: list[str] = []
    partitions = source_partitions(spec, days, ignored)
    if ignored:
        report.warnings.append(
            f"{len(ignored)} .log.gz entry(ies) not a regular file (never opened), not copied: "
            + ", ".join(ignored[:3])
            + (f" and {len(ignored) - 3} more" if len(ignored) > 3 else "")
        )
    if not partitions:
        raise LocationError(f"found no text flow-log files (*.log.gz) under {spec.table_location} to compact")

    from flowsql.duckdb_driver import duckdb

    con = duckdb.connect(config={"threads": threads} if threads else {})
    places = len({(p.account, p.region) for p in partitions})
    state = CompactProgress(0, len(partitions), 0, sum(p.source_bytes for p in partitions), 0, 0, places)

    def tell(**changes: Any) -> None:
        nonlocal state
        if on_progress is not None:
            state = replace(state, **changes)
            on_progress(state)

    percent = None if on_progress is None else (lambda done: tell(percent=done))
    try:
        for partition in partitions:
            tell(current=partition, percent=None)
            result = _compact_partition(
                con, spec, target, partition, compression, max_source_bytes, report, percent
            )
            report.results.append(result)
            if on_partition is not None:
                on_partition(result)
            tell(
                partitions=state.partitions + 1,
                source_bytes=state.source_bytes + partition.source_bytes,
                output_bytes=state.output_bytes + result.output_bytes,
                rows=state.rows + result.rows,
                current=None,
                percent=None,
            )
    finally:
        con.close()
    report.elapsed_seconds = time.monotonic() - started
    return report


def _compact_partition(
    con: Any,
    spec: TableSpec,
    target: TableSpec,
    partition: Partition,
    compression: str,
    max_source_bytes: int,
    report: CompactReport,
    percent: Callable[[float], None] | None = None,
) -> PartitionResult:
    planned = output_files(partition, target, max_source_bytes)
    folder = os.path.dirname(planned[0].path)
    manifest = _load_manifest(folder)
    existing = _existing_outputs(folder)
    complete: dict[str, int] = {}
    for out in planned:
        entry = manifest.get(os.path.basename(out.path))
        if (
            out.path in existing
            and entry
            and entry.get("fingerprint") == out.fingerprint
            and _footer_rows(con, out.path) == entry.get("rows")
        ):
            complete[out.path] = int(entry["rows"])
    todo = [f for f in planned if f.path not in complete]
    stale = [p for p in existing if p not in {f.path for f in planned}]
    if not todo and not stale:
        return PartitionResult(
            partition, "skipped", sum(complete.values()), [f.path for f in planned], _sizes(planned)
        )
    os.makedirs(folder, exist_ok=True)
    _remove_temporaries(folder)
    keep = {os.path.basename(f.path) for f in planned}
    manifest = {name: entry for name, entry in manifest.items() if name in keep}
    for out in todo:
        rows = _write(con, spec, out, compression, report, percent)
        manifest[os.path.basename(out.path)] = {
            "rows": rows,
            "fingerprint": out.fingerprint,
            "sources": [[f.name, f.size, f.mtime_ns] for f in out.sources],
        }
        _save_manifest(folder, manifest)
    # New files are in place before stale ones (from since-changed sources) go.
    for path in stale:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
    rows = sum(int(manifest[os.path.basename(f.path)]["rows"]) for f in planned)
    status = "rewritten" if existing else "written"
    return PartitionResult(partition, status, rows, [f.path for f in planned], _sizes(planned))


def _sizes(files: Sequence[OutputFile]) -> int:
    return sum(os.path.getsize(f.path) for f in files if os.path.exists(f.path))


def _existing_outputs(folder: str) -> list[str]:
    if not os.path.isdir(folder):
        return []
    return sorted(
        os.path.join(folder, n)
        for n in os.listdir(folder)
        if n.endswith(".log.parquet") and not n.startswith((".", "_"))
    )


def _remove_temporaries(folder: str) -> None:
    for name in os.listdir(folder):
        if name.startswith(".") and TMP_MARK in name:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(folder, name))


def _load_manifest(folder: str) -> dict[str, dict[str, Any]]:
    """What earlier runs recorded for this partition's files; nothing when absent or unreadable."""
    import json

    try:
        with open(os.path.join(folder, MANIFEST), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return {k: v for k, v in files.items() if isinstance(v, dict)} if isinstance(files, dict) else {}


def _save_manifest(folder: str, files: dict[str, dict[str, Any]]) -> None:
    import json

    path = os.path.join(folder, MANIFEST)
    temp = os.path.join(folder, f".{MANIFEST}{TMP_MARK}{os.getpid()}")
    with open(temp, "w", encoding="utf-8") as fh:
        json.dump({"files": files}, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temp, path)


def _footer_rows(con: Any, path: str) -> int | None:
    """The row count in a Parquet file's footer; None for a file that is not readable Parquet."""
    try:
        return int(con.execute("SELECT num_rows FROM parquet_file_metadata(?)", [path]).fetchone()[0])
    except Exception:
        return None


def _read_header(path: str) -> tuple[Field, ...]:
    from flowsql.engines.duckdb.files import Unreadable, read_header

    try:
        return flowfields.parse_header(read_header(path), source=f"header of {path}")
    except Unreadable as exc:
        raise BadFile(path, str(exc)) from None


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def select_sql(spec: TableSpec, files: Sequence[SourceFile], report: CompactReport | None = None) -> str:
    """DuckDB SQL reading text files into the table's columns with their Parquet types. Files are
    grouped by header line and matched to the table's columns by name; a column a file lacks is NULL."""
    groups: dict[tuple[Field, ...], list[str]] = {}
    for f in files:
        groups.setdefault(_read_header(f.path), []).append(f.path)
    parts = []
    for header, paths in groups.items():
        have = {h.column for h in header}
        if report is not None:
            # another format is copied by field name; say so, and what Athena's text table would do
            group = FileGroup(tuple(h.column for h in header), tuple(paths))
            report.warnings += format_warnings([group], tuple(spec.columns))
        columns = ", ".join(
            f"{_sql_string(h.column)}: {_sql_string(DUCKDB_TYPES[h.parquet_type])}" for h in header
        )
        select = ", ".join(_copied(c, c.column in have) for c in spec.fields)
        listing = "[" + ", ".join(_sql_string(p) for p in paths) + "]"
        parts.append(
            f"SELECT {select} FROM read_csv({listing}, delim=' ', quote='', escape='', header=true, "
            f"nullstr='-', compression='gzip', auto_detect=false, strict_mode=true, null_padding=false, "
            f"columns={{{columns}}})"
        )
    return " UNION ALL ".join(parts)


def _copied(column: Field, present: bool) -> str:
    """One column of the copy: what the text says, as Athena reads it ('-' in a string column is the
    string '-', in a numeric column NULL), so the Parquet table answers as the text table does."""
    name = f'"{column.column}"'
    if not present:
        return f"CAST(NULL AS {DUCKDB_TYPES[column.parquet_type]}) AS {name}"
    if column.parquet_type == "string":
        return f"coalesce({name}, '-') AS {name}"
    return name


def _write(
    con: Any,
    spec: TableSpec,
    out: OutputFile,
    compression: str,
    report: CompactReport,
    percent: Callable[[float], None] | None = None,
) -> int:
    """One Parquet file under a hidden temporary name, checked, synced, then renamed into place;
    `percent` gets DuckDB's progress of the COPY, polled from a thread."""
    from flowsql.duckdb_driver import duckdb
    from flowsql.engines.duckdb.progress import watching

    folder, name = os.path.split(out.path)
    temp = os.path.join(folder, f".{name}{TMP_MARK}{os.getpid()}")
    query = select_sql(spec, out.sources, report)
    kv = f"{_sql_string(KEY_FINGERPRINT)}: {_sql_string(out.fingerprint)}, " + (
        f"{_sql_string(KEY_SOURCES)}: {_sql_string(str(len(out.sources)))}"
    )
    copy = (
        f"COPY ({query}) TO {_sql_string(temp)} "
        f"(FORMAT parquet, COMPRESSION {compression}, KV_METADATA {{{kv}}})"
    )
    try:
        report_percent = None if percent is None else (lambda done, _seconds: percent(done))
        with watching(con, report_percent, delay=0.0):
            rows = int(interruptible(con, lambda: con.execute(copy).fetchone()[0]))
        if _footer_rows(con, temp) != rows:
            raise EngineError(f"internal error: {temp} does not hold the {rows} rows DuckDB wrote")
        with open(temp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, out.path)
    except duckdb.Error as exc:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp)
        raise _write_failure(exc, temp, out.path) or _bad_source(out, exc) from None
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp)
        raise _destination_error(out.path, exc.strerror or str(exc)) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp)
        raise
    return rows


def _destination_error(path: str, reason: str) -> EngineError:
    return EngineError(
        f"cannot write the Parquet copy {path}: {reason}",
        hint="free space or choose another --to; files already complete are kept, a rerun resumes",
    )


_WRITE_REASONS = ("No space left on device", "Disk quota exceeded", "Read-only file system")


def _write_failure(exc: Exception, temp: str, final: str) -> EngineError | None:
    """The error as the destination's when DuckDB failed writing (disk full, no permission), not
    reading a source: its message names the file it writes, or the system's reason for a write."""
    message = str(exc)
    if temp not in message and not any(word in message for word in (*_WRITE_REASONS, "Could not write")):
        return None
    reason = next(
        (w for w in _WRITE_REASONS if w in message), message.replace(temp, "<file>").strip().splitlines()[0]
    )
    return _destination_error(final, reason)


def _bad_source(out: OutputFile, exc: Exception) -> EngineError:
    message = str(exc).splitlines()[0]
    for f in out.sources:
        if f.path in str(exc):
            return BadFile(f.path, message)
    return BadFile(
        ", ".join(f.path for f in out.sources[:3]) + (" …" if len(out.sources) > 3 else ""),
        message,
        hint="a file may be truncated or not a flow log; check it, move it aside and run compact again",
    )


# --- Athena ---------------------------------------------------------------------------------------
