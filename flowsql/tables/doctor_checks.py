"""The doctor's checks, one function each: the location, the layout and file format, the header
lines, Parquet column types, partition projection, classic partitions and delivery lag. Each takes
the Probe (the table and the objects under its location) and returns Findings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cached_property

from flowsql.config import AthenaSettings
from flowsql.errors import LogFormatError
from flowsql.tables import fields as flowfields
from flowsql.tables import objects as objectsmod
from flowsql.tables.doctor import Finding, Subject
from flowsql.tables.objects import LogObject
from flowsql.tables.spec import FileFormat, Layout, TableSpec

UTC = timezone.utc
LAG_SECONDS = 3600


@dataclass
class Probe:
    subject: Subject
    objects: list[LogObject]
    settings: AthenaSettings | None
    now: float

    @property
    def spec(self) -> TableSpec:
        return self.subject.spec

    @cached_property
    def logs(self) -> list[LogObject]:
        return [o for o in self.objects if o.is_flow_log]

    @cached_property
    def readable(self) -> list[LogObject]:
        """The flow-log objects in the table's own layout, partitioning and file format, oldest first."""
        spec = self.spec
        mine = [
            o
            for o in self.logs
            if o.layout is spec.layout and o.hourly == spec.hourly and o.file_format is spec.file_format
        ]
        return sorted(mine, key=_when)


def _when(o: LogObject) -> tuple[date, int, float, str]:
    return (o.day or date.min, o.hour or 0, o.modified, o.rel)


def _partition_value(o: LogObject, layout: Layout) -> str:
    day = o.day or date.min
    return day.strftime("%Y/%m/%d" if layout is Layout.AWS else "year=%Y/month=%m/day=%d")


def spread(items: Sequence[LogObject], count: int = 5) -> list[LogObject]:
    """Oldest, newest and evenly spaced ones between (no repeats)."""
    if len(items) <= count:
        return list(items)
    step = (len(items) - 1) / (count - 1)
    picks = sorted({round(i * step) for i in range(count)})
    return [items[i] for i in picks]


# --- the location -------------------------------------------------------------------------------


def check_location(probe: Probe) -> list[Finding]:
    spec = probe.spec
    if probe.logs:
        return []
    if probe.objects:
        sample = probe.objects[0]
        return [
            Finding(
                "not-flow-logs",
                "error",
                f"{spec.table_location} holds {len(probe.objects)} object(s), none named like a flow log",
                (sample.path,),
                "point --location at the prefix that holds AWSLogs/{account}/vpcflowlogs/…",
            )
        ]
    elsewhere = _flow_logs_elsewhere(probe)
    if elsewhere:
        where, example = elsewhere
        return [
            Finding(
                "location",
                "error",
                f"nothing under the table's location {spec.table_location}; "
                f"flow logs are under {where}AWSLogs/",
                (example,),
                probe.subject.init_fix(f"--location {where.rstrip('/')}"),
            )
        ]
    return [
        Finding(
            "empty-location",
            "error",
            f"the table's location {spec.table_location} holds no objects: every query returns 0 rows",
            (f"no object under {spec.table_location}",),
            "check the flow log's destination (aws ec2 describe-flow-logs, or "
            "`flowsql init --flow-log fl-…`); the first files arrive about 10 minutes after it is created",
        )
    ]


def _flow_logs_elsewhere(probe: Probe) -> tuple[str, str] | None:
    """(location, example object) of flow logs beside the table's location: elsewhere in the bucket,
    or in a folder below a local location."""
    spec = probe.spec
    if spec.is_s3:
        from flowsql import aws

        bucket = aws.split_s3(spec.location)[0]
        s3 = aws.client("s3", probe.settings or AthenaSettings())
        for page in aws.list_pages(s3, bucket, "", hint="check the location and your credentials"):
            for obj in page.get("Contents", []):
                found = objectsmod.classify(obj["Key"], f"s3://{bucket}/{obj['Key']}", 0, 0)
                if found.is_flow_log:
                    lead = obj["Key"][: obj["Key"].index("AWSLogs/")]
                    return f"s3://{bucket}/{lead}", found.path
            break  # the first page (1,000 keys) is enough to point the way
        return None
    from pathlib import Path

    base = Path(spec.location)
    below = [p for depth in range(1, 4) for p in sorted(base.glob("*/" * depth + "AWSLogs"))]
    for logs in below[:20]:
        listing = objectsmod.list_objects(str(logs.parent) + "/", limit=50)
        example = next((o for o in listing.objects if o.is_flow_log), None)
        if example is not None:
            return str(logs.parent) + "/", example.path
    return None


