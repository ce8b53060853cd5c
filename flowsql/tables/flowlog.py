"""The table options of a flow log, read from the flow log itself (EC2 DescribeFlowLogs): its S3
destination is the location, its LogFormat the fields, its DestinationOptions (FileFormat,
HiveCompatiblePartitions, PerHourPartition) the layout and file format. Where the API answer lacks
an option, the objects under the location decide."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flowsql.config import AthenaSettings
from flowsql.errors import ConfigError
from flowsql.tables import fields as flowfields
from flowsql.tables import objects as objectsmod

_DESTINATIONS = {"cloud-watch-logs": "CloudWatch Logs", "kinesis-data-firehose": "Amazon Data Firehose"}


@dataclass(frozen=True)
class FlowLog:
    """One flow log as DescribeFlowLogs answers; None where the answer is silent."""

    id: str
    resource_id: str
    destination_type: str
    destination: str | None
    log_format: str | None
    file_format: str | None = None  # plain-text | parquet
    hive: bool | None = None
    hourly: bool | None = None

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> FlowLog:
        options = item.get("DestinationOptions") or {}
        return cls(
            id=item["FlowLogId"],
            resource_id=item.get("ResourceId", ""),
            destination_type=item.get("LogDestinationType", "cloud-watch-logs"),
            destination=item.get("LogDestination") or item.get("LogGroupName"),
            log_format=item.get("LogFormat"),
            file_format=options.get("FileFormat"),
            hive=options.get("HiveCompatiblePartitions"),
            hourly=options.get("PerHourPartition"),
        )

    @property
    def fields_format(self) -> str:
        """The LogFormat, or the default format of the resource type when the answer has none."""
        if self.log_format:
            return " ".join(self.log_format.split())
        default = flowfields.TGW_DEFAULT_FORMAT if self.resource_id.startswith("tgw-") else None
        names = default or flowfields.DEFAULT_FORMAT
        return flowfields.format_string(flowfields.lookup(n) for n in names)

    def location(self) -> str:
        """The s3:// prefix the flow log writes under; a clear refusal for other destinations."""
        if self.destination_type != "s3":
            where = _DESTINATIONS.get(self.destination_type, self.destination_type)
            raise ConfigError(
                f"flow log {self.id} writes to {where} ({self.destination or 'no destination named'}), "
                "not to S3: Athena and flowsql read flow logs from S3 objects",
                hint="create a flow log with --log-destination-type s3 (aws ec2 create-flow-logs), "
                "then run `flowsql init --flow-log` with its id",
            )
        arn = self.destination or ""
        if not arn.startswith("arn:") or ":s3:::" not in arn:
            raise ConfigError(f"flow log {self.id}: {arn!r} is not an S3 bucket ARN")
        path = arn.split(":s3:::", 1)[1].strip("/")
        return f"s3://{path}/"


def split_ids(values: Sequence[str]) -> list[str]:
    """--flow-log values: repeatable, each a comma-separated list of fl-… ids."""
    ids = [v.strip() for value in values for v in value.split(",") if v.strip()]
    for value in ids:
        if not value.startswith("fl-"):
            raise ConfigError(f"--flow-log: {value!r} is not a flow log id like fl-0123456789abcdef0")
    return list(dict.fromkeys(ids))


