"""Evidence from EC2, per Region: the VPCs, their subnets and network interfaces, and the flow logs
(DescribeVpcs, DescribeSubnets, DescribeNetworkInterfaces, DescribeFlowLogs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flowsql.config import AthenaSettings

DESTINATION_NAMES = {
    "s3": "Amazon S3",
    "cloud-watch-logs": "CloudWatch Logs",
    "kinesis-data-firehose": "Amazon Data Firehose",
}


@dataclass(frozen=True)
class FlowLogInfo:
    """One flow log as DescribeFlowLogs answers; None where the answer is silent."""

    id: str
    region: str
    resource_id: str
    traffic_type: str | None
    destination_type: str
    destination: str | None
    log_format: str | None
    deliver_status: str | None
    deliver_error: str | None
    status: str | None
    created: datetime | None
    hive: bool = False
    hourly: bool = False
    file_format: str | None = None

    @classmethod
    def from_api(cls, item: dict[str, Any], region: str) -> FlowLogInfo:
        options = item.get("DestinationOptions") or {}
        return cls(
            id=item["FlowLogId"],
            region=region,
            resource_id=item.get("ResourceId", ""),
            traffic_type=item.get("TrafficType"),
            destination_type=item.get("LogDestinationType") or "cloud-watch-logs",
            destination=item.get("LogDestination") or item.get("LogGroupName"),
            log_format=item.get("LogFormat"),
            deliver_status=item.get("DeliverLogsStatus"),
            deliver_error=item.get("DeliverLogsErrorMessage"),
            status=item.get("FlowLogStatus"),
            created=item.get("CreationTime"),
            hive=bool(options.get("HiveCompatiblePartitions")),
            hourly=bool(options.get("PerHourPartition")),
            file_format=options.get("FileFormat"),
        )

    @property
    def destination_name(self) -> str:
        return DESTINATION_NAMES.get(self.destination_type, self.destination_type)

    @property
    def bucket(self) -> str | None:
        """The S3 bucket an S3 flow log writes to (from its arn:aws:s3:::bucket[/prefix])."""
        if self.destination_type != "s3" or not self.destination or ":s3:::" not in self.destination:
            return None
        return self.destination.split(":s3:::", 1)[1].split("/", 1)[0]

    @property
    def prefix(self) -> str:
        """The key prefix under the bucket ('' or 'prefix/')."""
        if self.bucket is None or self.destination is None:
            return ""
        rest = self.destination.split(":s3:::", 1)[1].partition("/")[2].strip("/")
        return f"{rest}/" if rest else ""

    @property
    def location(self) -> str | None:
        """s3://bucket/prefix/ of an S3 flow log (the folder holding AWSLogs/)."""
        return f"s3://{self.bucket}/{self.prefix}" if self.bucket else None

    @property
    def active(self) -> bool:
        return (self.status or "ACTIVE") == "ACTIVE"


@dataclass
class RegionInventory:
    """What one account holds in one Region; `error` when EC2 could not be read."""

    account: str
    region: str
    vpcs: list[str] = field(default_factory=list)
    subnets: dict[str, list[str]] = field(default_factory=dict)  # vpc id -> subnet ids
    # vpc id -> (interface id, subnet id)
    interfaces: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    flow_logs: list[FlowLogInfo] = field(default_factory=list)
    error: str | None = None
    # Why this account was not read at all (no credentials for it), when it was not.
    skipped: str | None = None


