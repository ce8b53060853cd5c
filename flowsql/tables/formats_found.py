"""The log formats flow-log files hold: header lines of text files, columns of Parquet footers,
grouped so that files of several flow logs (several formats) under one location are reported."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flowsql.errors import LocationError, LogFormatError
from flowsql.tables import fields as flowfields
from flowsql.tables.discovery import _Lister
from flowsql.tables.fields import Field
from flowsql.tables.findings import Finding
from flowsql.tables.spec import FileFormat, TableSpec

_FLOW_LOG_ID = re.compile(r"_vpcflowlogs_[^_/]+_(fl-[0-9a-z]+)_")


@dataclass
class SeenFile:
    """A flow-log file: its path relative to the location, where to read it, its time order."""

    rel: str
    path: str
    mtime: float


@dataclass(frozen=True)
class FormatGroup:
    """Files that share one field list (a header line, or a Parquet schema)."""

    fields: tuple[Field, ...]
    files: int
    flow_logs: tuple[str, ...]
    example: str


def _flow_log(path: str) -> str:
    match = _FLOW_LOG_ID.search(path)
    return match.group(1) if match else "?"


def text_formats(
    files: list[SeenFile], lister: _Lister, *, every: bool
) -> tuple[list[FormatGroup], dict[str, str]]:
    """Files grouped by header line: every file (local), or the newest of each flow log (S3)."""
    if not every:
        newest: dict[str, SeenFile] = {}
        for item in files:
            key = _flow_log(item.rel)
            if key not in newest or (item.rel, item.mtime) > (newest[key].rel, newest[key].mtime):
                newest[key] = item
        files = list(newest.values())
    by_header: dict[tuple[Field, ...], list[SeenFile]] = {}
    bad: dict[str, str] = {}
    for item in files:
        try:
            raw = lister.head(item.path)
        except LocationError as exc:
            bad[item.path] = exc.message.split(": ", 1)[-1]
            continue
        line = raw.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        try:
            found = flowfields.parse_header(line, source="header line")
        except LogFormatError:
            bad[item.path] = "the first line is not a flow-log header"
            continue
        by_header.setdefault(found, []).append(item)
    return _groups(by_header), bad


def parquet_formats(files: list[SeenFile], lister: _Lister) -> tuple[list[FormatGroup], dict[str, str]]:
    """Local Parquet files grouped by their column lists, read from the footers. On S3 the columns
    are not read (Parquet tables match columns by name): the given or default format stands."""
    if lister.s3 is not None:
        return [], {}
    from flowsql.duckdb_driver import duckdb

    by_schema: dict[tuple[Field, ...], list[SeenFile]] = {}
    bad: dict[str, str] = {}
    con = duckdb.connect(":memory:")
    try:
        for item in files:
            try:
                names = [
                    row[0]
                    for row in con.execute(
                        "SELECT name FROM parquet_schema(?) WHERE type IS NOT NULL", [item.path]
                    ).fetchall()
                ]
                columns = tuple(_parquet_field(n) for n in names)
                flowfields.parse_header(" ".join(f.name for f in columns))
            except (duckdb.Error, LogFormatError) as exc:
                bad[item.path] = str(exc).splitlines()[0]
                continue
            by_schema.setdefault(columns, []).append(item)
    finally:
        con.close()
    return _groups(by_schema), bad


def _parquet_field(column: str) -> Field:
    known = flowfields.BY_COLUMN.get(column.replace("-", "_"))
    return known if known is not None else flowfields.lookup(column.replace("_", "-"))


def _groups(by_fields: dict[tuple[Field, ...], list[SeenFile]]) -> list[FormatGroup]:
    groups = [
        FormatGroup(
            fields,
            len(items),
            tuple(sorted({_flow_log(i.rel) for i in items})),
            max(items, key=lambda i: (i.rel, i.mtime)).path,
        )
        for fields, items in by_fields.items()
    ]
    return sorted(groups, key=lambda g: -g.files)


def describe_format(fields: tuple[Field, ...]) -> str:
    """'version 5, 29 fields' or 'the 14 default (version 2) fields'."""
    if tuple(f.name for f in fields) == flowfields.DEFAULT_FORMAT:
        return "the 14 default (version 2) fields"
    unknown = [f.name for f in fields if not f.known]
    tail = f", {len(unknown)} unknown to flowsql ({', '.join(unknown)})" if unknown else ""
    return f"version {flowfields.record_version(fields)}, {len(fields)} fields{tail}"


def choose_fields(
    base: TableSpec, file_format: FileFormat, groups: list[FormatGroup], given: dict[str, Any]
) -> tuple[tuple[Field, ...], list[Finding]]:
    """The table's fields: the files' format, checked against a given --log-format."""
    declared = flowfields.parse_log_format(given["log_format"]) if given.get("log_format") else None
    where = "header lines" if file_format is FileFormat.TEXT else "Parquet footers"
    if not groups:
        fields = declared or tuple(flowfields.BY_NAME[n] for n in flowfields.DEFAULT_FORMAT)
        why = "as given" if declared else "the default; pass --log-format if your flow log has others"
        return fields, [Finding("format", f"{describe_format(fields)} ({why})")]
    findings: list[Finding] = []
    if len(groups) == 1:
        findings.append(Finding("format", f"{describe_format(groups[0].fields)} (from the {where})"))
    else:
        findings.append(Finding("format", f"{len(groups)} log formats in the files:", warning=True))
        for group in groups:
            findings.append(
                Finding(
                    "format",
                    f"  {group.files:,} file(s) of {', '.join(group.flow_logs)}: "
                    f"{describe_format(group.fields)}, e.g. {group.example}",
                )
            )
    if declared is not None:
        names = [f.name for f in declared]
        if not any([f.name for f in g.fields] == names for g in groups):
            group = groups[0]
            what = "header line" if file_format is FileFormat.TEXT else "columns"
            raise LogFormatError(
                f"the log format does not match the files: {group.example} has the {what}\n"
                f"    {' '.join(f.name for f in group.fields)}\n  but --log-format declares\n"
                f"    {' '.join(names)}",
                hint="text tables are positional: drop --log-format to take the files' own, or fix it",
            )
        if len(groups) > 1:
            findings.append(Finding("format", "the table declares the format given (--log-format)"))
        return declared, findings
    if len(groups) == 1:
        return groups[0].fields, findings
    if base.is_s3 and file_format is FileFormat.TEXT:
        raise LogFormatError(
            f"the text files under {base.table_location} hold {len(groups)} log formats "
            f"({'; '.join(f'{describe_format(g.fields)} in {g.example}' for g in groups)}): "
            "an Athena text table is positional and can declare only one",
            hint="give each flow log its own table and --location prefix, or pass --log-format for one",
        )
    merged = list(groups[0].fields)
    for group in groups[1:]:
        merged += [f for f in group.fields if f not in merged]
    findings.append(
        Finding(
            "format",
            f"the table declares every field of either ({len(merged)} fields); DuckDB reads each file "
            "by its own header, so a field a file lacks reads as NULL",
        )
    )
    return tuple(merged), findings
