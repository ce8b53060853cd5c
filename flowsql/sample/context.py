"""The context of the sample network: the inventory that matches it (interfaces, security groups
and rules, subnets, the VPC, the NAT gateway, AWS IP ranges for its S3, DynamoDB and EC2 peers) and
the cases planted for the context investigations:

- an unused rule (AMQP from the VPC on the app tier's group: nothing ever connects);
- a rule open to the world (WinRM over HTTPS, 5986, from 0.0.0.0/0) used by two sources only;
- S3 downloads through the NAT gateway (a gateway endpoint would carry them for free);
- cross-AZ chatter (the app tier's Redis replication between two zones);
- a new destination on the last day (an app host calling an address never seen before).
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flowsql.inventory.snapshot import Snapshot
from flowsql.sample.incidents import Clock, Planted, _counts, _eph, _moment
from flowsql.sample.network import TCP, World, hex_id, public_ipv4, record

UNUSED_PORT = 5672
OPEN_PORT = 5986

# Each group: (name, members by role prefix, inbound rules). A rule is (protocol, from, to, source),
# the source a CIDR ("vpc", "vpc6" for the VPC's own), a group name, or "office" for the office's /32.
GROUPS: tuple[tuple[str, tuple[str, ...], tuple[tuple[str, int, int, str], ...]], ...] = (
    ("web", ("web",), (("tcp", 443, 443, "0.0.0.0/0"), ("tcp", 443, 443, "::/0"),
                       ("tcp", 80, 80, "0.0.0.0/0"), ("icmp", -1, -1, "vpc"), ("58", -1, -1, "vpc6"))),
    ("bastion", ("bastion",), (("tcp", 22, 22, "192.168.0.0/16"), ("tcp", 22, 22, "office"))),
    ("windows", ("win",), (("tcp", 3389, 3389, "office"), ("tcp", OPEN_PORT, OPEN_PORT, "0.0.0.0/0"))),
    ("app", ("app1", "app2", "app3", "batch", "idle", "edge"),
     (("tcp", 8080, 8080, "web"), ("tcp", 6379, 6379, "app"), ("tcp", UNUSED_PORT, UNUSED_PORT, "vpc"))),
    ("reports", ("app4",), ()),
    ("db", ("db1", "db2"), (("tcp", 5432, 5432, "app"), ("tcp", 3306, 3306, "app"))),
    ("mysql-public", ("db2",), (("tcp", 3306, 3306, "0.0.0.0/0"),)),
    ("ecs", ("ecs",), (("tcp", 9000, 9000, "ecs"), ("tcp", 8080, 8080, "web"))),
)  # fmt: skip

# AWS IP ranges covering the sample's AWS peers: (prefix, service, Region or None for the world's).
RANGES: tuple[tuple[str, str], ...] = (
    ("52.216.0.0/15", "AMAZON"), ("52.216.0.0/15", "S3"), ("2600:1fa0:8000::/40", "AMAZON"),
    ("2600:1fa0:8000::/40", "S3"), ("52.94.0.0/21", "AMAZON"), ("52.94.0.0/21", "DYNAMODB"),
    ("54.144.0.0/12", "AMAZON"), ("54.144.0.0/12", "EC2"), ("54.160.0.0/11", "AMAZON"),
    ("54.160.0.0/11", "EC2"), ("54.192.0.0/12", "AMAZON"), ("54.208.0.0/13", "EC2"),
    ("54.224.0.0/12", "EC2"),
)  # fmt: skip


@dataclass(frozen=True)
class Context:
    """The cases planted for the context investigations, in the first account and Region."""

    unused_rule: Planted
    open_rule: Planted
    nat_s3: Planted
    cross_az: Planted
    new_destination: Planted
    nat_gateway_id: str

    def all(self) -> list[Planted]:
        return [self.unused_rule, self.open_rule, self.nat_s3, self.cross_az, self.new_destination]


def _zone(world: World, az_id: str) -> str:
    return world.region + "abcdef"[world.azs.index(az_id)]


def _vpc_cidrs(world: World) -> tuple[str, str]:
    v6 = ipaddress.IPv6Network(((0xFD5E << 112) | (world.net << 80), 48))
    return f"10.{world.net}.0.0/16", str(v6)


def nat_gateway_id(world: World) -> str:
    return "nat-" + hex_id(random.Random(f"nat:{world.vpc}"))


def snapshot(worlds: list[World], taken_at: datetime) -> Snapshot:
    """The inventory of every sample VPC, as `flowsql inventory refresh` would have taken it."""
    tables: dict[str, list[dict[str, Any]]] = {}

    def add(table: str, **row: Any) -> None:
        tables.setdefault(table, []).append(row)

    for w in worlds:
        rng = random.Random(f"inventory:{w.vpc}")
        v4, v6 = _vpc_cidrs(w)
        add("vpcs", vpc_id=w.vpc, cidr=v4, name="shop", is_default=False)
        add("vpcs", vpc_id=w.vpc, cidr=v6, name="shop", is_default=False)
        for name, (subnet_id, az, third) in w.subnets.items():
            add("subnets", subnet_id=subnet_id, vpc_id=w.vpc, cidr_ipv4=f"10.{w.net}.{third}.0/24",
                availability_zone=_zone(w, az), az_id=az, name=name)  # fmt: skip
        nat = w.role("nat")
        nat_public = public_ipv4(rng)
        group_ids = {name: "sg-" + hex_id(rng) for name, _, _ in GROUPS}
        for role, iface in w.interfaces.items():
            ecs = role.startswith("ecs")
            kind, service, description = "interface", None, None
            if role == "nat":
                kind, service = "nat_gateway", "NAT gateway"
                description = f"Interface for NAT Gateway {nat_gateway_id(w)}"
            elif ecs:
                service = "ECS"
                description = f"arn:aws:ecs:{w.region}:{w.account}:attachment/{hex_id(rng, 32)}"
            add(
                "interfaces", interface_id=iface.eni, interface_type=kind,
                requester_managed=role == "nat" or ecs,
                requester_id="amazon-vpc" if role == "nat" else (hex_id(rng, 21).upper() if ecs else None),
                aws_service=service, instance_id=iface.instance,
                name=None if iface.instance is None else role,
                description=description, subnet_id=iface.subnet, vpc_id=w.vpc,
                availability_zone=_zone(w, iface.az), az_id=iface.az, private_ip=iface.ipv4,
                public_ip=nat_public if role == "nat" else None, owner_id=w.account, region=w.region,
                status="in-use",
            )  # fmt: skip
            add("addresses", address=iface.ipv4, interface_id=iface.eni, kind="private")
            if iface.ipv6:
                add("addresses", address=iface.ipv6, interface_id=iface.eni, kind="ipv6")
        add("addresses", address=nat_public, interface_id=nat.eni, kind="public")
        add("nat_gateways", nat_gateway_id=nat_gateway_id(w), interface_id=nat.eni, private_ip=nat.ipv4,
            public_ip=nat_public, subnet_id=nat.subnet, vpc_id=w.vpc, state="available",
            connectivity_type="public")  # fmt: skip
        for name, members, rules in GROUPS:
            gid = group_ids[name]
            add("security_groups", group_id=gid, group_name=name, vpc_id=w.vpc,
                description=f"{name} tier", owner_id=w.account)  # fmt: skip
            for role, iface in w.interfaces.items():
                if any(role == m or (m in ("web", "ecs") and role.startswith(m)) for m in members):
                    add("interface_groups", interface_id=iface.eni, group_id=gid)
            for protocol, low, high, source in rules:
                cidr4 = cidr6 = referenced = None
                if source == "vpc":
                    cidr4 = v4
                elif source == "vpc6":
                    cidr6 = v6
                elif source == "office":
                    cidr4 = f"{w.office}/32"
                elif source in group_ids:
                    referenced = group_ids[source]
                elif ":" in source:
                    cidr6 = source
                else:
                    cidr4 = source
                number = {"tcp": 6, "udp": 17, "icmp": 1, "58": 58, "-1": -1}[protocol]
                add("security_group_rules", rule_id="sgr-" + hex_id(rng), group_id=gid, is_egress=False,
                    ip_protocol=protocol, protocol=number, from_port=low, to_port=high, cidr_ipv4=cidr4,
                    cidr_ipv6=cidr6, prefix_list_id=None, referenced_group_id=referenced,
                    description=None)  # fmt: skip
            add("security_group_rules", rule_id="sgr-" + hex_id(rng), group_id=gid, is_egress=True,
                ip_protocol="-1", protocol=-1, from_port=-1, to_port=-1, cidr_ipv4="0.0.0.0/0",
                cidr_ipv6=None, prefix_list_id=None, referenced_group_id=None, description=None)  # fmt: skip
    regions = sorted({w.region for w in worlds})
    for region in regions:
        for prefix, service in RANGES:
            network = ipaddress.ip_network(prefix)
            add("ip_ranges", prefix=prefix, prefix_length=network.prefixlen,
                ip_version=f"IPv{network.version}", service=service, region=region,
                network_border_group=region)  # fmt: skip
    source = {"regions": regions, "written_by": "flowsql sample", "ip_ranges": "flowsql sample"}
    return Snapshot(taken_at, tables, source)


def plant(world: World, rng: random.Random, clock: Clock) -> tuple[list[dict[str, Any]], Context]:
    """Explicit records for the context cases (fixed volumes, whatever the sample's size)."""
    w = world
    acct, region = w.account, w.region
    rows: list[dict[str, Any]] = []
    home, new = public_ipv4(rng), public_ipv4(rng)
    s3 = [f"52.217.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(3)]

    def summary(kind: str, text: str, recs: list[dict[str, Any]], **kw: Any) -> Planted:
        rows.extend(recs)
        starts = [r["start"] for r in recs] or [clock.first]
        return Planted(
            kind, text, acct, region, records=len(recs), bytes=sum(r["bytes"] or 0 for r in recs),
            first_start=_moment(min(starts)), last_start=_moment(max(starts)), **kw,
        )  # fmt: skip

    app = next(g for g in GROUPS if g[0] == "app")
    unused = summary(
        "unused_rule", f"the {app[0]} group allows TCP {UNUSED_PORT} (AMQP) from the VPC; nothing uses it",
        [], port=UNUSED_PORT,
    )  # fmt: skip

    # WinRM over HTTPS, open to the world, used by the office and one administrator's home address.
    win = w.role("win")
    recs = []
    for n in range(12):
        client = (w.office, home)[n % 2]
        port = _eph(rng)
        near = clock.at((n + 0.5) / 12)
        inbound = record(win, "ingress", client, win.ipv4, port, OPEN_PORT, TCP, flags=3)
        reply = record(win, "egress", win.ipv4, client, OPEN_PORT, port, TCP, flags=19, path=8)
        recs.append(clock.place(_counts(inbound, rng, (10, 60), (80, 400)), near, 60))
        recs.append(clock.place(_counts(reply, rng, (10, 60), (200, 1400)), near, 60))
    open_rule = summary(
        "open_rule", f"WinRM (TCP {OPEN_PORT}) on {win.ipv4} is open to 0.0.0.0/0 but used only by "
        f"{w.office} and {home}", recs, targets=(w.office, home), port=OPEN_PORT, interfaces=(win.eni,),
    )  # fmt: skip

    # S3 downloads by the batch host through the NAT gateway: on the NAT's interface the VPC side
    # shows the S3 address in pkt-srcaddr/pkt-dstaddr, the internet side the S3 address itself.
    batch, nat = w.role("batch"), w.role("nat")
    recs = []
    for n in range(12):
        peer = s3[n % len(s3)]
        port = _eph(rng)
        near = clock.at((n + 0.5) / 12)
        ask = (30, 40), (100, 300)
        data = (54_000, 54_000), (1400, 1400)
        for values, counts in (
            (
                record(batch, "egress", batch.ipv4, peer, port, 443, TCP, flags=3, dst_service="S3", path=1),
                ask,
            ),
            (record(batch, "ingress", peer, batch.ipv4, 443, port, TCP, flags=19, src_service="S3"), data),
            (record(nat, "ingress", batch.ipv4, nat.ipv4, port, 443, TCP, flags=3, pkt_dst=peer), ask),
            (record(nat, "egress", nat.ipv4, peer, port, 443, TCP, flags=3, dst_service="S3", path=8), ask),
            (record(nat, "ingress", peer, nat.ipv4, 443, port, TCP, flags=19, src_service="S3"), data),
            (
                record(nat, "egress", nat.ipv4, batch.ipv4, 443, port, TCP, flags=19, pkt_src=peer, path=1),
                data,
            ),
        ):
            recs.append(clock.place(_counts(values, rng, *counts), near, 120))
    nat_s3 = summary(
        "nat_s3", f"{batch.ipv4} downloads from S3 through the NAT gateway {nat_gateway_id(w)} "
        "(an S3 gateway endpoint would carry it for free)", recs,
        source=batch.ipv4, targets=tuple(s3), interfaces=(nat.eni,), port=443,
    )  # fmt: skip

    # Redis replication between two Availability Zones (app1 in one, app2 in another).
    app1, app2 = w.role("app1"), w.role("app2")
    recs = []
    for n in range(8):
        port = _eph(rng)
        near = clock.at((n + 0.5) / 8)
        data = (75_000, 75_000), (1400, 1400)
        ack = (300, 400), (60, 60)
        for values, counts in (
            (record(app1, "egress", app1.ipv4, app2.ipv4, port, 6379, TCP, flags=3, path=1), data),
            (record(app2, "ingress", app1.ipv4, app2.ipv4, port, 6379, TCP, flags=3), data),
            (record(app2, "egress", app2.ipv4, app1.ipv4, 6379, port, TCP, flags=19, path=1), ack),
            (record(app1, "ingress", app2.ipv4, app1.ipv4, 6379, port, TCP, flags=19), ack),
        ):
            recs.append(clock.place(_counts(values, rng, *counts), near, 300))
    cross_az = summary(
        "cross_az", f"{app1.ipv4} ({app1.az}) replicates Redis to {app2.ipv4} ({app2.az})", recs,
        source=app1.ipv4, targets=(app2.ipv4,), port=6379, interfaces=(app1.eni, app2.eni),
    )  # fmt: skip

    # On the last day only, app3 starts calling an address it never called before.
    app3 = w.role("app3")
    recs = []
    last_day = clock.last - 86400
    for n in range(6):
        values = record(app3, "egress", app3.ipv4, new, _eph(rng), 8443, TCP, flags=3, path=8)
        near = last_day + 3600 + n * 12000
        recs.append(clock.place(_counts(values, rng, (20, 80), (200, 1400)), near, 30))
    recs = [r for r in recs if r["start"] >= last_day]
    new_destination = summary(
        "new_destination", f"{app3.ipv4} calls {new}:8443 on the last day only", recs,
        source=app3.ipv4, targets=(new,), port=8443,
    )  # fmt: skip
    return rows, Context(unused, open_rule, nat_s3, cross_az, new_destination, nat_gateway_id(w))
