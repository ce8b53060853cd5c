"""What the flow-log files under a location are, found in one pass: layout (aws or Hive) and
daily or hourly partitions from where the files sit, text or Parquet from their names, accounts and
Regions from the folders, and the log format from the header lines (text) or the Parquet footers.

    found = detect({"location": "./flowlogs"})
    found.spec        # the TableSpec the files describe (options given in `given` win when they agree)
    found.findings    # what was found, one sentence each, for a person to read

A local folder is walked completely (every file counted, every header line read: a gzip file's first
line costs one small read). On S3 the walk follows the newest date folder of each account and Region
with delimiter listings, so it never lists the whole bucket, and reads the header of the newest file
of each flow log found there.

Options given (flags, the config file) are checked, not trusted: a layout, partitioning, file format
or log format that the files contradict is refused with what the files hold instead.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from flowsql.config import AthenaSettings
from flowsql.errors import LocationError
from flowsql.tables.coverage import last_record_day
from flowsql.tables.discovery import _Lister
from flowsql.tables.findings import Finding
from flowsql.tables.formats_found import FormatGroup, SeenFile, choose_fields, parquet_formats, text_formats
from flowsql.tables.spec import ACCOUNT, DATE, REGION, FileFormat, Layout, TableSpec

_SUFFIXES = {".log.gz": FileFormat.TEXT, ".log.parquet": FileFormat.PARQUET}
_TOP_ACCOUNT = {
    Layout.AWS: re.compile(r"^\d{12}$"),
    Layout.HIVE: re.compile(r"^aws-account-id=\d{12}$"),
}
_SERVICE = {Layout.AWS: "vpcflowlogs", Layout.HIVE: "aws-service=vpcflowlogs"}


@dataclass
class Detection:
    """What `detect` found: the spec the files describe, and the findings to show."""

    spec: TableSpec
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    formats: list[FormatGroup] = field(default_factory=list)
    first_day: date | None = None
    last_day: date | None = None


@dataclass
class _Kind:
    """The files of one (layout, hourly, file format): how many, and what their paths say."""

    layout: Layout
    hourly: bool
    file_format: FileFormat
    files: list[SeenFile] = field(default_factory=list)
    accounts: set[str] = field(default_factory=set)
    regions: set[str] = field(default_factory=set)
    days: set[str] = field(default_factory=set)
    # file names per (account, Region, date folder): the last day records start on
    names: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return describe_kind(self.layout, self.hourly, self.file_format)


def describe_kind(layout: Layout, hourly: bool, file_format: FileFormat) -> str:
    name = "AWS default" if layout is Layout.AWS else "Hive-compatible"
    return f"{name} prefixes, {'hourly' if hourly else 'daily'} partitions, {file_format.value} files"


def _flags(layout: Layout, hourly: bool, file_format: FileFormat) -> str:
    return f"--layout {layout.value} {'--hourly' if hourly else '--daily'} --file-format {file_format.value}"


def detect(given: dict[str, Any], settings: AthenaSettings | None = None) -> Detection:
    """The TableSpec the files under given['location'] describe, with what was found.

    `given` holds the table options a user set (flags over the config file); they must agree with
    the files. Options the files cannot tell (database, table, partitioning, start date) pass through.
    """
    base = TableSpec.from_dict({k: v for k, v in given.items() if k in _PASS_THROUGH or k == "location"})
    lister = _Lister(base, settings, hint="check the location, the Region and your credentials")
    seen = _walk_local(base) if not base.is_s3 else _walk_s3(lister)
    kinds = _classify(base, seen)
    if not kinds:
        return _nothing_found(base, given, seen)
    kind, others = _choose(base, kinds, given)
    findings = [Finding("files", _files_sentence(base, kind))]
    for other in others:
        findings.append(
            Finding(
                "files",
                f"also {len(other.files):,} with {other.label}: not part of this table "
                f"(for them: {_flags(other.layout, other.hourly, other.file_format)})",
                warning=True,
            )
        )
    accounts = tuple(given.get("accounts") or ()) or tuple(sorted(kind.accounts))
    regions = tuple(given.get("regions") or ()) or tuple(sorted(kind.regions))
    findings.append(Finding("accounts", _list_sentence("accounts", accounts, kind.accounts, given)))
    findings.append(Finding("Regions", _list_sentence("regions", regions, kind.regions, given)))
    if kind.file_format is FileFormat.TEXT:
        groups, bad = text_formats(kind.files, lister, every=not base.is_s3)
    else:
        groups, bad = parquet_formats(kind.files, lister)
    for path, reason in sorted(bad.items())[:5]:
        findings.append(Finding("unreadable", f"cannot read {path}: {reason}", warning=True))
    if len(bad) > 5:
        findings.append(Finding("unreadable", f"… and {len(bad) - 5} more unreadable file(s)", warning=True))
    spec_fields, format_findings = choose_fields(base, kind.file_format, groups, given)
    findings += format_findings
    spec = replace(
        base,
        layout=kind.layout,
        hourly=kind.hourly,
        file_format=kind.file_format,
        fields=spec_fields,
        accounts=accounts,
        regions=regions,
    )
    days = sorted(_day(d) for d in kind.days)
    return Detection(spec, findings, len(kind.files), groups, days[0] if days else None, _last_day(kind))


_PASS_THROUGH = ("database", "table", "partitioning", "start_date")


# --- walking ------------------------------------------------------------------------------------


def _walk_local(base: TableSpec) -> list[SeenFile]:
    root = Path(base.location)
    if not root.exists():
        raise LocationError(f"{base.location} does not exist", hint="give the folder that holds AWSLogs/")
    if not root.is_dir():
        raise LocationError(f"{base.location} is not a folder")
    logs = root / "AWSLogs"
    seen = []
    for folder, _dirs, names in os.walk(logs):
        for name in names:
            if name.startswith((".", "_")) or not name.endswith(tuple(_SUFFIXES)):
                continue
            path = os.path.join(folder, name)
            rel = Path(path).relative_to(root).as_posix()
            seen.append(SeenFile(rel, path, os.stat(path).st_mtime))
    return seen


def _walk_s3(lister: _Lister) -> list[SeenFile]:
    """The files of the newest date folder of each account and Region, by delimiter listings."""
    seen = []
    for account in lister.children("AWSLogs/"):
        layout = next((lay for lay, pattern in _TOP_ACCOUNT.items() if pattern.match(account)), None)
        if layout is None:
            continue
        service = f"AWSLogs/{account}/{_SERVICE[layout]}/"
        for region in lister.children(service):
            rel = f"{service}{region}/"
            while subdirs := lister.children(rel):
                rel += max(subdirs) + "/"
            for name, mtime, path in lister.files(rel):
                if name.endswith(tuple(_SUFFIXES)) and not name.startswith((".", "_")):
                    seen.append(SeenFile(rel + name, path, mtime))
    return seen


# --- classifying --------------------------------------------------------------------------------


def _classify(base: TableSpec, seen: list[SeenFile]) -> list[_Kind]:
    """The files grouped by the layout and partitioning their paths match, and their suffix."""
    patterns = []
    for layout in Layout:
        for hourly in (False, True):
            probe = replace(base, layout=layout, hourly=hourly)
            patterns.append((layout, hourly, re.compile(probe.path_regex())))
    kinds: dict[tuple[Layout, bool, FileFormat], _Kind] = {}
    for item in seen:
        file_format = next(f for suffix, f in _SUFFIXES.items() if item.rel.endswith(suffix))
        for layout, hourly, pattern in patterns:
            match = pattern.search(item.rel)
            if match is None:
                continue
            kind = kinds.setdefault((layout, hourly, file_format), _Kind(layout, hourly, file_format))
            kind.files.append(item)
            kind.accounts.add(match.group(ACCOUNT))
            kind.regions.add(match.group(REGION))
            kind.days.add(match.group(DATE))
            key = (match.group(ACCOUNT), match.group(REGION), match.group(DATE))
            kind.names.setdefault(key, []).append(item.rel.rsplit("/", 1)[-1])
            break
    return sorted(kinds.values(), key=lambda k: -len(k.files))


def _choose(base: TableSpec, kinds: list[_Kind], given: dict[str, Any]) -> tuple[_Kind, list[_Kind]]:
    """The kind the given options allow with the most files, and the others found."""
    wanted = {
        "layout": given.get("layout"),
        "hourly": given.get("hourly"),
        "file_format": given.get("file_format"),
    }

    def allowed(kind: _Kind) -> bool:
        return (
            (wanted["layout"] is None or kind.layout.value == str(wanted["layout"]))
            and (wanted["hourly"] is None or kind.hourly == bool(wanted["hourly"]))
            and (wanted["file_format"] is None or kind.file_format.value == str(wanted["file_format"]))
        )

    fitting = [k for k in kinds if allowed(k)]
    if not fitting:
        said = ", ".join(
            f"--{k.replace('_', '-')} {v}" if k != "hourly" else ("--hourly" if v else "--daily")
            for k, v in wanted.items()
            if v is not None
        )
        found = "; ".join(f"{len(k.files):,} with {k.label}" for k in kinds)
        best = kinds[0]
        raise LocationError(
            f"the files under {base.table_location} do not match {said}: found {found}",
            hint=f"drop those options to take what the files hold, or pass "
            f"{_flags(best.layout, best.hourly, best.file_format)}",
        )
    return fitting[0], [k for k in kinds if k is not fitting[0]]


def _day(folder: str) -> date:
    """The day of a date partition's folders: '2024/05/01' or 'year=2024/month=05/day=01'."""
    year, month, day = (int(n) for n in re.findall(r"\d+", folder)[:3])
    return date(year, month, day)


