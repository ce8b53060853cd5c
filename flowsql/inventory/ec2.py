"""An inventory snapshot taken from EC2's Describe* APIs, every list through a boto3 paginator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from flowsql.inventory.snapshot import Snapshot

# Protocol names DescribeSecurityGroupRules uses, as IANA numbers ("-1" is all traffic).
PROTOCOLS = {"-1": -1, "all": -1, "tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "58": 58}

# The AWS service behind a requester-managed interface: by interface type first, then by the
# requester, then by the description AWS writes on it.
_BY_TYPE = {
    "nat_gateway": "NAT gateway",
    "natgateway": "NAT gateway",
    "vpc_endpoint": "VPC endpoint",
    "gateway_load_balancer_endpoint": "VPC endpoint",
    "load_balancer": "Elastic Load Balancing",
    "network_load_balancer": "Elastic Load Balancing",
    "gateway_load_balancer": "Elastic Load Balancing",
    "lambda": "Lambda",
    "transit_gateway": "Transit Gateway",
    "api_gateway_managed": "API Gateway",
    "global_accelerator_managed": "Global Accelerator",
    "quicksight": "QuickSight",
    "ec2_instance_connect_endpoint": "EC2 Instance Connect Endpoint",
    "iot_rules_managed": "IoT",
    "aws_codestar_connections_managed": "CodeStar Connections",
}
_BY_REQUESTER = {
    "amazon-elb": "Elastic Load Balancing",
    "amazon-rds": "RDS",
    "amazon-elasticache": "ElastiCache",
    "amazon-redshift": "Redshift",
    "amazon-elasticsearch": "OpenSearch",
    "amazon-efs": "EFS",
}
_BY_DESCRIPTION = (
    ("Interface for NAT Gateway", "NAT gateway"),
    ("RDSNetworkInterface", "RDS"),
    ("ELB ", "Elastic Load Balancing"),
    ("AWS Lambda VPC ENI", "Lambda"),
    ("arn:aws:ecs:", "ECS"),
    ("EFS mount target", "EFS"),
    ("VPC Endpoint Interface", "VPC endpoint"),
    ("Network Interface for Transit Gateway", "Transit Gateway"),
)


def aws_service(interface_type: str | None, requester_id: str | None, description: str | None) -> str | None:
    """The AWS service that owns an interface, or None for an ordinary instance interface."""
    kind = (interface_type or "").lower()
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    if requester_id in _BY_REQUESTER:
        return _BY_REQUESTER[requester_id]
    for prefix, service in _BY_DESCRIPTION:
        if (description or "").startswith(prefix):
            return service
    return None


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key) or []


def _name(tags: list[dict[str, str]] | None) -> str | None:
    return next((t.get("Value") for t in tags or [] if t.get("Key") == "Name"), None)


def _port(value: Any) -> int | None:
    return None if value is None else int(value)


def take(client: Any, *, region: str, now: datetime | None = None) -> Snapshot:
    """Everything the investigations join against, from one Region's EC2 client."""
    import botocore.exceptions

    from flowsql import aws
    from flowsql.errors import ConfigError

    taken = now or datetime.now(timezone.utc)
    try:
        tables = _collect(client, region)
    except botocore.exceptions.ClientError as exc:
        raise ConfigError(
            f"EC2 refused the inventory snapshot in {region}: {aws.describe_client_error(exc)}",
            hint="the snapshot needs ec2:DescribeNetworkInterfaces, DescribeInstances, "
            "DescribeSecurityGroups, DescribeSecurityGroupRules, DescribeSubnets, DescribeVpcs and "
            "DescribeNatGateways",
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise ConfigError(f"cannot reach EC2 in {region}: {exc}") from None
    return Snapshot(taken, tables, {"regions": [region]})


def _collect(client: Any, region: str) -> dict[str, list[dict[str, Any]]]:
    names = {}
    for reservation in _pages(client, "describe_instances", "Reservations"):
        for instance in reservation.get("Instances") or []:
            names[instance["InstanceId"]] = _name(instance.get("Tags"))
    subnets = []
    subnet_az: dict[str, tuple[str | None, str | None]] = {}
    for s in _pages(client, "describe_subnets", "Subnets"):
        subnet_az[s["SubnetId"]] = (s.get("AvailabilityZone"), s.get("AvailabilityZoneId"))
        subnets.append(
            {
                "subnet_id": s["SubnetId"], "vpc_id": s.get("VpcId"), "cidr_ipv4": s.get("CidrBlock"),
                "availability_zone": s.get("AvailabilityZone"), "az_id": s.get("AvailabilityZoneId"),
                "name": _name(s.get("Tags")),
            }
        )  # fmt: skip
    vpcs = []
    for v in _pages(client, "describe_vpcs", "Vpcs"):
        blocks = [b.get("CidrBlock") for b in v.get("CidrBlockAssociationSet") or []] or [v.get("CidrBlock")]
        blocks += [b.get("Ipv6CidrBlock") for b in v.get("Ipv6CidrBlockAssociationSet") or []]
        for cidr in dict.fromkeys(b for b in blocks if b):
            vpcs.append(
                {"vpc_id": v["VpcId"], "cidr": cidr, "name": _name(v.get("Tags")),
                 "is_default": bool(v.get("IsDefault"))}
            )  # fmt: skip
    interfaces, addresses, memberships = [], [], []
    for ni in _pages(client, "describe_network_interfaces", "NetworkInterfaces"):
        eni = ni["NetworkInterfaceId"]
        attachment = ni.get("Attachment") or {}
        instance = attachment.get("InstanceId")
        association = ni.get("Association") or {}
        az_name, az_id = subnet_az.get(ni.get("SubnetId") or "", (None, None))
        interfaces.append(
            {
                "interface_id": eni,
                "interface_type": ni.get("InterfaceType"),
                "requester_managed": bool(ni.get("RequesterManaged")),
                "requester_id": ni.get("RequesterId"),
                "aws_service": aws_service(
                    ni.get("InterfaceType"), ni.get("RequesterId"), ni.get("Description")
                ),
                "instance_id": instance,
                "name": names.get(instance) if instance else _name(ni.get("TagSet")),
                "description": ni.get("Description") or None,
                "subnet_id": ni.get("SubnetId"),
                "vpc_id": ni.get("VpcId"),
                "availability_zone": ni.get("AvailabilityZone") or az_name,
                "az_id": az_id,
                "private_ip": ni.get("PrivateIpAddress"),
                "public_ip": association.get("PublicIp"),
                "owner_id": ni.get("OwnerId"),
                "region": region,
                "status": ni.get("Status"),
            }
        )
        seen: set[tuple[str, str]] = set()
        for private in ni.get("PrivateIpAddresses") or []:
            seen.add((private["PrivateIpAddress"], "private"))
            public = (private.get("Association") or {}).get("PublicIp")
            if public:
                seen.add((public, "public"))
        if ni.get("PrivateIpAddress"):
            seen.add((ni["PrivateIpAddress"], "private"))
        if association.get("PublicIp"):
            seen.add((association["PublicIp"], "public"))
        for v6 in ni.get("Ipv6Addresses") or []:
            seen.add((v6["Ipv6Address"], "ipv6"))
        addresses += [{"address": a, "interface_id": eni, "kind": k} for a, k in sorted(seen)]
        memberships += [{"interface_id": eni, "group_id": g["GroupId"]} for g in ni.get("Groups") or []]
    groups = [
        {"group_id": g["GroupId"], "group_name": g.get("GroupName"), "vpc_id": g.get("VpcId"),
         "description": g.get("Description"), "owner_id": g.get("OwnerId")}
        for g in _pages(client, "describe_security_groups", "SecurityGroups")
    ]  # fmt: skip
    rules = [_rule(r) for r in _pages(client, "describe_security_group_rules", "SecurityGroupRules")]
    nats = []
    for nat in _pages(client, "describe_nat_gateways", "NatGateways"):
        for address in nat.get("NatGatewayAddresses") or []:
            nats.append(
                {
                    "nat_gateway_id": nat["NatGatewayId"], "interface_id": address.get("NetworkInterfaceId"),
                    "private_ip": address.get("PrivateIp"), "public_ip": address.get("PublicIp"),
                    "subnet_id": nat.get("SubnetId"), "vpc_id": nat.get("VpcId"), "state": nat.get("State"),
                    "connectivity_type": nat.get("ConnectivityType"),
                }
            )  # fmt: skip
    return {
        "interfaces": interfaces, "addresses": addresses, "interface_groups": memberships,
        "security_groups": groups, "security_group_rules": rules, "subnets": subnets, "vpcs": vpcs,
        "nat_gateways": nats,
    }  # fmt: skip


def _rule(r: dict[str, Any]) -> dict[str, Any]:
    protocol = str(r.get("IpProtocol", "-1")).lower()
    number = PROTOCOLS.get(protocol)
    if number is None:
        number = int(protocol) if protocol.lstrip("-").isdigit() else None
    referenced = r.get("ReferencedGroupInfo") or {}
    return {
        "rule_id": r.get("SecurityGroupRuleId"),
        "group_id": r.get("GroupId"),
        "is_egress": bool(r.get("IsEgress")),
        "ip_protocol": protocol,
        "protocol": number,
        "from_port": _port(r.get("FromPort")),
        "to_port": _port(r.get("ToPort")),
        "cidr_ipv4": r.get("CidrIpv4"),
        "cidr_ipv6": r.get("CidrIpv6"),
        "prefix_list_id": r.get("PrefixListId"),
        "referenced_group_id": referenced.get("GroupId"),
        "description": r.get("Description") or None,
    }
