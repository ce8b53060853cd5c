"""Evidence from CloudWatch Logs: how long the log group of each CloudWatch Logs flow log keeps its
events (DescribeLogGroups retentionInDays; absent means never expire)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flowsql.compliance.evidence_ec2 import FlowLogInfo
from flowsql.config import AthenaSettings


@dataclass(frozen=True)
class LogGroupRetention:
    flow_log: str
    region: str
    group: str
    days: int | None  # None: events never expire
    error: str | None = None


def group_name(destination: str) -> str:
    """The log group's name from a name or an ARN (arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*])."""
    if destination.startswith("arn:") and ":log-group:" in destination:
        name = destination.split(":log-group:", 1)[1]
        return name[:-2] if name.endswith(":*") else name
    return destination


def retention_of(
    flow_logs: Sequence[FlowLogInfo], settings: AthenaSettings, session: Any
) -> list[LogGroupRetention]:
    """The retention of the log group of every active CloudWatch Logs flow log given."""
    import botocore.exceptions

    from flowsql import aws

    found = []
    for fl in flow_logs:
        if not (fl.active and fl.destination_type == "cloud-watch-logs" and fl.destination):
            continue
        name = group_name(fl.destination)
        try:
            logs = session.client("logs", region_name=fl.region, endpoint_url=settings.endpoint_url or None)
            groups = logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
        except botocore.exceptions.ClientError as exc:
            found.append(LogGroupRetention(fl.id, fl.region, name, None, aws.describe_client_error(exc)))
            continue
        except botocore.exceptions.BotoCoreError as exc:
            found.append(LogGroupRetention(fl.id, fl.region, name, None, str(exc)))
            continue
        group = next((g for g in groups if g.get("logGroupName") == name), None)
        if group is None:
            found.append(LogGroupRetention(fl.id, fl.region, name, None, "the log group does not exist"))
        else:
            found.append(LogGroupRetention(fl.id, fl.region, name, group.get("retentionInDays")))
    return found