# --- layout, partitioning, file format ----------------------------------------------------------


def check_layout(probe: Probe) -> list[Finding]:
    spec = probe.spec
    logs = probe.logs
    if not logs:
        return []
    shapes = Counter((o.layout, o.hourly, o.file_format) for o in logs)
    mine = (spec.layout, spec.hourly, spec.file_format)
    if mine not in shapes:
        layout, hourly, file_format = shapes.most_common(1)[0][0]
        example = max(
            (o for o in logs if (o.layout, o.hourly, o.file_format) == (layout, hourly, file_format)),
            key=_when,
        )
        said, flags = [], []
        if layout is not spec.layout:
            said.append(f"{_layout_words(layout)} (the table reads {_layout_words(spec.layout)})")
            flags.append(f"--layout {layout.value}")
        if hourly != spec.hourly:
            said.append(f"{_period(hourly)} folders (the table reads {_period(spec.hourly)})")
            flags.append("--hourly" if hourly else "--daily")
        if file_format is not spec.file_format:
            said.append(f"{file_format.value} files (the table reads {spec.file_format.value})")
            flags.append(f"--file-format {file_format.value}")
        return [
            Finding(
                "layout",
                "error",
                "no object is where the table looks: the objects use " + ", ".join(said),
                (example.path,),
                probe.subject.init_fix(" ".join(flags)),
            )
        ]
    others = {shape: n for shape, n in shapes.items() if shape != mine}
    if not others:
        return []
    evidence = []
    for (layout, hourly, file_format), n in sorted(others.items(), key=lambda kv: -kv[1]):
        example = next(
            o for o in logs if (o.layout, o.hourly, o.file_format) == (layout, hourly, file_format)
        )
        evidence.append(
            f"{n} {file_format.value} object(s), {_layout_words(layout)}, {'hourly' if hourly else 'daily'}: "
            f"e.g. {example.path}"
        )
    return [
        Finding(
            "mixed-layout",
            "warning",
            f"{sum(others.values())} of {len(logs)} flow-log objects are in another layout or format: "
            "the table never reads them",
            tuple(evidence),
            "one table per layout and format (`flowsql init --table NAME` with --layout/--hourly/"
            "--file-format of those objects), or give each flow log its own prefix",
        )
    ]


def _period(hourly: bool) -> str:
    return "hourly" if hourly else "daily"


def _layout_words(layout: Layout) -> str:
    return "Hive-compatible prefixes" if layout is Layout.HIVE else "AWS default prefixes"


# --- header lines (text) ------------------------------------------------------------------------


def check_headers(probe: Probe) -> list[Finding]:
    spec = probe.spec
    files = probe.readable
    if spec.file_format is not FileFormat.TEXT or not files:
        return []
    cache: dict[str, str] = {}

    def header(o: LogObject) -> str:
        if o.path not in cache:
            cache[o.path] = objectsmod.header_line(o.path, probe.settings)
        return cache[o.path]

    sampled = spread(files)
    findings: list[Finding] = []
    for o in sampled:
        try:
            flowfields.parse_header(header(o), source=o.path)
        except LogFormatError:
            findings.append(
                Finding(
                    "header",
                    "error",
                    "a file's first line is not a flow-log header: the file is not a flow log, or was "
                    "written without one",
                    (f"{o.path}: {header(o)[:200]!r}",),
                    "move files that are not flow logs out of the table's location",
                )
            )
    if findings:
        return findings
    wanted = list(probe.subject.columns)
    # where the oldest and newest formats differ, find the first file of the newest by bisection
    if header(files[0]) != header(files[-1]):
        low, high = 0, len(files) - 1
        while high - low > 1:
            mid = (low + high) // 2
            if header(files[mid]) == header(files[-1]):
                high = mid
            else:
                low = mid
        sampled = sorted({*sampled, files[low], files[high]}, key=_when)
    groups: dict[str, list[LogObject]] = {}
    for o in sampled:
        groups.setdefault(header(o), []).append(o)
    wrong = {h: g for h, g in groups.items() if [flowfields.column_name(n) for n in h.split()] != wanted}
    if not wrong:
        return []
    table_line = " ".join(flowfields.lookup(c.replace("_", "-")).name for c in wanted)
    evidence = [f"the table's columns, in order: {table_line}"]
    for line, group in groups.items():
        first, last = group[0], group[-1]
        span = f"{_partition_value(first, spec.layout)} … {_partition_value(last, spec.layout)}"
        mark = "differs" if line in wrong else "matches"
        evidence.append(f"{mark}: {first.path} ({len(group)} of the sampled files, {span}):\n{line}")
    newest = header(files[-1])
    newest_format = flowfields.format_string(flowfields.parse_header(newest))
    if len(groups) == 1:
        return [
            Finding(
                "header",
                "error",
                "the files' header line differs from the table's columns: a text table reads by "
                "position, so every column after the first difference holds another field's values",
                tuple(evidence),
                probe.subject.init_fix(f"--log-format '{newest_format}'"),
            )
        ]
    return [
        Finding(
            "formats",
            "error",
            f"the files hold {len(groups)} log formats: a positional text table reads only one of them "
            "right (the others give shifted columns or wrong values, without an error)",
            tuple(evidence),
            "one table per format, each over the files of its format (give each flow log its own "
            f"prefix; the newest: {probe.subject.init_fix(f'--log-format {newest_format!r}')}), or "
            "convert to Parquet (`flowsql compact --to DIR`), which reads columns by name",
        )
    ]


