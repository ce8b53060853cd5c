"""The flow-log field catalogue, and parsing of LogFormat strings and file header lines."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flowsql.errors import LogFormatError


@dataclass(frozen=True)
class Field:
    """One flow-log field: its hyphenated name, the version that introduced it, and its column."""

    name: str
    version: int
    text_type: str
    parquet_type: str
    meaning: str
    known: bool = True

    @property
    def column(self) -> str:
        return column_name(self.name)


def column_name(field_name: str) -> str:
    return field_name.replace("-", "_")


def _f(name: str, version: int, text_type: str, meaning: str, parquet_type: str | None = None) -> Field:
    return Field(name, version, text_type, parquet_type or text_type, meaning)


_ECS = [
    ("ecs-cluster-arn", "ARN of the ECS cluster of the task"),
    ("ecs-cluster-name", "name of the ECS cluster of the task"),
    ("ecs-container-instance-arn", "ARN of the ECS container instance (EC2 launch type)"),
    ("ecs-container-instance-id", "ID of the ECS container instance (EC2 launch type)"),
    ("ecs-container-id", "Docker runtime ID of the task's first container"),
    ("ecs-second-container-id", "Docker runtime ID of the task's second container"),
    ("ecs-service-name", "name of the ECS service that started the task"),
    ("ecs-task-definition-arn", "ARN of the task definition"),
    ("ecs-task-arn", "ARN of the ECS task"),
    ("ecs-task-id", "ID of the ECS task"),
]

CATALOGUE: tuple[Field, ...] = (
    _f("version", 2, "int", "flow log record version (the highest version among the chosen fields)"),
    _f("account-id", 2, "string", "AWS account that owns the interface (string: keeps leading zeros)"),
    _f("interface-id", 2, "string", "network interface (eni-…) the traffic was recorded on"),
    _f("srcaddr", 2, "string", "source address (the interface's primary private address when NATed)"),
    _f("dstaddr", 2, "string", "destination address"),
    _f("srcport", 2, "int", "source port (0 for ICMP)"),
    _f("dstport", 2, "int", "destination port (0 for ICMP)"),
    _f("protocol", 2, "bigint", "IANA protocol number: 1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6", "int"),
    _f("packets", 2, "bigint", "packets transferred in the aggregation interval"),
    _f("bytes", 2, "bigint", "bytes transferred in the aggregation interval"),
    _f("start", 2, "bigint", "first packet of the interval, Unix seconds"),
    _f("end", 2, "bigint", "last packet of the interval, Unix seconds"),
    _f("action", 2, "string", "ACCEPT or REJECT by security groups and network ACLs ('-' when no data)"),
    _f("log-status", 2, "string", "OK, NODATA (no traffic) or SKIPDATA (records skipped)"),
    _f("vpc-id", 3, "string", "VPC of the interface"),
    _f("subnet-id", 3, "string", "subnet of the interface"),
    _f("instance-id", 3, "string", "instance of the interface ('-' for requester-managed interfaces)"),
    _f("tcp-flags", 3, "int", "OR of TCP flags in the interval: FIN 1, SYN 2, RST 4, SYN-ACK 18"),
    _f("type", 3, "string", "traffic type: IPv4, IPv6 or EFA"),
    _f("pkt-srcaddr", 3, "string", "packet-level (original) source address"),
    _f("pkt-dstaddr", 3, "string", "packet-level (original) destination address"),
    _f("region", 4, "string", "Region of the interface"),
    _f("az-id", 4, "string", "Availability Zone ID of the interface"),
    _f("sublocation-type", 4, "string", "wavelength, outpost or localzone ('-' otherwise)"),
    _f("sublocation-id", 4, "string", "ID of the sublocation"),
    _f("pkt-src-aws-service", 5, "string", "AWS service of the source address (S3, EC2, …)"),
    _f("pkt-dst-aws-service", 5, "string", "AWS service of the destination address"),
    _f("flow-direction", 5, "string", "ingress or egress, relative to the interface"),
    _f("traffic-path", 5, "int", "egress path: 1 same VPC … 8 internet gateway (Nitro)"),
    *(_f(name, 7, "string", meaning) for name, meaning in _ECS),
    _f("reject-reason", 8, "string", "why traffic was rejected (BPA: VPC Block Public Access)"),
)

# Transit gateway flow logs (version 6): the fields only they write. They share the others with VPC
# flow logs (version, account-id, srcaddr … log-status, type, tcp-flags, region, flow-direction,
# pkt-*-aws-service) and write no action, interface-id or vpc-id. AWS documents the Parquet types;
# in text every value is a string, typed here like the VPC fields (counters bigint).
TRANSIT_GATEWAY: tuple[Field, ...] = (
    _f("resource-type", 6, "string", "the resource the flow log subscribes to: TransitGateway"),
    _f("tgw-id", 6, "string", "transit gateway whose traffic is recorded"),
    _f("tgw-attachment-id", 6, "string", "attachment on which the traffic is recorded"),
    _f("tgw-src-vpc-account-id", 6, "string", "account of the source VPC"),
    _f("tgw-dst-vpc-account-id", 6, "string", "account of the destination VPC"),
    _f("tgw-src-vpc-id", 6, "string", "source VPC"),
    _f("tgw-dst-vpc-id", 6, "string", "destination VPC"),
    _f("tgw-src-subnet-id", 6, "string", "subnet of the source traffic"),
    _f("tgw-dst-subnet-id", 6, "string", "subnet of the destination traffic"),
    _f("tgw-src-eni", 6, "string", "source attachment ENI of the flow"),
    _f("tgw-dst-eni", 6, "string", "destination attachment ENI of the flow"),
    _f("tgw-src-az-id", 6, "string", "Availability Zone ID of the source ('-' from a sublocation)"),
    _f("tgw-dst-az-id", 6, "string", "Availability Zone ID of the destination"),
    _f("tgw-pair-attachment-id", 6, "string", "the other attachment of the flow (egress or ingress)"),
    _f("packets-lost-no-route", 6, "bigint", "packets dropped: no route to the destination"),
    _f("packets-lost-blackhole", 6, "bigint", "packets dropped by a blackhole route"),
    _f("packets-lost-mtu-exceeded", 6, "bigint", "packets dropped: larger than the MTU"),
    _f("packets-lost-ttl-expired", 6, "bigint", "packets dropped: time-to-live expired"),
)

BY_NAME: dict[str, Field] = {f.name: f for f in (*CATALOGUE, *TRANSIT_GATEWAY)}
BY_COLUMN: dict[str, Field] = {f.column: f for f in (*CATALOGUE, *TRANSIT_GATEWAY)}

DEFAULT_FORMAT: tuple[str, ...] = tuple(f.name for f in CATALOGUE if f.version == 2)
# Every field flowsql knows: the VPC fields (versions 2-8), then the transit gateway ones.
ALL_FIELDS: tuple[str, ...] = tuple(f.name for f in (*CATALOGUE, *TRANSIT_GATEWAY))

# A transit gateway flow log's default format: every version 2-6 field it can write, in AWS's order.
TGW_DEFAULT_FORMAT: tuple[str, ...] = (
    "version", "resource-type", "account-id", "tgw-id", "tgw-attachment-id",
    "tgw-src-vpc-account-id", "tgw-dst-vpc-account-id", "tgw-src-vpc-id", "tgw-dst-vpc-id",
    "tgw-src-subnet-id", "tgw-dst-subnet-id", "tgw-src-eni", "tgw-dst-eni", "tgw-src-az-id",
    "tgw-dst-az-id", "tgw-pair-attachment-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
    "packets", "bytes", "start", "end", "log-status", "type", "packets-lost-no-route",
    "packets-lost-blackhole", "packets-lost-mtu-exceeded", "packets-lost-ttl-expired", "tcp-flags",
    "region", "flow-direction", "pkt-src-aws-service", "pkt-dst-aws-service",
)  # fmt: skip

# Words Athena's query engine (Trino) rejects as bare identifiers, limited to the ones a
# flow-log column or partition column could plausibly be named.
QUERY_RESERVED = frozenset(
    {"end", "case", "cast", "date", "time", "table", "values", "user", "select", "from", "where"}
)

_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


def lookup(name: str) -> Field:
    """The catalogue entry, or a string column for a field this version of flowsql does not know."""
    known = BY_NAME.get(name)
    if known is not None:
        return known
    return Field(name, 0, "string", "string", "field unknown to flowsql: read as text", known=False)


def quote_query(column: str) -> str:
    """A column as Athena SQL (Trino) spells it: double quotes only where the word is reserved."""
    return f'"{column}"' if column in QUERY_RESERVED else column


def quote_ddl(column: str) -> str:
    """A column in Hive DDL: always backticks, since Hive's reserved list (start, end, date…) is long."""
    return f"`{column}`"


