"""One compliance report: collect the evidence (EC2, S3, Glue; or a local folder) and run every
control over it, in a fixed order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from flowsql.compliance import controls_bucket as bucket
from flowsql.compliance import controls_coverage as coverage
from flowsql.compliance import controls_delivery as delivery
from flowsql.compliance import controls_table as table
from flowsql.compliance import evidence_ec2, evidence_logs, evidence_records, evidence_s3
from flowsql.compliance.controls_bucket import Target
from flowsql.compliance.controls_delivery import Expected
from flowsql.compliance.mappings import MAPPINGS
from flowsql.compliance.model import Report, Result, Status
from flowsql.config import AthenaSettings
from flowsql.errors import FlowsqlError
from flowsql.investigations.window import TimeWindow
from flowsql.tables.spec import Layout, TableSpec

UTC = timezone.utc
MAX_PERIOD = timedelta(days=93)
TITLES = {
    "coverage.vpcs": "Every VPC has a flow log",
    "coverage.traffic_type": "Flow logs capture ALL traffic (accepted and rejected)",
    "coverage.format": "Destination and log format of each flow log",
    "delivery.status": "S3 flow logs deliver (DeliverLogsStatus, newest object)",
    "delivery.gaps": "No delivery gap: every hour of the period has objects",
    "retention.lifecycle": "Lifecycle rules keep flow logs for the required retention",
    "protection.versioning": "Versioning or Object Lock protects flow-log objects",
    "protection.encryption": "Default encryption on the flow-log bucket",
    "protection.public_access": "Block Public Access is on for the flow-log bucket",
    "protection.policy": "The bucket policy grants no public or cross-account access",
    "queryable.table": "The Athena/Glue table exists and matches the flow log",
}
BUCKET_CONTROLS = (
    "retention.lifecycle",
    "protection.versioning",
    "protection.encryption",
    "protection.public_access",
    "protection.policy",
)


def period(window: dict[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """The report's period from start/end/last by the window rule (the last 24 hours by default)."""
    found = TimeWindow.parse(
        window.get("start"), window.get("end"), last=window.get("last"), max_span=MAX_PERIOD, now=now
    )
    return found.start, found.end


def investigation_needs() -> dict[str, tuple[str, ...]]:
    """Packaged investigation name -> the columns it reads."""
    from flowsql.investigations import library

    good, _bad = library.load().load_all()
    return {inv.name: tuple(inv.fields) for inv in good}


def not_run(control: str, why: str) -> Result:
    return Result(control, TITLES[control], Status.NOT_RUN, why, [], None, MAPPINGS[control])


