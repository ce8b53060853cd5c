"""Parquet compaction, what both paths share: the target table, the source partitions and files,
and how they are cut into output files. The local path is compact_local, Athena's compact_athena.

Parquet compaction: rewrite gzip text flow logs as Parquet, laid out as AWS lays out Parquet flow
logs (Hive-compatible prefixes, `.log.parquet` names, INT32/INT64/STRING columns), so investigations
over the copy read a fraction of the bytes.

Locally (DuckDB) the work goes partition by partition. A small manifest in each partition folder
(`_flowsql_compact.json`, hidden from Athena by its leading underscore) records each output file's
row count and a fingerprint of the text files it came from; a rerun skips a partition whose files are
all present with matching fingerprints and whose Parquet footers hold the recorded row counts, so an
interrupted run resumes where it stopped and a partition that gained new text files is rewritten.
A file is written under a hidden temporary name in its final folder and renamed only when complete:
readers never see half a file under its final name.

On Athena the same job is a CTAS (which also creates the Parquet table) followed by INSERT INTO
statements, each writing at most 100 partitions, Athena's limit for one statement.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from flowsql.errors import ConfigError, LocationError
from flowsql.tables import fields as flowfields
from flowsql.tables.spec import DATE, HOUR, FileFormat, Layout, Partitioning, TableSpec

if TYPE_CHECKING:
    from flowsql.investigations.window import TimeWindow

COMPRESSIONS = ("zstd", "snappy", "gzip")
DEFAULT_COMPRESSION = "zstd"
# Text files per output file: bounds one Parquet file's size on busy partitions (AWS's own Parquet
# flow logs are one file per 5-minute window; a partition's day of them becomes a few files here).
MAX_SOURCE_BYTES_PER_FILE = 2 * 1024**3
# Athena writes at most 100 partitions in one CTAS or INSERT INTO statement.
ATHENA_PARTITIONS_PER_STATEMENT = 100

KEY_FINGERPRINT = "flowsql.source_fingerprint"
KEY_SOURCES = "flowsql.source_files"
# Per partition folder: each output file's row count and source fingerprint. The leading '_' hides it
# from Athena and Hive, as it does Spark's _SUCCESS files.
MANIFEST = "_flowsql_compact.json"
TMP_MARK = ".tmp-"

DUCKDB_TYPES = {"int": "INTEGER", "bigint": "BIGINT", "string": "VARCHAR"}
_AWS_NAME = re.compile(
    r"^(?P<account>[^_]+)_vpcflowlogs_(?P<region>[^_]+)_(?P<flowlog>[^_]+)_(?P<stamp>\d{8}T\d{4}Z)_[^_.]+\.log\.gz$"
)


# --- the target ---------------------------------------------------------------------------------


def parquet_target(spec: TableSpec, dest: str, *, table: str | None = None) -> TableSpec:
    """The TableSpec of the Parquet copy: same fields, hours, accounts and regions, Hive prefixes."""
    return replace(
        spec,
        location=dest,
        layout=Layout.HIVE,
        file_format=FileFormat.PARQUET,
        table=table or spec.table,
    )


def table_options_text(spec: TableSpec) -> str:
    """The TABLE OPTIONS flags that describe `spec`, for a person to paste."""
    parts = [f"--location {_shell(spec.location)}"]
    if spec.database != "vpc_flow_logs":
        parts.append(f"--database {spec.database}")
    if spec.table != "flow_logs":
        parts.append(f"--table {spec.table}")
    parts += [f"--layout {spec.layout.value}", f"--file-format {spec.file_format.value}"]
    if spec.hourly:
        parts.append("--hourly")
    if spec.partitioning is Partitioning.PARTITIONS:
        parts.append("--partitioning partitions")
    parts.append(f"--log-format {_shell(flowfields.format_string(spec.fields))}")
    if spec.accounts:
        parts.append(f"--accounts {','.join(spec.accounts)}")
    if spec.regions:
        parts.append(f"--regions {','.join(spec.regions)}")
    return " ".join(parts)


def _shell(text: str) -> str:
    return text if re.fullmatch(r"[\w./:=@+-]+", text) else "'" + text.replace("'", "'\\''") + "'"


# --- the source -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    path: str
    size: int
    # Nanoseconds: a file rewritten in place with the same size still changes its fingerprint.
    mtime_ns: int = 0

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


@dataclass(frozen=True)
class Partition:
    """One text partition: its values and the files in it, in name (= time) order."""

    account: str
    region: str
    day: date
    hour: int | None
    files: tuple[SourceFile, ...]

    @property
    def label(self) -> str:
        when = self.day.isoformat() + (f" {self.hour:02d}h" if self.hour is not None else "")
        return f"{self.account}/{self.region}/{when}"

    @property
    def source_bytes(self) -> int:
        return sum(f.size for f in self.files)


def _fingerprint(files: Sequence[SourceFile]) -> str:
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.name}\t{f.size}\t{f.mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def source_partitions(
    spec: TableSpec, days: tuple[date, date] | None = None, ignored: list[str] | None = None
) -> list[Partition]:
    """The text partitions under a local location, optionally only those of days first..last.
    A .log.gz that is not a regular file (a FIFO would block the read forever) is left out and, when
    `ignored` is given, added to it."""
    if spec.is_s3:
        raise LocationError(
            f"local compaction reads a local folder, got {spec.location}",
            hint="compact an S3 table with --engine athena, or copy the files locally first",
        )
    root = Path(spec.location)
    base = Path(spec.table_location)
    if not base.is_dir():
        raise LocationError(f"{base} does not exist: no flow logs to compact")
    pattern = re.compile(spec.path_regex())
    groups: dict[tuple[str, ...], list[SourceFile]] = {}
    for folder, _dirs, names in os.walk(base):
        for name in names:
            if not name.endswith(".log.gz") or name.startswith((".", "_")):
                continue
            path = os.path.join(folder, name)
            match = pattern.search(Path(path).relative_to(root).as_posix())
            if match is None:
                continue
            values = match.groupdict()
            key = (
                values["account_partition"],
                values["region_partition"],
                values[DATE],
                values.get(HOUR) or "",
            )
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):
                if ignored is not None:
                    ignored.append(path)
                continue
            groups.setdefault(key, []).append(SourceFile(path, info.st_size, info.st_mtime_ns))
    partitions = []
    for (account, region, day_text, hour_text), files in sorted(groups.items()):
        day = datetime.strptime(day_text, spec.date_format).date()
        hour = int(hour_text) if hour_text else None
        if days is not None and not days[0] <= day <= days[1]:
            continue
        partitions.append(Partition(account, region, day, hour, tuple(sorted(files, key=lambda f: f.name))))
    return partitions


def _chunks(files: Sequence[SourceFile], limit: int) -> list[tuple[SourceFile, ...]]:
    out: list[list[SourceFile]] = [[]]
    size = 0
    for f in files:
        if out[-1] and size + f.size > limit:
            out.append([])
            size = 0
        out[-1].append(f)
        size += f.size
    return [tuple(c) for c in out if c]


# --- the plan for one partition -----------------------------------------------------------------


@dataclass(frozen=True)
class OutputFile:
    """One Parquet file of the copy and the text files it is made from."""

    path: str
    sources: tuple[SourceFile, ...]

    @property
    def fingerprint(self) -> str:
        return _fingerprint(self.sources)


def output_files(partition: Partition, target: TableSpec, max_source_bytes: int) -> list[OutputFile]:
    """The Parquet files a partition becomes, named as AWS names Parquet flow-log files:
    {account}_vpcflowlogs_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}.log.parquet."""
    folder = target.partition_path(partition.account, partition.region, partition.day, partition.hour)
    start = datetime(partition.day.year, partition.day.month, partition.day.day, partition.hour or 0)
    out = []
    for sources in _chunks(partition.files, max_source_bytes):
        match = _AWS_NAME.match(sources[0].name)
        ids = {m.group("flowlog") for s in sources if (m := _AWS_NAME.match(s.name))}
        flowlog = ids.pop() if len(ids) == 1 else "fl-compacted"
        stamp = match.group("stamp") if match else f"{start:%Y%m%dT%H%MZ}"
        digest = _fingerprint(sources)[:12]
        name = f"{partition.account}_vpcflowlogs_{partition.region}_{flowlog}_{stamp}_{digest}"
        out.append(OutputFile(os.path.join(folder, name + ".log.parquet"), sources))
    return out


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayRange:
    """The days compact works on: whole UTC days, first..last inclusive. None: from the first day
    there is (local: the oldest partition; Athena: the table's start date) / up to the last (local:
    the newest partition; Athena: today)."""

    first: date | None
    last: date | None
    window: TimeWindow | None = None  # the window given, when it had both ends

    def describe(self) -> str:
        """'whole days 2024-05-01 … 2024-05-03 (UTC): the window … touches them', or '' for every day."""
        if self.first is None and self.last is None:
            return ""
        if self.first is None:
            return f"days up to {self.last} (UTC), from the first there is"
        if self.last is None:
            return f"days from {self.first} (UTC) to the last there is"
        days = f"day {self.first}" if self.first == self.last else f"days {self.first} … {self.last}"
        window = self.window
        if window is None or (_midnight(window.start) and _midnight(window.end)):
            return days + " (UTC)" + (f", the window {window.describe()}" if window is not None else "")
        return f"whole {days} (UTC): the window {window.describe()} touches them"

    def bounds(self, spec: TableSpec) -> tuple[date, date]:
        """first..last with the Athena defaults filled in: the table's start date, today (UTC)."""
        first = self.first or spec.start_date
        last = self.last or datetime.now(timezone.utc).date()
        if last < first:
            raise ConfigError(f"the days to compact end ({last}) before they start ({first})")
        return first, last


def _midnight(moment: datetime) -> bool:
    return moment.time() == datetime.min.time()


def day_range(
    start: str | None = None, end: str | None = None, last: str | None = None, *, now: datetime | None = None
) -> DayRange:
    """The days of --start/--end/--last, by the window rule of every other command (see
    investigations.window) with two differences: --last has no default (a lone --start runs to now,
    a lone --end from the first day there is, nothing given is every day) and there is no longest
    window. The window is then widened to the whole UTC days it touches (its end is exclusive)."""
    from flowsql.investigations.window import TimeWindow, parse_instant

    if not (start or end or last):
        return DayRange(None, None)
    if end and not (start or last):
        moment = parse_instant(end, "end", now=now)
        return DayRange(None, (moment - _TICK).date())
    span = last or (timedelta.max if start and not end else None)
    window = TimeWindow.parse(start, end, last=span, max_span=timedelta.max, now=now)
    return DayRange(window.start.date(), (window.end - _TICK).date(), window)


_TICK = timedelta(microseconds=1)  # the window's end is exclusive: the last day is the one before it
