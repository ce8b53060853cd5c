"""The inventory tables: names, columns and Athena types. Queries reach them only through the
trusted `{{ inventory('interfaces') }}` helper, which names `"<database>"."inventory_interfaces"`,
the table flowsql creates next to the flow-log table (a DuckDB view over Parquet files locally).

Lists are normalised into their own tables (an interface's addresses, its security groups) so every
column is a plain scalar that Athena, DuckDB and the validator type the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowsql.tables.spec import TableSpec

PREFIX = "inventory_"

TABLES: dict[str, dict[str, str]] = {
    "interfaces": {
        "interface_id": "string",
        "interface_type": "string",
        "requester_managed": "boolean",
        "requester_id": "string",
        "aws_service": "string",
        "instance_id": "string",
        "name": "string",
        "description": "string",
        "subnet_id": "string",
        "vpc_id": "string",
        "availability_zone": "string",
        "az_id": "string",
        "private_ip": "string",
        "public_ip": "string",
        "owner_id": "string",
        "region": "string",
        "status": "string",
    },
    # Every address of an interface: its private IPv4 addresses, IPv6 addresses, public addresses.
    "addresses": {"address": "string", "interface_id": "string", "kind": "string"},
    "interface_groups": {"interface_id": "string", "group_id": "string"},
    "security_groups": {
        "group_id": "string",
        "group_name": "string",
        "vpc_id": "string",
        "description": "string",
        "owner_id": "string",
    },
    # protocol: the IANA number, -1 for all traffic; ports -1 when the rule covers all of them.
    "security_group_rules": {
        "rule_id": "string",
        "group_id": "string",
        "is_egress": "boolean",
        "ip_protocol": "string",
        "protocol": "int",
        "from_port": "int",
        "to_port": "int",
        "cidr_ipv4": "string",
        "cidr_ipv6": "string",
        "prefix_list_id": "string",
        "referenced_group_id": "string",
        "description": "string",
    },
    "subnets": {
        "subnet_id": "string",
        "vpc_id": "string",
        "cidr_ipv4": "string",
        "availability_zone": "string",
        "az_id": "string",
        "name": "string",
    },
    # One row per CIDR block of a VPC (IPv4 and IPv6).
    "vpcs": {"vpc_id": "string", "cidr": "string", "name": "string", "is_default": "boolean"},
    # One row per address (interface) of a NAT gateway.
    "nat_gateways": {
        "nat_gateway_id": "string",
        "interface_id": "string",
        "private_ip": "string",
        "public_ip": "string",
        "subnet_id": "string",
        "vpc_id": "string",
        "state": "string",
        "connectivity_type": "string",
    },
    # AWS's ip-ranges.json: the same prefix appears under AMAZON and under its specific service.
    "ip_ranges": {
        "prefix": "string",
        "prefix_length": "int",
        "ip_version": "string",
        "service": "string",
        "region": "string",
        "network_border_group": "string",
    },
}

NAMES: tuple[str, ...] = tuple(TABLES)


def table_name(name: str) -> str:
    return PREFIX + name


def schema() -> dict[str, dict[str, str]]:
    """{table name in the database: {column: Athena type}} for the validator and the translator."""
    return {table_name(name): dict(columns) for name, columns in TABLES.items()}


def full_schema(spec: TableSpec) -> dict[str, dict[str, dict[str, str]]]:
    """What a query may name: the flow-log table and the inventory tables beside it."""
    return {spec.database: {**schema(), spec.table: spec.schema()}}
