"""`flowsql compliance` against moto on 127.0.0.1: a healthy account passes every control, and each
fault seeded alone is the only failure, with its evidence. Expected gaps, hours and ids come from
what each test seeded, not from the product."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any

import pytest

from flowsql.compliance import render, report
from flowsql.compliance.model import Status
from flowsql.config import AthenaSettings
from flowsql.tables import fields as flowfields

UTC = timezone.utc
BUCKET = "audit-flow-logs"
REGION = "us-east-1"
# Every field a VPC flow log can write (the catalogue's VPC fields, versions 2-8).
FULL_FORMAT = " ".join("${" + f.name + "}" for f in flowfields.CATALOGUE)
CONTROLS = [
    "coverage.vpcs", "coverage.traffic_type", "coverage.format", "delivery.status", "delivery.gaps",
    "retention.lifecycle", "protection.versioning", "protection.encryption", "protection.public_access",
    "protection.policy", "queryable.table",
]  # fmt: skip


def _next_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


@dataclass
class Account:
    """A moto account seeded for one test; `start`..`end` is the report period (in the future of the
    flow logs' creation, which moto stamps with the real time), `now` the report's clock."""

    ec2: Any
    s3: Any
    account: str
    start: datetime
    end: datetime
    now: datetime
    flow_logs: list[str] = field(default_factory=list)
    vpcs: list[str] = field(default_factory=list)

    def flow_log(self, vpc: str, traffic: str = "ALL") -> str:
        answer = self.ec2.create_flow_logs(
            ResourceIds=[vpc], ResourceType="VPC", TrafficType=traffic, LogDestinationType="s3",
            LogDestination=f"arn:aws:s3:::{BUCKET}", LogFormat=FULL_FORMAT,
        )  # fmt: skip
        assert not answer["Unsuccessful"], answer
        self.flow_logs.append(answer["FlowLogIds"][0])
        return str(answer["FlowLogIds"][0])

    def put_objects(self, skip_hours: set[datetime] = frozenset()) -> int:  # type: ignore[assignment]
        """One object per flow log per hour of the period (none in skip_hours)."""
        header = " ".join(f.name for f in flowfields.CATALOGUE)
        body = gzip.compress(f"{header}\n".encode())
        count, hour = 0, self.start
        while hour < self.end:
            if hour not in skip_hours:
                for fl in self.flow_logs:
                    stamp = (hour + timedelta(minutes=5)).strftime("%Y%m%dT%H%MZ")
                    key = (
                        f"AWSLogs/{self.account}/vpcflowlogs/{REGION}/{hour:%Y/%m/%d}/"
                        f"{self.account}_vpcflowlogs_{REGION}_{fl}_{stamp}_abcd1234.log.gz"
                    )
                    self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
                    count += 1
            hour += timedelta(hours=1)
        return count

    def run(self, retention: int | None = 365, **kwargs: Any) -> report.Report:
        return report.aws_report(
            spec=kwargs.pop("spec", _table_spec(self.account)),
            settings=kwargs.pop("settings", AthenaSettings(region=REGION)),
            regions=[REGION], start=self.start, end=self.end, retention_days=retention, now=self.now,
            **kwargs,
        )  # fmt: skip


def _table_spec(account: str) -> Any:
    from flowsql.tables.spec import TableSpec

    return TableSpec.from_dict(
        {"location": f"s3://{BUCKET}/", "log_format": FULL_FORMAT, "accounts": [account], "regions": [REGION]}
    )


def _healthy_bucket(s3: Any, account: str) -> None:
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=BUCKET,
        LifecycleConfiguration={"Rules": [
            {"ID": "keep-400-days", "Status": "Enabled", "Filter": {"Prefix": "AWSLogs/"}, "Expiration": {"Days": 400}},
        ]},
    )  # fmt: skip
    delivery = {
        "Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/AWSLogs/{account}/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
    }  # fmt: skip
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [delivery]}))
    s3.put_public_access_block(
        Bucket=BUCKET,
        PublicAccessBlockConfiguration={
            k: True
            for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        },
    )


@pytest.fixture
def seeded(moto: Any) -> Callable[..., Account]:
    """A function making the healthy account; `fault` names one thing to break first."""

    def make(*, extra_vpc_unlogged: bool = False, accept_only: bool = False, skip_hours: int = 0) -> Account:
        ec2, s3, sts = moto.client("ec2"), moto.client("s3"), moto.client("sts")
        account = sts.get_caller_identity()["Account"]
        _healthy_bucket(s3, account)
        start = _next_hour(datetime.now(UTC)) + timedelta(hours=1)
        acct = Account(ec2, s3, account, start, start + timedelta(hours=24), start + timedelta(hours=25))
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
        ec2.create_network_interface(SubnetId=subnet)
        acct.vpcs = sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"])
        for each in acct.vpcs:
            acct.flow_log(each, "ACCEPT" if accept_only and each == vpc else "ALL")
        if extra_vpc_unlogged:
            acct.vpcs.append(ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"])
        gap = {start + timedelta(hours=8 + n) for n in range(skip_hours)}
        acct.put_objects(gap)
        from flowsql.tables.catalog import GlueCatalog

        GlueCatalog(AthenaSettings(region=REGION)).init(_table_spec(account))
        return acct

    return make


def _statuses(rep: report.Report) -> dict[str, Status]:
    return {r.id: r.status for r in rep.results}


def _only_failure(rep: report.Report, control: str) -> Any:
    statuses = _statuses(rep)
    assert [c for c, s in statuses.items() if s is Status.FAIL] == [control], rep.results
    assert all(s is Status.PASS for c, s in statuses.items() if c != control), statuses
    return next(r for r in rep.results if r.id == control)


def test_healthy_account_passes_every_control(seeded: Callable[..., Account]) -> None:
    acct = seeded()
    rep = acct.run()
    assert [r.id for r in rep.results] == CONTROLS
    assert {r.id: r.status for r in rep.results} == dict.fromkeys(CONTROLS, Status.PASS), rep.results
    assert rep.accounts == (acct.account,) and rep.regions == (REGION,)
    gaps = next(r for r in rep.results if r.id == "delivery.gaps")
    assert any("24 hour(s) judged, 48 object(s), no hour without objects" in e for e in gaps.evidence), (
        gaps.evidence
    )
    status = next(r for r in rep.results if r.id == "delivery.status")
    for fl in acct.flow_logs:
        newest = (acct.end - timedelta(minutes=55)).strftime("%Y-%m-%d %H:%M")
        assert any(
            e.startswith(f"{fl} ") and "SUCCESS" in e and f"newest object {newest}" in e
            for e in status.evidence
        )
    assert all(r.mapping for r in rep.results)


def test_unlogged_vpc_is_the_only_failure(seeded: Callable[..., Account]) -> None:
    acct = seeded(extra_vpc_unlogged=True)
    result = _only_failure(acct.run(), "coverage.vpcs")
    assert acct.vpcs[-1] in result.summary and "1 of 3" in result.summary
    assert any(acct.vpcs[-1] in e and "no flow log" in e for e in result.evidence)
    assert result.fix and "create-flow-logs" in result.fix


def test_accept_only_flow_log_is_the_only_failure(seeded: Callable[..., Account]) -> None:
    acct = seeded(accept_only=True)
    result = _only_failure(acct.run(), "coverage.traffic_type")
    accept = [e for e in result.evidence if "traffic type ACCEPT" in e]
    assert len(accept) == 1 and "ACCEPT only" in result.summary
    fl_id = accept[0].split(" ")[0]
    assert fl_id in acct.flow_logs and fl_id in result.summary


def test_30_day_expiration_against_365_required_is_the_only_failure(seeded: Callable[..., Account]) -> None:
    acct = seeded()
    acct.s3.put_bucket_lifecycle_configuration(
        Bucket=BUCKET,
        LifecycleConfiguration={"Rules": [
            {"ID": "expire-30", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}},
        ]},
    )  # fmt: skip
    result = _only_failure(acct.run(retention=365), "retention.lifecycle")
    assert "expire-30" in result.summary and "30 days, 365 required" in result.summary
    # Without a required retention there is no failure, only a warning naming the shortest rule.
    unset = next(r for r in acct.run(retention=None).results if r.id == "retention.lifecycle")
    assert unset.status is Status.WARN and "30 days" in unset.summary


def test_unencrypted_bucket_is_the_only_failure(seeded: Callable[..., Account]) -> None:
    acct = seeded()
    acct.s3.delete_bucket_encryption(Bucket=BUCKET)
    result = _only_failure(acct.run(), "protection.encryption")
    assert f"{BUCKET} has no default encryption" in result.summary


def test_public_bucket_policy_is_the_only_failure(seeded: Callable[..., Account]) -> None:
    acct = seeded()
    current = json.loads(acct.s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    current["Statement"].append(
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    )  # fmt: skip
    acct.s3.delete_public_access_block(Bucket=BUCKET)
    acct.s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(current))
    acct.s3.put_public_access_block(
        Bucket=BUCKET,
        PublicAccessBlockConfiguration={
            k: True
            for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        },
    )
    result = _only_failure(acct.run(), "protection.policy")
    assert "PublicRead allows s3:GetObject to everyone" in result.summary


def test_six_hour_gap_is_the_only_failure(seeded: Callable[..., Account]) -> None:
    acct = seeded(skip_hours=6)
    result = _only_failure(acct.run(), "delivery.gaps")
    first = acct.start + timedelta(hours=8)
    expected = f"gap {first:%Y-%m-%d %H:%M} → {first + timedelta(hours=6):%Y-%m-%d %H:%M} UTC (6 hours)"
    assert any(expected in e for e in result.evidence), result.evidence
    assert f"{acct.account} {REGION}: 6 hours from {first:%Y-%m-%d %H:%M}" in result.summary
    assert any("18 hour(s)" not in e and "24 hour(s) judged, 36 object(s)" in e for e in result.evidence)


def test_html_report_holds_every_control(seeded: Callable[..., Account]) -> None:
    acct = seeded(extra_vpc_unlogged=True)
    rep = acct.run()
    page = _Page()
    page.feed(render.to_html(rep))
    assert page.controls == {c: s.value for c, s in _statuses(rep).items()}
    assert list(page.controls) == CONTROLS
    assert acct.account in page.text and acct.start.strftime("%Y-%m-%d %H:%M UTC") in page.text
    assert rep.generated_at.strftime("%Y-%m-%d %H:%M UTC") in page.text
    assert acct.vpcs[-1] in page.text and "guidance" in page.text


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: dict[str, str] = {}
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "section" and values.get("data-control"):
            self.controls[str(values["data-control"])] = str(values["data-status"])

    def handle_data(self, data: str) -> None:
        self.text += data


def test_html_escapes_everything_it_shows() -> None:
    from flowsql.compliance.model import Report, Result

    moment = datetime(2024, 5, 1, tzinfo=UTC)
    hostile = '<script>alert("x")</script> & <img src=x onerror=1>'
    rep = Report(hostile, moment, moment + timedelta(days=1), moment, (hostile,), ("us-east-1",), 365, [
        Result("delivery.gaps", hostile, Status.FAIL, hostile, [hostile], hostile, (hostile,)),
    ])  # fmt: skip
    page = _Page()
    page.feed(render.to_html(rep))
    assert "script" not in page.tags and "img" not in page.tags
    assert page.text.count(hostile) >= 5
    assert hostile not in render.markdown(rep)


def test_deliver_logs_status_failed(moto: Any) -> None:
    """moto reports SUCCESS for every S3 flow log, so DescribeFlowLogs alone is stubbed (botocore's
    Stubber) to answer FAILED; the objects come from moto."""
    import boto3
    from botocore.stub import Stubber

    from flowsql.compliance import controls_delivery, evidence_ec2, evidence_s3
    from flowsql.tables.spec import TableSpec

    ec2 = boto3.client("ec2", region_name=REGION)
    stub = Stubber(ec2)
    stub.add_response("describe_flow_logs", {"FlowLogs": [{
        "FlowLogId": "fl-0123456789abcdef0", "ResourceId": "vpc-0123456789abcdef0", "TrafficType": "ALL",
        "LogDestinationType": "s3", "LogDestination": f"arn:aws:s3:::{BUCKET}", "FlowLogStatus": "ACTIVE",
        "DeliverLogsStatus": "FAILED", "DeliverLogsErrorMessage": "Access error",
    }]})  # fmt: skip
    with stub:
        flow_logs = evidence_ec2.flow_logs_of(ec2, REGION)
    moto.client("s3").create_bucket(Bucket=BUCKET)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    spec = TableSpec(location=f"s3://{BUCKET}/", accounts=("123456789012",), regions=(REGION,))
    listing = evidence_s3.list_objects(spec, start, start + timedelta(hours=24), moto.client("s3"))
    result = controls_delivery.status(flow_logs, {f"s3://{BUCKET}/": listing})
    assert result.status is Status.FAIL
    assert result.summary == "fl-0123456789abcdef0 reports FAILED: Access error"
    assert "no object in the period" in result.evidence[0]


@pytest.fixture
def local_logs(tmp_path: Any) -> Iterator[Callable[..., Any]]:
    """A folder of hourly text files for one account and Region, two interfaces in each; in some
    hours only NODATA, SKIPDATA, or one interface silent."""
    start = datetime(2024, 5, 1, tzinfo=UTC)

    def write(skip: Any = (), nodata: Any = (), skipdata: Any = (), silent: Any = ()) -> Any:
        account, fl = "111122223333", "fl-0aaaabbbbccccdddd"
        for h in range(24):
            if h in skip:
                continue
            hour = start + timedelta(hours=h)
            folder = tmp_path / "AWSLogs" / account / "vpcflowlogs" / REGION / f"{hour:%Y/%m/%d}"
            folder.mkdir(parents=True, exist_ok=True)
            t = int((hour + timedelta(minutes=1)).timestamp())
            lines = []
            for eni in ("eni-0123", "eni-0456"):
                if eni == "eni-0456" and h in silent:
                    continue
                if h in nodata:
                    lines.append(f"2 {account} {eni} - - - - - - - {t} {t + 60} - NODATA")
                elif h in skipdata:
                    lines.append(f"2 {account} {eni} - - - - - - - {t} {t + 60} - SKIPDATA")
                else:
                    lines.append(
                        f"2 {account} {eni} 10.0.0.1 10.0.0.2 443 50000 6 10 840 {t} {t + 60} ACCEPT OK"
                    )
            name = (
                f"{account}_vpcflowlogs_{REGION}_{fl}_{hour + timedelta(minutes=5):%Y%m%dT%H%M}Z_ff00.log.gz"
            )
            header = " ".join(flowfields.DEFAULT_FORMAT)
            (folder / name).write_bytes(gzip.compress(("\n".join([header, *lines]) + "\n").encode()))
        return tmp_path

    yield write


def _local(root: Any) -> report.Report:
    from flowsql.tables.spec import TableSpec

    start = datetime(2024, 5, 1, tzinfo=UTC)
    return report.local_report(
        spec=TableSpec(location=str(root)), start=start, end=start + timedelta(hours=24),
        retention_days=365, now=start + timedelta(days=3),
    )  # fmt: skip


def test_local_folder_checks_delivery_gaps_and_table(local_logs: Callable[..., Any]) -> None:
    rep = _local(local_logs(nodata={3, 4}))
    statuses = _statuses(rep)
    assert list(statuses) == CONTROLS
    assert {c for c, s in statuses.items() if s is Status.PASS} == {
        "delivery.status",
        "delivery.gaps",
        "queryable.table",
    }
    assert all(
        s is Status.NOT_RUN
        for c, s in statuses.items()
        if c not in ("delivery.status", "delivery.gaps", "queryable.table")
    )
    assert all("needs AWS" in r.summary for r in rep.results if r.status is Status.NOT_RUN)
    gaps = next(r for r in rep.results if r.id == "delivery.gaps")
    assert any("2 hour(s) held only NODATA records" in e for e in gaps.evidence), gaps.evidence


def test_local_folder_gap_of_six_hours(local_logs: Callable[..., Any]) -> None:
    rep = _local(local_logs(skip=set(range(10, 16))))
    gaps = next(r for r in rep.results if r.id == "delivery.gaps")
    assert gaps.status is Status.FAIL
    assert any("gap 2024-05-01 10:00 → 2024-05-01 16:00 UTC (6 hours)" in e for e in gaps.evidence), (
        gaps.evidence
    )
    assert [r.id for r in rep.results if r.status is Status.FAIL] == ["delivery.gaps"]


def test_cli_exit_status_and_formats(seeded: Callable[..., Account], flowsql_cli: Any, workdir: Any) -> None:
    acct = seeded(extra_vpc_unlogged=True)
    common = ["--regions", REGION, "--region", REGION, "--retention", "365d", "--location", f"s3://{BUCKET}/",
              "--log-format", FULL_FORMAT]  # fmt: skip
    result = flowsql_cli("compliance", *common, "--format", "json")
    assert result.code == 1, result
    data = json.loads(result.out)
    assert [c["id"] for c in data["controls"]] == CONTROLS
    assert {c["id"]: c["status"] for c in data["controls"]}["coverage.vpcs"] == "FAIL"
    assert data["required_retention_days"] == 365 and data["accounts"] == [acct.account]
    text = flowsql_cli("compliance", *common)
    assert text.code == 1 and "FAIL    coverage.vpcs" in text.out and "fix: create a flow log" in text.out
    verbose = flowsql_cli("compliance", *common, "--verbose")
    assert "commonly mapped to: AWS Security Hub EC2.6" in verbose.out and "guidance" in verbose.out
    out = workdir / "report.html"
    written = flowsql_cli("compliance", *common, "--format", "html", "-o", str(out))
    assert written.code == 1 and out.read_text().startswith("<!DOCTYPE html>")
    bad = flowsql_cli("compliance", *common, "--retention", "a year")
    assert bad.code == 2 and "--retention must be" in bad.err


def test_other_account_through_assume_role(seeded: Callable[..., Account], moto: Any) -> None:
    import boto3

    acct = seeded()
    other = "222233334444"
    creds = moto.client("sts").assume_role(RoleArn=f"arn:aws:iam::{other}:role/audit", RoleSessionName="seed")
    keys = creds["Credentials"]
    ec2 = boto3.Session(
        aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys["SessionToken"], region_name=REGION,
    ).client("ec2", endpoint_url=moto.url)  # fmt: skip
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    unlogged = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    theirs = Account(ec2, acct.s3, other, acct.start, acct.end, acct.now)
    for vpc in vpcs:
        theirs.flow_log(vpc)
    theirs.put_objects()

    # The table's projection lists both accounts (doctor fails a table that leaves one out).
    from flowsql.tables.catalog import GlueCatalog
    from flowsql.tables.spec import TableSpec

    both = TableSpec.from_dict(
        {
            "location": f"s3://{BUCKET}/",
            "log_format": FULL_FORMAT,
            "accounts": [acct.account, other],
            "regions": [REGION],
        }
    )
    GlueCatalog(AthenaSettings(region=REGION)).init(both, replace=True)
    rep = acct.run(accounts=[acct.account, other], assume_role="audit", spec=both)
    assert rep.accounts == tuple(sorted([acct.account, other]))
    result = _only_failure(rep, "coverage.vpcs")
    assert f"{REGION} {unlogged}" in result.summary and acct.account not in result.summary
    gaps = next(r for r in rep.results if r.id == "delivery.gaps")
    assert any(
        e.startswith(f"{other} {REGION} under s3://{BUCKET}/: 24 hour(s) judged") for e in gaps.evidence
    )

    # Without a role the other account is named as not read: a warning, not a pass.
    unread = acct.run(accounts=[acct.account, other])
    vpcs_result = next(r for r in unread.results if r.id == "coverage.vpcs")
    assert vpcs_result.status is Status.WARN
    assert any(e.startswith(f"account {other}: not read") for e in vpcs_result.evidence)


def test_local_folder_quiet_interface_and_skipdata_are_told_apart(local_logs: Callable[..., Any]) -> None:
    rep = _local(local_logs(silent={5, 6, 7}, skipdata={20}))
    gaps = next(r for r in rep.results if r.id == "delivery.gaps")
    assert gaps.status is Status.WARN, gaps
    holes = [e for e in gaps.evidence if "stretch(es) where an interface wrote no record" in e]
    assert len(holes) == 1 and holes[0].startswith("111122223333 us-east-1: 1 stretch(es)"), gaps.evidence
    assert holes[0].endswith(": eni-0456 2024-05-01 05:00 → 2024-05-01 08:00 UTC (3 hours)")
    assert any("SKIPDATA 2024-05-01 20:00 → 2024-05-01 21:00 UTC" in e for e in gaps.evidence)
    assert (
        gaps.summary
        == "no hour without objects, but SKIPDATA records in 111122223333 us-east-1 from 2024-05-01 20:00"
    )
    # An interface silent amid its neighbours alone is evidence, not a warning: NODATA is not assured.
    quiet = next(r for r in _local(local_logs(silent={5, 6, 7})).results if r.id == "delivery.gaps")
    assert quiet.status is Status.PASS


def _bucket(**values: Any) -> Any:
    from flowsql.compliance.controls_bucket import Target
    from flowsql.compliance.evidence_s3 import BucketSettings

    return [(Target(BUCKET, "vpc/"), BucketSettings(BUCKET, **values))]


def test_lifecycle_rules_that_do_not_reach_flow_logs_pass_and_a_date_fails() -> None:
    from flowsql.compliance import controls_bucket as bucket

    elsewhere = [
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
        {"ID": "tagged", "Status": "Enabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}}, "Expiration": {"Days": 1}},
        {"ID": "off", "Status": "Disabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}},
        {"ID": "one-account", "Status": "Enabled", "Filter": {"Prefix": "vpc/AWSLogs/111122223333/"},
         "Expiration": {"Days": 400}},
    ]  # fmt: skip
    assert bucket.retention(_bucket(lifecycle=elsewhere), 365).status is Status.PASS
    short = [*elsewhere, {"ID": "whole", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 90}}]
    result = bucket.retention(_bucket(lifecycle=short), 365)
    assert (
        result.status is Status.FAIL
        and "rule whole" in result.summary
        and "90 days, 365 required" in result.summary
    )
    dated = [{"ID": "cutoff", "Status": "Enabled", "Prefix": "vpc/", "Expiration": {"Date": "2030-01-01"}}]
    assert bucket.retention(_bucket(lifecycle=dated), 365).status is Status.FAIL
    assert bucket.parse_retention("1y") == 365 and bucket.parse_retention("52w") == 364


def test_policy_narrowed_public_passes_and_cross_account_warns() -> None:
    from flowsql.compliance import controls_bucket as bucket

    narrowed = {"Statement": [{"Sid": "Org", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
                               "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}]}  # fmt: skip
    assert bucket.policy(_bucket(policy=narrowed), ["123456789012"]).status is Status.PASS
    foreign = {"Statement": [{"Sid": "Sec", "Effect": "Allow", "Action": "s3:GetObject",
                              "Principal": {"AWS": "arn:aws:iam::999988887777:root"}}]}  # fmt: skip
    result = bucket.policy(_bucket(policy=foreign), ["123456789012"])
    assert result.status is Status.WARN and "account 999988887777" in result.summary
    assert bucket.policy(_bucket(policy=foreign), ["123456789012", "999988887777"]).status is Status.PASS
    denied = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*"}]}
    assert bucket.policy(_bucket(policy=denied), ["123456789012"]).status is Status.PASS


def test_cli_on_a_local_folder_and_unreachable_aws(
    local_logs: Callable[..., Any], flowsql_cli: Any, workdir: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = local_logs()
    ok = flowsql_cli("compliance", "--location", str(root), "--start", "2024-05-01", "--end", "2024-05-02",
                     "--format", "markdown")  # fmt: skip
    assert ok.code == 0, ok
    assert all(f"({c.replace('_', chr(92) + '_')})" in ok.out for c in CONTROLS), ok.out
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    down = flowsql_cli("compliance", "--regions", REGION)
    assert down.code == 2 and "cannot tell which AWS account" in down.err and "Traceback" not in down.err


def test_coverage_by_subnets_or_interfaces(moto: Any) -> None:
    from flowsql.compliance import controls_coverage as coverage
    from flowsql.compliance import evidence_ec2

    ec2 = moto.client("ec2")
    moto.client("s3").create_bucket(Bucket=BUCKET)
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{n}.0/24")["Subnet"]["SubnetId"] for n in (1, 2)
    ]
    enis = [
        ec2.create_network_interface(SubnetId=s)["NetworkInterface"]["NetworkInterfaceId"] for s in subnets
    ]

    def log(resource: str, kind: str, traffic: str = "ALL") -> None:
        ec2.create_flow_logs(ResourceIds=[resource], ResourceType=kind, TrafficType=traffic,
                             LogDestinationType="s3", LogDestination=f"arn:aws:s3:::{BUCKET}")  # fmt: skip

    def covered() -> coverage.VpcCoverage:
        return coverage.vpc_coverage(evidence_ec2.inventory(ec2, "123456789012", REGION), vpc)

    log(subnets[0], "Subnet")
    partly = covered()
    assert partly.level is None and f"unlogged subnet(s): {subnets[1]}" in partly.detail
    log(enis[1], "NetworkInterface", "REJECT")
    by_enis = covered()
    assert by_enis.level == "interfaces" and not by_enis.complete
    log(subnets[1], "Subnet")
    by_subnets = covered()
    assert by_subnets.level == "subnets" and by_subnets.complete
    assert by_subnets.detail == "flow logs on all 2 subnet(s)"


def test_log_format_names_what_it_enables_and_refuses_a_format_without_audit_fields() -> None:
    from flowsql.compliance import controls_coverage as coverage
    from flowsql.compliance.evidence_ec2 import FlowLogInfo, RegionInventory

    needs = {"a": ("srcaddr", "dstaddr"), "b": ("tcp_flags",), "c": ("tcp_flags", "pkt_srcaddr")}

    def inv(log_format: str | None) -> list[RegionInventory]:
        fl = FlowLogInfo("fl-1", REGION, "vpc-1", "ALL", "s3", "arn:aws:s3:::b", log_format, "SUCCESS",
                         None, "ACTIVE", None)  # fmt: skip
        return [RegionInventory("123456789012", REGION, ["vpc-1"], flow_logs=[fl])]

    default = coverage.log_format(inv(None), needs)
    assert default.status is Status.WARN
    assert (
        "enables 1 of 3 investigations; the others need tcp_flags (2), pkt_srcaddr (1)" in default.evidence[0]
    )
    narrow = coverage.log_format(inv("${version} ${vpc-id} ${srcaddr}"), needs)
    assert narrow.status is Status.FAIL and "fl-1 lacks interface-id, dstaddr" in narrow.summary


def test_records_through_the_table_on_athena(seeded: Callable[..., Account], moto: Any) -> None:
    """moto runs no SQL: the counts are injected, and the statement that crossed the wire is parsed."""
    import sqlglot

    from tests.athena_fakes import inject

    acct = seeded()
    moto.client("s3").create_bucket(Bucket="athena-results")
    columns = [("account", "varchar"), ("region", "varchar"), ("interface_id", "varchar"), ("hour", "timestamp"),
               ("ok_records", "bigint"), ("nodata_records", "bigint"), ("skipdata_records", "bigint")]  # fmt: skip
    rows = []
    for n in range(24):
        hour = (acct.start + timedelta(hours=n)).strftime("%Y-%m-%d %H:%M:%S.000")
        quiet = n in (2, 3)
        rows.append([acct.account, REGION, "eni-1", hour, "0" if quiet else "5", "1" if quiet else "0", "0"])
        if n not in (5, 6, 7):
            rows.append(
                [acct.account, REGION, "eni-2", hour, "0" if quiet else "3", "1" if quiet else "0", "0"]
            )
    inject(moto, columns, rows)
    settings = AthenaSettings(
        region=REGION, output_location="s3://athena-results/compliance/", workgroup="primary"
    )
    rep = acct.run(records=True, settings=settings)
    gaps = next(r for r in rep.results if r.id == "delivery.gaps")
    assert gaps.status is Status.PASS, gaps
    assert any(e.startswith("records counted per interface and hour on Athena (") for e in gaps.evidence)
    assert any("2 hour(s) held only NODATA records" in e for e in gaps.evidence), gaps.evidence
    first = acct.start + timedelta(hours=5)
    stretch = f"eni-2 {first:%Y-%m-%d %H:%M} → {first + timedelta(hours=3):%Y-%m-%d %H:%M} UTC (3 hours)"
    assert any(e.endswith(stretch) for e in gaps.evidence), gaps.evidence
    athena = moto.client("athena")
    ids = athena.list_query_executions()["QueryExecutionIds"]
    sent = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in ids]
    tree = sqlglot.parse_one(sent[-1], read="athena")
    assert [t.name for t in tree.find_all(sqlglot.exp.Table)] == ["flow_logs"]
    assert len(tree.args["group"].expressions) == 4
    where = tree.args["where"].sql(dialect="athena")
    assert f"start >= {int(acct.start.timestamp())}" in where and "date_partition BETWEEN" in where


def test_a_flow_log_created_at_the_end_of_the_period_is_too_recent_to_judge() -> None:
    from flowsql.compliance import controls_delivery
    from flowsql.compliance.evidence_ec2 import FlowLogInfo
    from flowsql.compliance.evidence_s3 import Listing

    start = datetime(2024, 5, 1, tzinfo=UTC)
    end = start + timedelta(hours=24)

    def made(at: datetime) -> FlowLogInfo:
        return FlowLogInfo("fl-1", REGION, "vpc-1", "ALL", "s3", f"arn:aws:s3:::{BUCKET}", None, "SUCCESS",
                           None, "ACTIVE", at)  # fmt: skip

    listings = {f"s3://{BUCKET}/": Listing(f"s3://{BUCKET}/", start, end)}
    until = end - controls_delivery.SETTLE
    late = controls_delivery.status([made(end - timedelta(minutes=5))], listings, until=until)
    assert late.status is Status.WARN and "too late in the period to judge" in late.summary
    early = controls_delivery.status([made(start - timedelta(days=30))], listings, until=until)
    assert early.status is Status.FAIL and early.summary == "fl-1 has no object in the period"


def test_cloudwatch_logs_group_kept_30_days_against_365(seeded: Callable[..., Account], moto: Any) -> None:
    acct = seeded()
    role = moto.client("iam").create_role(
        RoleName="flow-logs", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    logs = moto.client("logs")
    logs.create_log_group(logGroupName="/vpc/flow-logs")
    logs.put_retention_policy(logGroupName="/vpc/flow-logs", retentionInDays=30)
    answer = acct.ec2.create_flow_logs(
        ResourceIds=[acct.vpcs[0]], ResourceType="VPC", TrafficType="ALL", LogDestinationType="cloud-watch-logs",
        LogGroupName="/vpc/flow-logs", DeliverLogsPermissionArn=role,
    )  # fmt: skip
    fl_id = answer["FlowLogIds"][0]
    rep = acct.run(retention=365)
    statuses = _statuses(rep)
    result = next(r for r in rep.results if r.id == "retention.lifecycle")
    assert result.status is Status.FAIL, result
    assert (
        result.summary
        == f"CloudWatch Logs group /vpc/flow-logs ({REGION}, {fl_id}) keeps events 30 days, 365 required"
    )
    # moto reports this CloudWatch Logs flow log's delivery as it sees it; whatever it says is named.
    status = next(r for r in rep.results if r.id == "delivery.status")
    assert any(e.startswith(f"{fl_id} ({REGION}) → CloudWatch Logs /vpc/flow-logs") for e in status.evidence)
    others = {c for c, s in statuses.items() if s is Status.FAIL} - {"retention.lifecycle", "delivery.status"}
    assert not others, statuses
    logs.delete_retention_policy(logGroupName="/vpc/flow-logs")
    kept = next(r for r in acct.run(retention=365).results if r.id == "retention.lifecycle")
    assert kept.status is Status.PASS and any(
        "/vpc/flow-logs" in e and "never expire" in e for e in kept.evidence
    )


def test_queryable_adds_doctors_findings(seeded: Callable[..., Account]) -> None:
    """A table whose projection lists another account reads where the flow logs write, with their
    columns, yet answers no row for them: doctor's projection check names it."""
    from flowsql.tables.catalog import GlueCatalog
    from flowsql.tables.spec import TableSpec

    acct = seeded()
    healthy = next(r for r in acct.run().results if r.id == "queryable.table")
    assert any(e.startswith("doctor") for e in healthy.evidence), healthy.evidence
    wrong = TableSpec.from_dict(
        {
            "location": f"s3://{BUCKET}/",
            "log_format": FULL_FORMAT,
            "accounts": ["999988887777"],
            "regions": [REGION],
        }
    )
    GlueCatalog(AthenaSettings(region=REGION)).init(wrong, replace=True)
    result = _only_failure(acct.run(), "queryable.table")
    assert "doctor: " in result.summary, result
    assert any(e.startswith("doctor error") for e in result.evidence)