def describe(ids: Sequence[str], settings: AthenaSettings, client: Any = None) -> list[FlowLog]:
    """The flow logs with these ids, in the order given; a missing id is one clear error."""
    import botocore.exceptions

    from flowsql import aws

    ec2 = client or aws.client("ec2", settings)
    found: dict[str, FlowLog] = {}
    token: str | None = None
    try:
        while True:
            kwargs: dict[str, Any] = {"FlowLogIds": list(ids)}
            if token:
                kwargs["NextToken"] = token
            answer = ec2.describe_flow_logs(**kwargs)
            for item in answer.get("FlowLogs", []):
                found[item["FlowLogId"]] = FlowLog.from_api(item)
            token = answer.get("NextToken")
            if not token:
                break
    except botocore.exceptions.ClientError as exc:
        raise ConfigError(f"DescribeFlowLogs failed: {aws.describe_client_error(exc)}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise ConfigError(f"DescribeFlowLogs failed: {exc}") from None
    missing = [i for i in ids if i not in found]
    if missing:
        raise ConfigError(
            f"no flow log {', '.join(missing)} in {ec2.meta.region_name}",
            hint="flow logs belong to one Region and account: check the id, --region and --profile",
        )
    return [found[i] for i in ids]


@dataclass
class Resolved:
    """The table options a set of flow logs gives, and what was decided on the way."""

    options: dict[str, Any]
    notes: list[str]


def _one(flow_logs: Sequence[FlowLog], what: str, value: Any, explain: str) -> None:
    """Refuse flow logs that disagree about one option of the table."""
    values = {fl.id: value(fl) for fl in flow_logs}
    if len(set(values.values())) > 1:
        listing = "\n".join(f"    {i}: {v}" for i, v in values.items())
        raise ConfigError(f"the flow logs differ in {what}:\n{listing}\n  {explain}")


def table_options(flow_logs: Sequence[FlowLog], settings: AthenaSettings | None = None) -> Resolved:
    """location, log_format, layout, hourly and file_format for one table over these flow logs."""
    per_format = (
        "a text table is positional: one table reading both formats would read one format's columns "
        "out of the other's files (shifted columns, wrong values, no error). Create one table per format "
        "(`flowsql init --flow-log ID --table NAME` for each), or write Parquet, which is read by name"
    )
    _one(
        flow_logs,
        "destination",
        lambda fl: fl.location(),
        "one table reads one location: create one table per flow log (--flow-log ID --table NAME)",
    )
    _one(flow_logs, "LogFormat", lambda fl: fl.fields_format, per_format)
    for what, pick in (
        ("FileFormat", lambda fl: fl.file_format),
        ("HiveCompatiblePartitions", lambda fl: fl.hive),
        ("PerHourPartition", lambda fl: fl.hourly),
    ):
        _one(flow_logs, what, pick, "their objects sit in different layouts: one table per flow log")
    first = flow_logs[0]
    location = first.location()
    notes: list[str] = []
    options: dict[str, Any] = {"location": location, "log_format": first.fields_format}
    if first.file_format is not None:
        options["file_format"] = "parquet" if first.file_format == "parquet" else "text"
    if first.hive is not None:
        options["layout"] = "hive" if first.hive else "aws"
    if first.hourly is not None:
        options["hourly"] = bool(first.hourly)
    unknown = [k for k in ("layout", "hourly", "file_format") if k not in options]
    if unknown:
        options |= _sniff(location, settings, unknown, notes)
    return Resolved(options, notes)


_WORDS = {
    "layout": lambda v: "Hive-compatible prefixes" if v == "hive" else "AWS default prefixes",
    "hourly": lambda v: "hourly partitions" if v else "daily partitions",
    "file_format": lambda v: f"{v} files",
}


def _sniff(
    location: str, settings: AthenaSettings | None, unknown: list[str], notes: list[str]
) -> dict[str, Any]:
    """The options DescribeFlowLogs did not give, from the objects' keys (the most common answer)."""
    listing = objectsmod.list_objects(location, settings, limit=2000)
    logs = [o for o in listing.objects if o.is_flow_log]
    said = ", ".join({"layout": "HiveCompatiblePartitions", "hourly": "PerHourPartition",
                      "file_format": "FileFormat"}[k] for k in unknown)  # fmt: skip
    if not logs:
        notes.append(
            f"DescribeFlowLogs gave no {said} and {location}AWSLogs/ holds no flow-log objects yet: "
            "assuming AWS's defaults (text, AWS prefixes, daily)"
        )
        return {}
    found: dict[str, Any] = {}
    evidence: list[str] = []
    for key in unknown:
        if key == "layout":
            pick = Counter(o.layout.value for o in logs if o.layout).most_common(1)[0][0]
        elif key == "hourly":
            pick = Counter(o.hourly for o in logs).most_common(1)[0][0]
        else:
            pick = Counter(o.file_format.value for o in logs if o.file_format).most_common(1)[0][0]
        found[key] = pick
        evidence.append(_WORDS[key](pick))
    example = max(logs, key=lambda o: o.modified).path
    notes.append(
        f"DescribeFlowLogs gave no {said}: the objects decide ({', '.join(evidence)}; e.g. {example})"
    )
    return found


def others_under(location: str, flow_logs: Sequence[FlowLog], everything: Sequence[FlowLog]) -> list[str]:
    """Notes on other flow logs writing a different format under the same location."""
    ids = {fl.id for fl in flow_logs}
    wanted = flow_logs[0].fields_format
    notes = []
    for other in everything:
        if other.id in ids or other.destination_type != "s3":
            continue
        try:
            where = other.location()
        except ConfigError:
            continue
        if (where.startswith(location) or location.startswith(where)) and other.fields_format != wanted:
            notes.append(
                f"flow log {other.id} also writes under {where} with another format "
                f"({other.fields_format}); the table reads only the objects whose header matches its "
                "columns correctly: give that flow log its own prefix, or its own table"
            )
    return notes


def all_flow_logs(settings: AthenaSettings, client: Any = None) -> list[FlowLog]:
    """Every flow log of the account and Region (for the note on shared prefixes); [] on failure."""
    import botocore.exceptions

    from flowsql import aws

    ec2 = client or aws.client("ec2", settings)
    try:
        pages = ec2.get_paginator("describe_flow_logs").paginate()
        return [FlowLog.from_api(item) for page in pages for item in page.get("FlowLogs", [])]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        return []