def _last_day(kind: _Kind) -> date | None:
    """The last day records start on, by coverage's rule (as `flowsql sample` and the empty-window
    note count days): per account and Region, its newest date folder, or the day before when that
    folder holds only the files of the minutes after midnight."""
    newest: dict[tuple[str, str], str] = {}
    for account, region, folder in kind.names:
        held = newest.get((account, region))
        if held is None or _day(folder) > _day(held):
            newest[(account, region)] = folder
    days = [last_record_day(_day(f), kind.names[(a, r, f)]) for (a, r), f in newest.items()]
    return max(days, default=None)


def _files_sentence(base: TableSpec, kind: _Kind) -> str:
    days = sorted(_day(d) for d in kind.days)
    if not base.is_s3:
        last = _last_day(kind)
        span = f", {days[0]} to {last}" if days and last else ""
        return f"{len(kind.files):,} under {base.table_location}{span}: {kind.label}"
    newest = f" (newest folder {days[-1]})" if days else ""
    return f"under {base.table_location}{newest}: {kind.label}"


def _list_sentence(key: str, chosen: tuple[str, ...], found: set[str], given: dict[str, Any]) -> str:
    extra = sorted(found - set(chosen)) if given.get(key) else []
    tail = f" (the files also hold {', '.join(extra)}: add them to --{key} to include them)" if extra else ""
    return ", ".join(chosen) + tail