def aws_report(
    *,
    spec: TableSpec | None,
    settings: AthenaSettings,
    regions: Sequence[str],
    accounts: Sequence[str] = (),
    start: datetime,
    end: datetime,
    retention_days: int | None,
    now: datetime,
    session: Any = None,
    assume_role: str | None = None,
    records: bool = False,
) -> Report:
    """Every control, from EC2, S3 and Glue, in the Regions given: for the credentials' account, and
    for the other accounts given through `assume_role` (the bucket and table are read as the caller)."""
    from flowsql import aws

    sess = session or aws.session(settings)
    account = evidence_ec2.caller_account(settings, sess)
    inventories = evidence_ec2.collect_accounts(
        accounts, regions, settings, session=sess, caller=account, role=assume_role
    )
    flow_logs = [fl for inv in inventories for fl in inv.flow_logs]
    home = settings.region or sess.region_name or regions[0]
    s3 = sess.client("s3", region_name=home, endpoint_url=settings.endpoint_url or None)

    expected, specs = _destinations(inventories, spec, accounts or (account,), regions, start)
    listings = {loc: evidence_s3.list_objects(sp, start, end, s3) for loc, sp in specs.items()}
    targets = sorted({Target(*aws.split_s3(loc)) for loc in specs}, key=lambda t: (t.bucket, t.prefix))
    control = evidence_s3.s3control_client(settings, sess)
    read: dict[str, evidence_s3.BucketSettings] = {}
    for target in targets:
        if target.bucket not in read:
            read[target.bucket] = evidence_s3.bucket_settings(
                s3, target.bucket, s3control=control, account=account
            )
    pairs = [(t, read[t.bucket]) for t in targets]

    results = [
        coverage.with_skipped(coverage.vpcs(inventories), inventories),
        coverage.with_skipped(coverage.traffic_type(inventories), inventories),
        coverage.with_skipped(coverage.log_format(inventories, investigation_needs()), inventories),
        delivery.status(flow_logs, listings, until=min(end, now) - delivery.SETTLE),
        _gaps_with_records(expected, listings, start, end, now, spec, settings, records),
    ]
    # CloudWatch Logs flow logs of the caller's account (another account's groups need its session).
    groups = evidence_logs.retention_of(
        [f for f in flow_logs if _owner(inventories, f) == account], settings, sess
    )
    if pairs or groups:
        results.append(bucket.retention(pairs, retention_days, groups))
    if pairs:
        own = sorted({account, *accounts})
        results += [
            bucket.versioning(pairs),
            bucket.encryption(pairs),
            bucket.public_access(pairs),
            bucket.policy(pairs, own),
        ]
    missing = [c for c in BUCKET_CONTROLS if c not in {r.id for r in results}]
    results += [
        Result(
            c, TITLES[c], Status.WARN, "no flow log delivers to S3: no bucket to check", [], None, MAPPINGS[c]
        )
        for c in missing
    ]
    results.append(_glue_table(spec, settings, home, flow_logs, now))
    results.sort(key=lambda r: list(TITLES).index(r.id))
    all_accounts = sorted({account, *accounts})
    return Report(
        source="AWS",
        period_start=start,
        period_end=end,
        generated_at=now,
        accounts=tuple(all_accounts),
        regions=tuple(regions),
        retention_days=retention_days,
        results=results,
    )


def _owner(inventories: Sequence[evidence_ec2.RegionInventory], flow_log: evidence_ec2.FlowLogInfo) -> str:
    return next(inv.account for inv in inventories if flow_log in inv.flow_logs)


def _gaps_with_records(
    expected: Sequence[Expected],
    listings: dict[str, evidence_s3.Listing],
    start: datetime,
    end: datetime,
    now: datetime,
    spec: TableSpec | None,
    settings: AthenaSettings,
    records: bool,
) -> Result:
    """Gaps from the object listing; with `records`, also from the table's records on Athena."""
    if not records:
        return delivery.gaps(expected, listings, start, end, now)
    if spec is None or not spec.is_s3:
        note = "records not counted: --records needs the table's s3:// location (--location or the config)"
        return delivery.gaps(expected, listings, start, end, now, note=note)
    counted, note = evidence_records.record_hours(
        spec, start, end, MAX_PERIOD.days, engine="athena", settings=settings
    )
    return delivery.gaps(expected, listings, start, end, now, records=counted, note=note)


def _destinations(
    inventories: Sequence[evidence_ec2.RegionInventory],
    spec: TableSpec | None,
    accounts: Sequence[str],
    regions: Sequence[str],
    start: datetime,
) -> tuple[list[Expected], dict[str, TableSpec]]:
    """Who should deliver where: each S3 flow log's account and Region under its location (from the
    hour after it was created), and the configured location's accounts and Regions."""
    by_key: dict[tuple[str, str, str], Expected] = {}
    hive: dict[str, bool] = {}
    first_hour = start.replace(minute=0, second=0, microsecond=0)
    for inv in inventories:
        for fl in inv.flow_logs:
            if not (fl.active and fl.location):
                continue
            created = fl.created.astimezone(UTC) if fl.created else None
            since = first_hour
            if created and created > first_hour:
                since = created.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            key = (fl.location, inv.account, inv.region)
            exp = by_key.setdefault(key, Expected(fl.location, inv.account, inv.region, since))
            exp.since = min(exp.since, since)
            exp.flow_logs.append(fl.id)
            hive[fl.location] = hive.get(fl.location, False) or fl.hive
    if spec is not None and spec.is_s3:
        for acct in spec.accounts or accounts:
            for region in spec.regions or regions:
                key = (spec.location, acct, region)
                by_key.setdefault(key, Expected(spec.location, acct, region, first_hour))
        hive.setdefault(spec.location, spec.layout is Layout.HIVE)
    specs: dict[str, TableSpec] = {}
    for loc in sorted({k[0] for k in by_key}):
        pairs = [k for k in by_key if k[0] == loc]
        specs[loc] = TableSpec(
            location=loc,
            layout=Layout.HIVE if hive.get(loc) else Layout.AWS,
            accounts=tuple(sorted({a for _, a, _ in pairs})),
            regions=tuple(sorted({r for _, _, r in pairs})),
        )
    return [by_key[k] for k in sorted(by_key)], specs