def _check_names(names: Sequence[str], source: str) -> tuple[Field, ...]:
    if not names:
        raise LogFormatError(f"{source} is empty", hint="expected fields such as ${version} ${srcaddr}")
    seen: set[str] = set()
    for name in names:
        if not _NAME.match(name):
            raise LogFormatError(
                f"{source}: {name!r} is not a flow-log field name",
                hint="field names are lowercase words joined by hyphens, e.g. pkt-srcaddr",
            )
        if name in seen:
            raise LogFormatError(f"{source}: field {name!r} appears twice")
        seen.add(name)
    return tuple(lookup(n) for n in names)


def parse_log_format(text: str) -> tuple[Field, ...]:
    """Fields of a LogFormat string like '${version} ${srcaddr} ${dstaddr}', in order."""
    tokens = text.split()
    names = []
    for token in tokens:
        if token.startswith("${") and token.endswith("}") and token.count("${") == 1:
            names.append(token[2:-1])
            continue
        if token.startswith("${") and "}" not in token:
            raise LogFormatError(f"log format: {token!r} opens '${{' without a closing '}}'")
        raise LogFormatError(
            f"log format: {token!r} is not a ${{field}} token",
            hint="write each field as ${name}, separated by spaces: '${version} ${srcaddr} …'",
        )
    return _check_names(names, "log format")


def parse_header(line: str, source: str = "header line") -> tuple[Field, ...]:
    """Fields of a text file's first line ('version account-id interface-id …')."""
    return _check_names(line.split(), source)


def format_string(fields: Iterable[Field]) -> str:
    """The LogFormat string AWS would show for these fields."""
    return " ".join("${" + f.name + "}" for f in fields)


def record_version(fields: Iterable[Field]) -> int:
    return max((f.version for f in fields), default=2)