def _nothing_found(base: TableSpec, given: dict[str, Any], seen: list[SeenFile]) -> Detection:
    """No flow-log file where the layouts put them: an error, except on S3 with everything given."""
    where = base.table_location
    if seen:
        raise LocationError(
            f"{len(seen):,} .log.gz/.log.parquet file(s) under {where}, but none where AWS puts "
            f"flow logs (AWSLogs/{{account}}/vpcflowlogs/{{region}}/{{yyyy}}/{{mm}}/{{dd}}/ or the "
            "Hive-compatible aws-account-id=…/aws-service=vpcflowlogs/… folders)",
            hint=f"point --location at the folder that holds AWSLogs/, e.g. {seen[0].rel}",
        )
    if base.is_s3 and given.get("accounts") and given.get("regions"):
        spec = TableSpec.from_dict(given)
        return Detection(
            spec,
            [
                Finding(
                    "files",
                    f"no flow-log files under {where} yet: the table is declared from the options given",
                    warning=True,
                )
            ],
        )
    hint = (
        "generate some with `flowsql sample DIR`, or check --location"
        if not base.is_s3
        else "check --location; for a flow log with no deliveries yet pass --accounts and --regions"
    )
    raise LocationError(
        f"found no flow-log files under {where}: it holds no flow logs yet, or they sit under another prefix",
        hint=hint,
    )
