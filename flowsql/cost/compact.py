"""Parquet compaction: rewrite gzip text flow logs as Parquet, laid out as AWS lays out Parquet flow
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

import contextlib
import hashlib
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from flowsql.errors import BadFile, ConfigError, EngineError, LocationError
from flowsql.tables import fields as flowfields
from flowsql.tables.fields import Field
from flowsql.tables.spec import DATE, HOUR, FileFormat, Layout, Partitioning, TableSpec

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

_DUCKDB_TYPES = {"int": "INTEGER", "bigint": "BIGINT", "string": "VARCHAR"}
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
        digest.update(f"{f.name}\t{f.size}\n".encode())
    return digest.hexdigest()[:16]


def source_partitions(spec: TableSpec, days: tuple[date, date] | None = None) -> list[Partition]:
    """The text partitions under a local location, optionally only those of days first..last."""
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
            groups.setdefault(key, []).append(SourceFile(path, os.path.getsize(path)))
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


@dataclass
class PartitionResult:
    partition: Partition
    status: str  # "written", "skipped" (already complete) or "rewritten" (sources changed)
    rows: int
    files: list[str]
    output_bytes: int


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
) -> CompactReport:
    """Rewrite the text partitions under spec.location (those of days first..last when given) as
    Parquet under dest, partition by partition; resumable (see the module docstring)."""
    if spec.file_format is not FileFormat.TEXT:
        raise ConfigError("compact rewrites text flow logs; this table is already Parquet")
    if compression not in COMPRESSIONS:
        raise ConfigError(f"--compression must be one of {'|'.join(COMPRESSIONS)}, got {compression!r}")
    if dest.startswith("s3://") or "://" in dest:
        raise LocationError(
            f"local compaction writes to a local folder, got {dest}",
            hint="use --engine athena to write Parquet to S3",
        )
    target = parquet_target(spec, dest)
    if os.path.abspath(target.table_location) == os.path.abspath(spec.table_location):
        raise ConfigError("--to must differ from the text table's location")
    started = time.monotonic()
    report = CompactReport(spec, target)
    partitions = source_partitions(spec, days)
    if not partitions:
        raise LocationError(f"found no text flow-log files (*.log.gz) under {spec.table_location} to compact")

    import duckdb

    con = duckdb.connect(config={"threads": threads} if threads else {})
    try:
        for partition in partitions:
            result = _compact_partition(con, spec, target, partition, compression, max_source_bytes, report)
            report.results.append(result)
            if on_partition is not None:
                on_partition(result)
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
        rows = _write(con, spec, out, compression, report)
        manifest[os.path.basename(out.path)] = {
            "rows": rows,
            "fingerprint": out.fingerprint,
            "sources": [[f.name, f.size] for f in out.sources],
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
        extra = [h.name for h in header if h.column not in set(spec.columns)]
        if extra and report is not None:
            report.warnings.append(
                f"{len(paths)} file(s) such as {paths[0]} have field(s) the table lacks, not copied: "
                + ", ".join(extra)
            )
        columns = ", ".join(
            f"{_sql_string(h.column)}: {_sql_string(_DUCKDB_TYPES[h.parquet_type])}" for h in header
        )
        select = ", ".join(
            f'"{c.column}"'
            if c.column in have
            else f'CAST(NULL AS {_DUCKDB_TYPES[c.parquet_type]}) AS "{c.column}"'
            for c in spec.fields
        )
        listing = "[" + ", ".join(_sql_string(p) for p in paths) + "]"
        parts.append(
            f"SELECT {select} FROM read_csv({listing}, delim=' ', quote='', escape='', header=true, "
            f"nullstr='-', compression='gzip', auto_detect=false, strict_mode=true, null_padding=false, "
            f"columns={{{columns}}})"
        )
    return " UNION ALL ".join(parts)


def _write(con: Any, spec: TableSpec, out: OutputFile, compression: str, report: CompactReport) -> int:
    """One Parquet file under a hidden temporary name, checked, synced, then renamed into place."""
    import duckdb

    folder, name = os.path.split(out.path)
    temp = os.path.join(folder, f".{name}{TMP_MARK}{os.getpid()}")
    query = select_sql(spec, out.sources, report)
    kv = f"{_sql_string(KEY_FINGERPRINT)}: {_sql_string(out.fingerprint)}, " + (
        f"{_sql_string(KEY_SOURCES)}: {_sql_string(str(len(out.sources)))}"
    )
    try:
        rows = int(
            con.execute(
                f"COPY ({query}) TO {_sql_string(temp)} "
                f"(FORMAT parquet, COMPRESSION {compression}, KV_METADATA {{{kv}}})"
            ).fetchone()[0]
        )
        if _footer_rows(con, temp) != rows:
            raise EngineError(f"internal error: {temp} does not hold the {rows} rows DuckDB wrote")
        with open(temp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, out.path)
    except duckdb.Error as exc:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp)
        raise _bad_source(out, exc) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp)
        raise
    return rows


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


@dataclass(frozen=True)
class AthenaBatch:
    """One CTAS or INSERT INTO statement and the partitions it may write (at most 100)."""

    sql: str
    kind: str  # "ctas" or "insert"
    days: tuple[date, ...]
    accounts: tuple[str, ...]
    regions: tuple[str, ...]

    @property
    def partitions(self) -> int:
        return len(self.days) * len(self.accounts) * len(self.regions)


def athena_batches(
    spec: TableSpec,
    dest: str,
    first: date,
    last: date,
    *,
    table: str | None = None,
    compression: str = DEFAULT_COMPRESSION,
) -> tuple[TableSpec, list[AthenaBatch]]:
    """The Parquet table's spec and the validated statements that fill it: a CTAS for the first batch
    (creating the table), INSERT INTO for the rest; every batch a cross product of days, accounts and
    regions (and every hour) of at most 100 partitions, selected by IN lists that prune projection."""
    if not dest.startswith("s3://"):
        raise LocationError(f"Athena writes Parquet to S3: --to must be an s3:// URI, got {dest}")
    if compression not in COMPRESSIONS:
        raise ConfigError(f"--compression must be one of {'|'.join(COMPRESSIONS)}, got {compression!r}")
    if not spec.accounts or not spec.regions:
        raise ConfigError(
            "compacting on Athena needs the accounts and regions to batch the partitions",
            hint="pass --accounts and --regions",
        )
    if last < first:
        raise ConfigError(f"--end {last} is before --start {first}")
    target = replace(
        parquet_target(spec, dest, table=table or f"{spec.table}_parquet"),
        layout=spec.layout,  # partition values are copied as they are, so predicates keep working
        partitioning=Partitioning.PARTITIONS,
    )
    if (target.database, target.table) == (spec.database, spec.table):
        raise ConfigError("the Parquet table needs a name other than the text table's (--target-table)")
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    per_day = 24 if spec.hourly else 1
    batches = []
    for chunk_days, chunk_accounts, chunk_regions in _cross_batches(
        days, spec.accounts, spec.regions, per_day
    ):
        kind = "ctas" if not batches else "insert"
        sql = _athena_statement(spec, target, kind, chunk_days, chunk_accounts, chunk_regions, compression)
        batches.append(AthenaBatch(sql, kind, tuple(chunk_days), tuple(chunk_accounts), tuple(chunk_regions)))
    return target, batches


def _cross_batches(
    days: Sequence[date], accounts: Sequence[str], regions: Sequence[str], per_day: int
) -> Iterator[tuple[list[date], list[str], list[str]]]:
    limit = ATHENA_PARTITIONS_PER_STATEMENT
    if len(accounts) * len(regions) * per_day <= limit:
        step = limit // (len(accounts) * len(regions) * per_day)
        for i in range(0, len(days), step):
            yield list(days[i : i + step]), list(accounts), list(regions)
    elif len(regions) * per_day <= limit:
        step = limit // (len(regions) * per_day)
        for day in days:
            for i in range(0, len(accounts), step):
                yield [day], list(accounts[i : i + step]), list(regions)
    else:
        step = limit // per_day
        for day in days:
            for account in accounts:
                for i in range(0, len(regions), step):
                    yield [day], [account], list(regions[i : i + step])


def _athena_statement(
    spec: TableSpec,
    target: TableSpec,
    kind: str,
    days: Sequence[date],
    accounts: Sequence[str],
    regions: Sequence[str],
    compression: str,
) -> str:
    from flowsql.investigations.templates import render_file, trusted

    columns = []
    for f in spec.fields:
        name = flowfields.quote_query(f.column)
        if f.text_type != f.parquet_type:
            columns.append(trusted(f"CAST({name} AS {_DUCKDB_TYPES[f.parquet_type]}) AS {name}"))
        else:
            columns.append(trusted(name))
    columns += [trusted(c) for c in spec.partition_columns]
    context = {
        "source": trusted(spec.qualified_name),
        "target": trusted(target.qualified_name),
        "columns": columns,
        "days": [d.strftime(spec.date_format) for d in days],
        "accounts": list(accounts),
        "regions": list(regions),
        "date_column": trusted(DATE),
        "account_column": trusted("account_partition"),
        "region_column": trusted("region_partition"),
        "location": target.table_location,
        "compression": compression.upper(),
        "partitioned_by": list(spec.partition_columns),
    }
    sql = render_file("compact_ctas.sql" if kind == "ctas" else "compact_insert.sql", context)
    return check_athena_statement(sql, spec, kind)


def check_athena_statement(sql: str, spec: TableSpec, kind: str) -> str:
    """Parse a CTAS/INSERT with sqlglot's athena dialect, check its SELECT against the text table's
    columns, and return the regenerated statement (what Athena receives)."""
    import sqlglot
    from sqlglot import exp

    from flowsql.investigations import validate

    try:
        trees = [t for t in sqlglot.parse(sql, read="athena") if t is not None]
    except sqlglot.errors.ParseError as exc:
        raise EngineError(f"internal error: the {kind} statement does not parse: {exc.errors[0]}") from None
    wanted = exp.Create if kind == "ctas" else exp.Insert
    if len(trees) != 1 or not isinstance(trees[0], wanted):
        raise EngineError(f"internal error: the {kind} statement parsed as {type(trees[0]).__name__}")
    tree = trees[0]
    select = tree.expression
    if not isinstance(select, exp.Select):
        raise EngineError(f"internal error: the {kind} statement has no SELECT")
    validate.validate_query(select.sql(dialect="athena"), spec, require_window=False)
    return tree.sql(dialect="athena", pretty=True)


def compact_athena(
    spec: TableSpec,
    dest: str,
    settings: Any,
    first: date,
    last: date,
    *,
    table: str | None = None,
    compression: str = DEFAULT_COMPRESSION,
    engine: Any = None,
    on_statement: Callable[[AthenaBatch, Any], None] | None = None,
) -> tuple[TableSpec, list[tuple[AthenaBatch, Any]]]:
    """Run the batches on Athena, in order; refuses a target table or location that is not empty."""
    target, batches = athena_batches(spec, dest, first, last, table=table, compression=compression)
    _check_target_free(target, settings)
    if engine is None:
        from flowsql.engines.athena import AthenaEngine

        engine = AthenaEngine(spec, settings)
    done = []
    for batch in batches:
        rows = engine.execute(batch.sql)
        done.append((batch, rows))
        if on_statement is not None:
            on_statement(batch, rows)
    return target, done


def _check_target_free(target: TableSpec, settings: Any) -> None:
    """CTAS fails on a non-empty location, and would clash with an existing table: say so first."""
    import botocore.exceptions

    from flowsql import aws
    from flowsql.tables.catalog import GlueCatalog

    if GlueCatalog(settings).get_table(target.database, target.table) is not None:
        raise ConfigError(
            f"table {target.database}.{target.table} already exists",
            hint="drop it first, or name another with --target-table",
        )
    bucket, prefix = aws.split_s3(target.table_location)
    try:
        listing = aws.client("s3", settings).list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    except botocore.exceptions.ClientError as exc:
        raise LocationError(
            f"cannot list {target.table_location}: {aws.describe_client_error(exc)}"
        ) from None
    if listing.get("KeyCount", 0):
        raise LocationError(
            f"{target.table_location} is not empty; Athena's CTAS writes only to an empty location",
            hint="choose another --to, or empty that prefix",
        )


def day_range(spec: TableSpec, start: str | None, end: str | None) -> tuple[date, date]:
    """First and last partition day (inclusive) from --start/--end; a missing side is the table's
    start date, or today (UTC)."""
    from flowsql.investigations.window import parse_instant

    first = parse_instant(start, "start").date() if start else spec.start_date
    last = parse_instant(end, "end").date() if end else datetime.now(timezone.utc).date()
    if last < first:
        raise ConfigError(f"--end {last} is before --start {first}")
    return first, last