def _glue_table(
    spec: TableSpec | None, settings: AthenaSettings, region: str, flow_logs: Any, now: datetime
) -> Result:
    from flowsql.tables import doctor
    from flowsql.tables.catalog import GlueCatalog

    database = spec.database if spec else "vpc_flow_logs"
    name = spec.table if spec else "flow_logs"
    import botocore.exceptions

    where = replace(settings, region=settings.region or region)
    try:
        catalog = GlueCatalog(where)
        found = catalog.get_table(database, name)
        partitions = None
        if found is not None and found.get("Parameters", {}).get("projection.enabled", "").lower() != "true":
            partitions = catalog.partitions(database, name)
    except FlowsqlError as exc:
        return table.glue(None, f"{database}.{name}", flow_logs, error=exc.message)
    except botocore.exceptions.BotoCoreError as exc:
        return table.glue(None, f"{database}.{name}", flow_logs, error=str(exc))
    result = table.glue(found, f"{database}.{name}", flow_logs)
    if found is None:
        return result
    try:
        subject = doctor.subject_from_glue(found, partitions)
    except FlowsqlError as exc:
        result.evidence.append(f"doctor could not read the table: {exc.message}")
        return result
    examined, why = table.doctor_report(subject, where, now.timestamp())
    if examined is None:
        result.evidence.append(str(why))
        return result
    return table.with_doctor(result, examined)


def local_report(
    *, spec: TableSpec, start: datetime, end: datetime, retention_days: int | None, now: datetime
) -> Report:
    """A local folder: delivery, gaps and the table; the rest needs AWS and says so."""
    from flowsql.tables import discovery

    if not (spec.accounts and spec.regions):
        spec = discovery.with_discovered(spec)
    listing = evidence_s3.list_objects(spec, start, end)
    seen: dict[tuple[str, str], set[str]] = {}
    for obj in listing.objects:
        if obj.flow_log:
            seen.setdefault((obj.account, obj.region), set()).add(obj.flow_log)
    first_hour = start.replace(minute=0, second=0, microsecond=0)
    expected = [
        Expected(spec.location, a, r, first_hour, sorted(seen.get((a, r), ())))
        for a in spec.accounts
        for r in spec.regions
    ]
    records, note = evidence_records.record_hours(spec, start, end, MAX_PERIOD.days)
    needs_aws = "needs AWS: read from {}; a local folder holds only the objects"
    results = [
        not_run("coverage.vpcs", needs_aws.format("EC2 (DescribeVpcs, DescribeFlowLogs)")),
        not_run("coverage.traffic_type", needs_aws.format("EC2 (DescribeFlowLogs)")),
        not_run("coverage.format", needs_aws.format("EC2 (DescribeFlowLogs)")),
        delivery.status_local(listing),
        delivery.gaps(expected, {spec.location: listing}, start, end, now, records=records, note=note),
        *(not_run(c, needs_aws.format("the bucket's S3 settings")) for c in BUCKET_CONTROLS),
        _local_table(spec, now),
    ]
    return Report(
        source=f"local folder {spec.location}",
        period_start=start,
        period_end=end,
        generated_at=now,
        accounts=spec.accounts,
        regions=spec.regions,
        retention_days=retention_days,
        results=results,
    )


def _local_table(spec: TableSpec, now: datetime) -> Result:
    """The local views' check, with `flowsql doctor`'s examination of the folder added."""
    from flowsql.tables import doctor

    result = table.local(spec)
    examined, why = table.doctor_report(doctor.subject_from_spec(spec), None, now.timestamp())
    if examined is None:
        result.evidence.append(str(why))
        return result
    return table.with_doctor(result, examined)
