"""The Queryable control: the Athena/Glue table exists and reads what the flow logs write (the same
columns in the same order, the same location and layout). For a local folder: the files are there
in the table's layout and the newest one's header matches the table's columns.

Beyond the flow log's declared format (`differences`), `flowsql doctor`'s checks of the table against
its objects are added by `with_doctor`: its errors fail the control, its warnings warn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flowsql.compliance.evidence_ec2 import FlowLogInfo
from flowsql.compliance.mappings import MAPPINGS
from flowsql.compliance.model import Result, Status
from flowsql.errors import FlowsqlError, LogFormatError
from flowsql.tables import fields as flowfields
from flowsql.tables.spec import TableSpec

CONTROL, TITLE = "queryable.table", "The Athena/Glue table exists and matches the flow log"


def differences(table: dict[str, Any], flow_log: FlowLogInfo) -> list[str]:
    """How a Glue table differs from what the flow log writes: columns (order matters for text
    tables), location, Hive-compatible prefixes."""
    sd = table.get("StorageDescriptor", {})
    have = [c["Name"] for c in sd.get("Columns", [])]
    try:
        fields = flowfields.parse_log_format(flow_log.log_format) if flow_log.log_format else None
    except LogFormatError as exc:
        return [f"the flow log's format cannot be read: {exc.message}"]
    names = [f.name for f in fields] if fields else list(flowfields.DEFAULT_FORMAT)
    want = [flowfields.column_name(n) for n in names]
    out = []
    if have != want:
        if sorted(have) == sorted(want):
            out.append("columns: the same names in another order (a text table reads by position)")
        else:
            extra = [c for c in have if c not in want]
            lacking = [c for c in want if c not in have]
            out.append(
                "columns differ from the flow log's format"
                + (f"; the table lacks {', '.join(lacking)}" if lacking else "")
                + (f"; the flow log does not write {', '.join(extra)}" if extra else "")
            )
    location = sd.get("Location", "")
    expected = f"{flow_log.location}AWSLogs/"
    if location.rstrip("/") + "/" != expected:
        out.append(f"location: the table reads {location}, the flow log writes under {expected}")
    template = table.get("Parameters", {}).get("storage.location.template", "")
    if template and ("aws-account-id=" in template) != flow_log.hive:
        out.append("layout: the table and the flow log disagree on Hive-compatible prefixes")
    return out


def glue(
    table: dict[str, Any] | None, name: str, flow_logs: Sequence[FlowLogInfo], error: str | None = None
) -> Result:
    """The table as Glue answers (None: no such table) against the S3 flow logs writing where it reads."""
    mapping = MAPPINGS[CONTROL]
    if error:
        return Result(
            CONTROL,
            TITLE,
            Status.FAIL,
            f"the table {name} could not be read: {error}",
            [],
            "grant glue:GetTable, or check --database/--table and --region",
            mapping,
        )
    if table is None:
        return Result(
            CONTROL,
            TITLE,
            Status.FAIL,
            f"no table {name} in the Glue Data Catalog",
            [],
            "create it with `flowsql init --location s3://BUCKET/PREFIX` (give --log-format as the "
            "flow log's, or --detect-format)",
            mapping,
        )
    location = table.get("StorageDescriptor", {}).get("Location", "")
    evidence = [
        f"table {name}: location {location}, "
        f"{len(table.get('StorageDescriptor', {}).get('Columns', []))} columns"
    ]
    s3_logs = [fl for fl in flow_logs if fl.active and fl.destination_type == "s3"]
    writers = [fl for fl in s3_logs if f"{fl.location}AWSLogs/" == location.rstrip("/") + "/"]
    if not writers:
        where = ", ".join(sorted({f"{fl.location}AWSLogs/" for fl in s3_logs})) or "no S3 destination"
        return Result(
            CONTROL,
            TITLE,
            Status.FAIL,
            f"the table reads {location}, where no flow log writes (flow logs write to {where})",
            evidence,
            "point the table at the flow logs' location: `flowsql init --location ... --replace`",
            mapping,
        )
    problems = []
    for fl in writers:
        found = differences(table, fl)
        evidence.append(f"{fl.id}: " + ("matches the table" if not found else "; ".join(found)))
        problems.extend(f"{fl.id}: {d}" for d in found)
    if problems:
        return Result(
            CONTROL,
            TITLE,
            Status.FAIL,
            "; ".join(problems),
            evidence,
            "recreate the table from the flow log: "
            "`flowsql init --location ... --log-format '...' --replace`",
            mapping,
        )
    return Result(
        CONTROL,
        TITLE,
        Status.PASS,
        f"{name} reads what {len(writers)} flow log(s) write",
        evidence,
        None,
        mapping,
    )


def local(spec: TableSpec) -> Result:
    """A local folder is queried through views built from the table options: check they fit the files."""
    from flowsql.tables import discovery

    mapping = MAPPINGS[CONTROL]
    try:
        count = discovery.check_local(spec)
        discovery.check_header(spec)
    except FlowsqlError as exc:
        return Result(
            CONTROL,
            TITLE,
            Status.FAIL,
            exc.message,
            [f"table options: {spec.location}, layout {spec.layout.value}, {spec.file_format.value}"],
            exc.hint or "fix the table options (flowsql init --location DIR)",
            mapping,
        )
    newest = discovery.newest_file(spec, suffix=spec.file_suffix)
    evidence = [
        f"{count} {spec.file_format.value} file(s) under {spec.table_location} "
        f"in the {spec.layout.value} layout",
        f"newest file {newest}: header matches the table's {len(spec.fields)} columns"
        if spec.file_format.value == "text"
        else f"newest file {newest}",
    ]
    return Result(
        CONTROL,
        TITLE,
        Status.PASS,
        "the local table's views read the folder's files",
        evidence,
        None,
        mapping,
    )


def with_doctor(result: Result, report: Any) -> Result:
    """The control with `flowsql doctor`'s findings (a doctor Report) added as evidence."""
    for finding in report.findings:
        shown = " / ".join(" ".join(item.split()) for item in finding.evidence)
        result.evidence.append(
            f"doctor {finding.severity} {finding.code}: {finding.message}" + (f" ({shown})" if shown else "")
        )
    errors = [f for f in report.findings if f.severity == "error"]
    warnings = [f for f in report.findings if f.severity == "warning"]
    if errors:
        found = "doctor: " + "; ".join(f"{f.code}: {f.message}" for f in errors)
        result.summary = found if result.status is not Status.FAIL else f"{result.summary}; {found}"
        result.status = Status.FAIL
        result.fix = result.fix or errors[0].fix or "run `flowsql doctor` for the details"
    elif warnings and result.status is Status.PASS:
        result.status = Status.WARN
        result.summary += "; doctor: " + "; ".join(f"{f.code}: {f.message}" for f in warnings)
    if not report.findings:
        result.evidence.append(f"doctor: the table matches its {report.objects} object(s)")
    return result


def doctor_report(subject: Any, settings: Any, now: float) -> tuple[Any | None, str | None]:
    """`flowsql doctor`'s examination of a table, or None with the reason it could not run."""
    from flowsql.tables import doctor

    try:
        return doctor.examine(subject, settings, now=now), None
    except FlowsqlError as exc:
        return None, f"doctor could not examine the table: {exc.message}"