def caller_account(settings: AthenaSettings, session: Any = None) -> str:
    """The account of the credentials in use (STS GetCallerIdentity); unreachable AWS is one error."""
    import botocore.exceptions

    from flowsql import aws
    from flowsql.errors import ConfigError

    sess = session or aws.session(settings)
    region = settings.region or sess.region_name or "us-east-1"
    try:
        sts = sess.client("sts", region_name=region, endpoint_url=settings.endpoint_url or None)
        return str(sts.get_caller_identity()["Account"])
    except botocore.exceptions.ClientError as exc:
        reason = aws.describe_client_error(exc)
    except botocore.exceptions.BotoCoreError as exc:
        reason = str(exc)
    raise ConfigError(
        f"cannot tell which AWS account the credentials belong to: {reason}",
        hint="configure credentials (AWS_PROFILE, --profile) or report on a local folder with --location DIR",
    )


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def flow_logs_of(ec2: Any, region: str) -> list[FlowLogInfo]:
    """Every flow log of a Region (DescribeFlowLogs), by id."""
    items = _pages(ec2, "describe_flow_logs", "FlowLogs")
    return sorted((FlowLogInfo.from_api(item, region) for item in items), key=lambda f: f.id)


def inventory(ec2: Any, account: str, region: str) -> RegionInventory:
    """VPCs, subnets, interfaces and flow logs of one Region; a refused call is kept as `error`."""
    import botocore.exceptions

    from flowsql import aws

    inv = RegionInventory(account, region)
    try:
        inv.vpcs = sorted(v["VpcId"] for v in _pages(ec2, "describe_vpcs", "Vpcs"))
        for subnet in _pages(ec2, "describe_subnets", "Subnets"):
            inv.subnets.setdefault(subnet["VpcId"], []).append(subnet["SubnetId"])
        for eni in _pages(ec2, "describe_network_interfaces", "NetworkInterfaces"):
            pair = (eni["NetworkInterfaceId"], eni.get("SubnetId", ""))
            inv.interfaces.setdefault(eni.get("VpcId", ""), []).append(pair)
        inv.flow_logs = flow_logs_of(ec2, region)
    except botocore.exceptions.ClientError as exc:
        inv.error = aws.describe_client_error(exc)
    except botocore.exceptions.BotoCoreError as exc:
        inv.error = str(exc)
    return inv


def collect(
    regions: Sequence[str], settings: AthenaSettings, *, session: Any = None, account: str | None = None
) -> list[RegionInventory]:
    """The inventory of every Region, for the account of the credentials in use."""
    from flowsql import aws

    sess = session or aws.session(settings)
    account = account or caller_account(settings, sess)
    return [
        inventory(sess.client("ec2", region_name=r, endpoint_url=settings.endpoint_url or None), account, r)
        for r in regions
    ]


def assumed_session(session: Any, settings: AthenaSettings, account: str, role: str) -> Any:
    """A boto3 session in another account, through STS AssumeRole of arn:aws:iam::ACCOUNT:role/ROLE."""
    import boto3

    sts = session.client("sts", region_name=settings.region or session.region_name or "us-east-1",
                         endpoint_url=settings.endpoint_url or None)  # fmt: skip
    arn = f"arn:aws:iam::{account}:role/{role}"
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="flowsql-compliance")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=session.region_name,
    )


def collect_accounts(
    accounts: Sequence[str],
    regions: Sequence[str],
    settings: AthenaSettings,
    *,
    session: Any,
    caller: str,
    role: str | None,
) -> list[RegionInventory]:
    """Inventories of the caller's account and of each other account through `role`; without a
    role, another account is kept as skipped, with the reason."""
    import botocore.exceptions

    from flowsql import aws

    out = collect(regions, settings, session=session, account=caller)
    for account in accounts:
        if account == caller:
            continue
        if role is None:
            why = f"not read: the credentials are for account {caller}; pass --assume-role ROLE"
            out.extend(RegionInventory(account, r, skipped=why) for r in regions)
            continue
        try:
            other = assumed_session(session, settings, account, role)
        except botocore.exceptions.ClientError as exc:
            reason = f"AssumeRole of role/{role} failed: {aws.describe_client_error(exc)}"
            out.extend(RegionInventory(account, r, error=reason) for r in regions)
            continue
        out.extend(collect(regions, settings, session=other, account=account))
    return out