# --- Parquet column types -----------------------------------------------------------------------


def check_parquet(probe: Probe) -> list[Finding]:
    spec = probe.spec
    files = probe.readable
    if spec.file_format is not FileFormat.PARQUET or not files:
        return []
    declared = probe.subject.columns
    schemas = {o.path: objectsmod.parquet_columns(o.path, probe.settings) for o in spread(files, 3)}
    findings: list[Finding] = []
    for column, kind in declared.items():
        seen = {path: cols.get(column) for path, cols in schemas.items()}
        kinds = {k for k in seen.values() if k is not None}
        if len(kinds) > 1:
            findings.append(
                Finding(
                    "parquet-files-differ",
                    "error",
                    f"column {column} has different types in different files: {', '.join(sorted(kinds))}",
                    tuple(f"{path}: {column} {k}" for path, k in seen.items()),
                    "one table per file schema, or rewrite the odd files (`flowsql compact`)",
                )
            )
        elif kinds and kind not in kinds:
            found = kinds.pop()
            path = next(p for p, k in seen.items() if k == found)
            findings.append(
                Finding(
                    "parquet-type",
                    "error",
                    f"column {column} is declared {kind} but the files hold {found}: Athena fails with "
                    "HIVE_BAD_DATA or reads wrong values",
                    (f"{path}: {column} {found}",),
                    f"declare {column} as {found}: {probe.subject.init_fix('')}"
                    if flowfields.lookup(column.replace("_", "-")).parquet_type == found
                    else f"ALTER TABLE {spec.database}.{spec.table} CHANGE COLUMN {column} {column} {found}",
                )
            )
        elif not kinds:
            findings.append(
                Finding(
                    "parquet-missing-column",
                    "warning",
                    f"column {column} is in no sampled file: it reads as NULL",
                    tuple(f"{path}: columns {', '.join(cols)}" for path, cols in list(schemas.items())[:1]),
                    "drop it from --log-format, or check the flow log's format",
                )
            )
    return findings


# --- delivery lag -------------------------------------------------------------------------------


def check_recent(probe: Probe) -> list[Finding]:
    # the time a file's name gives is its records' window; a copied or generated file's modification
    # time says nothing about delivery, so the name decides where it has one
    recent = [o for o in probe.logs if probe.now - (o.stamp or o.modified) < LAG_SECONDS]
    if not recent:
        return []
    newest = max(recent, key=lambda o: (o.stamp or o.modified, o.modified))
    written = datetime.fromtimestamp(newest.modified, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    cutoff = datetime.fromtimestamp(probe.now - LAG_SECONDS, UTC).strftime("%Y-%m-%dT%H:00:00Z")
    return [
        Finding(
            "delivery-lag",
            "note",
            f"{len(recent)} object(s) hold records of the last hour: flow logs arrive 5-15 minutes late "
            "(best effort), so recent windows may be incomplete",
            (f"{newest.path} written {written}",),
            f"end windows an hour ago for complete answers (-p end={cutoff})",
        )
    ]
