"""Delivery controls: each S3 flow log reports successful delivery and its objects arrive, and the
period has no hour without objects for an account and Region that should be delivering."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flowsql.compliance.evidence_ec2 import FlowLogInfo
from flowsql.compliance.evidence_records import RecordHours
from flowsql.compliance.evidence_s3 import Listing, LogObject
from flowsql.compliance.mappings import MAPPINGS
from flowsql.compliance.model import Result, Status

HOUR = timedelta(hours=1)
# AWS publishes a file about every 5 minutes, late by some minutes: an hour is judged once it is
# this far in the past.
SETTLE = timedelta(minutes=15)


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


@dataclass
class Expected:
    """An account and Region that should deliver to a location from `since` on."""

    location: str
    account: str
    region: str
    since: datetime
    flow_logs: list[str] = field(default_factory=list)


def hours_of(start: datetime, end: datetime, now: datetime) -> list[datetime]:
    """The whole hours of the period that can be judged now."""
    last = min(end, now - SETTLE)
    hours, hour = [], _hour(start)
    while hour + HOUR <= last:
        hours.append(hour)
        hour += HOUR
    return hours


def status(
    flow_logs: Sequence[FlowLogInfo], listings: dict[str, Listing], until: datetime | None = None
) -> Result:
    """`until`: the last moment objects can be expected by (the period's end, or now less the
    delivery delay); a flow log created after it is too recent to judge."""
    control, title = "delivery.status", "S3 flow logs deliver (DeliverLogsStatus, newest object)"
    evidence, failures, warnings = [], [], []
    s3_logs = [fl for fl in flow_logs if fl.active and fl.destination_type == "s3"]
    for fl in s3_logs:
        listing = listings.get(fl.location or "")
        mine = [o for o in listing.objects if o.flow_log == fl.id] if listing else []
        newest = max(mine, key=lambda o: (o.window, o.modified), default=None)
        line = (
            f"{fl.id} ({fl.region}) → {fl.location}: "
            f"DeliverLogsStatus {fl.deliver_status or '(not reported)'}"
        )
        if fl.deliver_error:
            line += f" ({fl.deliver_error})"
        if newest is not None:
            line += (
                f"; newest object {_fmt(newest.window)} UTC (modified {_fmt(newest.modified)}), "
                f"{len(mine)} object(s) in the period"
            )
        elif listing is not None and listing.error:
            line += f"; objects not listed: {listing.error}"
        else:
            line += "; no object in the period"
        evidence.append(line)
        if fl.deliver_status == "FAILED":
            failures.append(f"{fl.id} reports FAILED{': ' + fl.deliver_error if fl.deliver_error else ''}")
        elif listing is not None and listing.error:
            failures.append(f"{fl.id}: objects could not be listed")
        elif newest is None and until is not None and fl.created is not None and fl.created > until:
            warnings.append(f"{fl.id} was created {_fmt(fl.created)} UTC, too late in the period to judge")
        elif newest is None:
            failures.append(f"{fl.id} has no object in the period")
        elif fl.deliver_status is None:
            warnings.append(f"{fl.id} reports no DeliverLogsStatus")
    other = [fl for fl in flow_logs if fl.active and fl.destination_type != "s3"]
    for fl in other:
        evidence.append(
            f"{fl.id} ({fl.region}) → {fl.destination_name} {fl.destination or ''}: DeliverLogsStatus "
            f"{fl.deliver_status or '(not reported)'}; objects not checked (not an S3 destination)"
        )
        if fl.deliver_status == "FAILED":
            failures.append(f"{fl.id} reports FAILED{': ' + fl.deliver_error if fl.deliver_error else ''}")
    if failures:
        return Result(
            control,
            title,
            Status.FAIL,
            "; ".join(failures),
            evidence,
            "check the destination exists and its bucket policy lets delivery.logs.amazonaws.com "
            "s3:PutObject under AWSLogs/ (CloudWatch Logs: the flow log's IAM role), then watch "
            "DeliverLogsStatus return to SUCCESS",
            MAPPINGS[control],
        )
    if not s3_logs and not other:
        return Result(
            control,
            title,
            Status.WARN,
            "no active flow log to check",
            evidence,
            "see coverage.vpcs",
            MAPPINGS[control],
        )
    if warnings:
        return Result(control, title, Status.WARN, "; ".join(warnings), evidence, None, MAPPINGS[control])
    return Result(
        control,
        title,
        Status.PASS,
        f"{len(s3_logs)} S3 flow log(s) deliver, each with objects in the period",
        evidence,
        None,
        MAPPINGS[control],
    )


def _runs(hours: Sequence[datetime]) -> list[tuple[datetime, datetime]]:
    """Consecutive hours as (first, end) pairs."""
    runs: list[tuple[datetime, datetime]] = []
    for hour in hours:
        if runs and runs[-1][1] == hour:
            runs[-1] = (runs[-1][0], hour + HOUR)
        else:
            runs.append((hour, hour + HOUR))
    return runs


def gaps(
    expected: Sequence[Expected],
    listings: dict[str, Listing],
    start: datetime,
    end: datetime,
    now: datetime,
    records: RecordHours | None = None,
    note: str = "",
) -> Result:
    control, title = "delivery.gaps", "No delivery gap: every hour of the period has objects"
    evidence, failures = [], []
    judged = hours_of(start, end, now)
    per_pair: dict[tuple[str, str, str], Counter[datetime]] = {}
    per_log: dict[tuple[str, str], Counter[datetime]] = {}
    delivering: Counter[datetime] = Counter()
    for location, listing in listings.items():
        for obj in listing.objects:
            hour = _hour(obj.window)
            per_pair.setdefault((location, obj.account, obj.region), Counter())[hour] += 1
            if obj.flow_log:
                per_log.setdefault((location, obj.flow_log), Counter())[hour] += 1
            delivering[hour] += 1
    for exp in expected:
        listing = listings.get(exp.location)
        hours = [h for h in judged if h >= exp.since]
        where = f"{exp.account} {exp.region} under {exp.location}"
        if listing is not None and listing.error:
            evidence.append(f"{where}: objects not listed: {listing.error}")
            failures.append(f"{where}: not listed")
            continue
        counts = per_pair.get((exp.location, exp.account, exp.region), Counter())
        missing = [h for h in hours if not counts[h]]
        total = sum(counts[h] for h in hours)
        line = f"{where}: {len(hours)} hour(s) judged, {total} object(s)"
        if exp.since > _hour(start):
            line += f" (from {_fmt(exp.since)}, when its first flow log was created)"
        evidence.append(
            line + (f", {len(missing)} hour(s) without objects" if missing else ", no hour without objects")
        )
        for first, stop in _runs(missing):
            others = sum(delivering[h] for h in _span(first, stop))
            why = (
                f"other accounts or Regions delivered {others} object(s) meanwhile: a stopped delivery"
                if others
                else "no object anywhere in the location meanwhile: delivery stopped everywhere, "
                "or nothing was logging"
            )
            evidence.append(
                f"{exp.account} {exp.region}: gap {_fmt(first)} → {_fmt(stop)} UTC ({_hours(first, stop)}) "
                f"with no object; {why}"
            )
            failures.append(f"{exp.account} {exp.region}: {_hours(first, stop)} from {_fmt(first)}")
        # A flow log silent while another of the same account and Region delivers.
        for fl_id in exp.flow_logs:
            mine = per_log.get((exp.location, fl_id), Counter())
            silent = [h for h in hours if counts[h] and not mine[h]]
            for first, stop in _runs(silent):
                evidence.append(
                    f"{fl_id}: no object {_fmt(first)} → {_fmt(stop)} UTC ({_hours(first, stop)}) while "
                    f"other flow logs of {exp.account} {exp.region} delivered: a stopped delivery"
                )
                failures.append(f"{fl_id}: {_hours(first, stop)} from {_fmt(first)}")
    warnings: list[str] = []
    if records is not None:
        record_lines, warnings = _record_evidence(expected, judged, records)
        evidence.extend([note, *record_lines] if note else record_lines)
    else:
        evidence.append(
            "a quiet interface is reported with NODATA records, so an hour with no object at all "
            f"points to a stopped delivery; {note or 'records were not read (object names only)'}"
        )
    fix = (
        "for each gap, check the flow log still exists and is ACTIVE, its DeliverLogsStatus, and "
        "changes to the bucket policy or KMS key in that hour (CloudTrail); a gap cannot be filled "
        "afterwards: record it and its cause for the audit"
    )
    if failures:
        shown = failures[:5] + ([f"… {len(failures) - 5} more"] if len(failures) > 5 else [])
        return Result(
            control,
            title,
            Status.FAIL,
            f"{len(failures)} delivery gap(s): " + "; ".join(shown),
            evidence,
            fix,
            MAPPINGS[control],
        )
    if not expected:
        return Result(
            control,
            title,
            Status.WARN,
            "no S3 destination to check for gaps",
            evidence,
            "see coverage.vpcs and delivery.status",
            MAPPINGS[control],
        )
    if warnings:
        summary = "no hour without objects, but " + "; ".join(warnings)
        return Result(control, title, Status.WARN, summary, evidence, None, MAPPINGS[control])
    return Result(
        control,
        title,
        Status.PASS,
        f"every judged hour of {len(expected)} account/Region destination(s) has objects",
        evidence,
        None,
        MAPPINGS[control],
    )


def _record_evidence(
    expected: Sequence[Expected], judged: Sequence[datetime], records: RecordHours
) -> tuple[list[str], list[str]]:
    """Quiet hours (only NODATA), SKIPDATA hours, and interfaces silent inside their own activity
    while others of the same account and Region logged."""
    evidence, warnings = [], []
    for exp in expected:
        pair = (exp.account, exp.region)
        hours = [h for h in judged if h >= exp.since]
        by_hour = records.pairs.get(pair, {})
        quiet = [h for h in hours if h in by_hour and by_hour[h].nodata and not by_hour[h].ok]
        skipped = [h for h in hours if h in by_hour and by_hour[h].skipdata]
        evidence.append(
            f"{exp.account} {exp.region} records: {len(quiet)} hour(s) held only NODATA records "
            f"(quiet interfaces: logging worked, there was no traffic); {len(skipped)} hour(s) held "
            "SKIPDATA records"
        )
        for first, stop in _runs(skipped):
            evidence.append(
                f"SKIPDATA {_fmt(first)} → {_fmt(stop)} UTC: "
                f"AWS skipped records in {exp.account} {exp.region}"
            )
            warnings.append(f"SKIPDATA records in {exp.account} {exp.region} from {_fmt(first)}")
        holes: list[tuple[int, str]] = []
        for (account, region, eni), logged in sorted(records.interfaces.items()):
            if (account, region) != pair:
                continue
            inside = [h for h in hours if min(logged) <= h <= max(logged)]
            silent = [h for h in inside if h not in logged and h in by_hour]
            for first, stop in _runs(silent):
                holes.append(
                    (
                        -int((stop - first) / HOUR),
                        f"{eni} {_fmt(first)} → {_fmt(stop)} UTC ({_hours(first, stop)})",
                    )
                )
        if holes:
            holes.sort()
            shown = ", ".join(text for _, text in holes[:5]) + (
                f", … {len(holes) - 5} more" if len(holes) > 5 else ""
            )
            evidence.append(
                f"{exp.account} {exp.region}: {len(holes)} stretch(es) where an interface wrote no "
                "record, not even NODATA, between its own records while others logged (the records "
                "cannot tell an idle interface from one whose records stopped; an interface detached "
                f"meanwhile also shows it): {shown}"
            )
    return evidence, warnings


def _span(first: datetime, stop: datetime) -> list[datetime]:
    out, hour = [], first
    while hour < stop:
        out.append(hour)
        hour += HOUR
    return out


def _hours(first: datetime, stop: datetime) -> str:
    n = int((stop - first) / HOUR)
    return f"{n} hour" + ("" if n == 1 else "s")


def status_local(listing: Listing) -> Result:
    """A local folder: the newest object of each flow log named in the files (no DeliverLogsStatus)."""
    control, title = "delivery.status", "S3 flow logs deliver (DeliverLogsStatus, newest object)"
    evidence = ["DeliverLogsStatus needs AWS (EC2 DescribeFlowLogs); judged here from the files alone"]
    newest: dict[str, LogObject] = {}
    for obj in listing.objects:
        key = obj.flow_log or f"{obj.account} {obj.region}"
        if key not in newest or (obj.window, obj.modified) > (newest[key].window, newest[key].modified):
            newest[key] = obj
    counts = Counter(o.flow_log or f"{o.account} {o.region}" for o in listing.objects)
    for key in sorted(newest):
        obj = newest[key]
        evidence.append(
            f"{key} ({obj.account} {obj.region}): newest object {_fmt(obj.window)} UTC, "
            f"{counts[key]} object(s) in the period"
        )
    if listing.error:
        return Result(control, title, Status.FAIL, listing.error, evidence, None, MAPPINGS[control])
    if not newest:
        return Result(
            control,
            title,
            Status.FAIL,
            f"no flow-log object in the period under {listing.location}",
            evidence,
            "check the folder and the period (--start/--end)",
            MAPPINGS[control],
        )
    return Result(
        control,
        title,
        Status.PASS,
        f"{len(newest)} flow log(s) have objects in the period",
        evidence,
        None,
        MAPPINGS[control],
    )
