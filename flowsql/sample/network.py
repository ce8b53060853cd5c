"""The small network the sample flow logs describe: its interfaces, the record templates its ordinary
traffic is drawn from, and the builders of single records.

Pure Python and deterministic for a seed. *Templates* are one flow record each, minus its times and
counters, with a weight and ranges from which the bulk of the records is drawn in DuckDB. Records are
dicts keyed by column name holding every catalogue column; None is what the files show as '-'.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any

from flowsql.tables import fields as flowfields

COLUMNS: tuple[str, ...] = tuple(f.column for f in flowfields.CATALOGUE)
INT_COLUMNS = frozenset(f.column for f in flowfields.CATALOGUE if f.text_type in ("int", "bigint"))
# Fields that describe the flow rather than the interface: '-' on NODATA and SKIPDATA lines.
FLOW_COLUMNS = frozenset(
    {
        "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action",
        "tcp_flags", "type", "pkt_srcaddr", "pkt_dstaddr", "pkt_src_aws_service",
        "pkt_dst_aws_service", "flow_direction", "traffic_path", "reject_reason",
    }
)  # fmt: skip

TCP, UDP, ICMP, ICMPV6, GRE, ESP = 6, 17, 1, 58, 47, 50
# tcp-flags as AWS reports them, OR-ed over the aggregation interval (ACK and PSH alone are 0).
CLIENT_FLAGS = (3, 3, 3, 2, 0, 1, 7)  # SYN+FIN, SYN, nothing new, FIN, SYN+RST+FIN
SERVER_FLAGS = (19, 19, 19, 18, 0, 1, 5)  # SYN-ACK+FIN, SYN-ACK, nothing new, FIN, FIN+RST
EPHEMERAL = -1  # a template port drawn per record from 32768-60999

UTC = timezone.utc


def hex_id(rng: random.Random, digits: int = 17) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def az_prefix(region: str) -> str:
    """'us-east-1' -> 'use1', the prefix of AZ ids such as use1-az4."""
    parts = region.split("-")
    return parts[0] + "".join(p[0] for p in parts[1:-1]) + parts[-1]


def is_private(address: str | None) -> bool | None:
    """The RFC 1918 + ULA rule flowsql's SQL uses; None for a missing address."""
    if address is None:
        return None
    ip = ipaddress.ip_address(address)
    return any(ip in net for net in _PRIVATE if net.version == ip.version)


_PRIVATE = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)


@dataclass(frozen=True)
class Interface:
    """One network interface of the sample VPC, and what the flow log says about it."""

    eni: str
    role: str
    ipv4: str
    ipv6: str | None
    instance: str | None
    subnet: str
    vpc: str
    az: str
    account: str
    region: str
    sublocation: tuple[str | None, str | None] = (None, None)
    ecs: dict[str, str | None] = field(default_factory=dict)

    def columns(self) -> dict[str, Any]:
        """The interface-level columns every record on this interface carries."""
        values: dict[str, Any] = dict.fromkeys(COLUMNS)
        values.update(
            account_id=self.account,
            interface_id=self.eni,
            vpc_id=self.vpc,
            subnet_id=self.subnet,
            instance_id=self.instance,
            region=self.region,
            az_id=self.az,
            sublocation_type=self.sublocation[0],
            sublocation_id=self.sublocation[1],
        )
        values.update(self.ecs)
        return values


@dataclass
class Template:
    """One flow record without times or counters, and how to draw those per record."""

    values: dict[str, Any]
    weight: int
    packets: tuple[int, int]
    bytes_per_packet: tuple[int, int]
    max_duration: int
    srcport_ephemeral: bool = False
    dstport_ephemeral: bool = False


# --- addresses ----------------------------------------------------------------------------

_PUBLIC_FIRST_OCTETS = (
    3, 5, 18, 23, 31, 37, 45, 46, 62, 77, 78, 80, 81, 82, 85, 86, 88, 89, 91, 93, 94, 95, 101,
    103, 109, 121, 122, 138, 141, 151, 154, 171, 176, 178, 185, 188, 190, 193, 194, 195, 201,
    212, 213, 217,
)  # fmt: skip


def public_ipv4(rng: random.Random) -> str:
    while True:
        first = rng.choice(_PUBLIC_FIRST_OCTETS)
        text = f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        if ipaddress.ip_address(text).is_global:
            return text


def public_ipv6(rng: random.Random) -> str:
    prefix = rng.choice((0x2A01_04F8, 0x2A02_26F0, 0x2406_DA00, 0x2600_1F18, 0x2A00_1450, 0x2001_0470))
    value = (prefix << 96) | rng.getrandbits(64)
    return str(ipaddress.IPv6Address(value))


# --- the world -----------------------------------------------------------------------------


class World:
    """The VPC of one account and Region: its interfaces and the peers they talk to."""

    def __init__(self, account: str, region: str, index: int, rng: random.Random) -> None:
        self.account, self.region, self.index, self.rng = account, region, index, rng
        self.vpc = "vpc-" + hex_id(rng)
        self.net = 10 + index  # 10.<net>.0.0/16 and fd5e:<net>::/48
        azp = az_prefix(region)
        self.azs = (f"{azp}-az1", f"{azp}-az2", f"{azp}-az4")
        self.subnets: dict[str, tuple[str, str, int]] = {}
        for name, third, az in (
            ("public-a", 0, 0), ("public-b", 1, 1), ("app-a", 10, 0), ("app-b", 11, 1),
            ("data-a", 20, 0), ("data-b", 21, 2), ("outpost", 30, 0),
        ):  # fmt: skip
            self.subnets[name] = ("subnet-" + hex_id(rng), self.azs[az], third)
        self._hosts: dict[int, int] = {}
        self.interfaces: dict[str, Interface] = {}
        self.cluster = "checkout"
        plan = [
            ("web1", "public-a", True), ("web2", "public-b", True), ("web3", "public-a", False),
            ("bastion", "public-a", False), ("win", "public-b", False), ("nat", "public-a", False),
            ("app1", "app-a", True), ("app2", "app-b", False), ("app3", "app-a", False),
            ("app4", "app-b", False), ("batch", "app-a", False), ("idle", "app-b", False),
            ("db1", "data-a", False), ("db2", "data-b", False), ("edge", "outpost", False),
            ("ecs1", "app-a", True), ("ecs2", "app-b", False), ("ecs3", "app-a", False),
        ]  # fmt: skip
        for role, subnet, v6 in plan:
            self.interfaces[role] = self._interface(role, subnet, v6)
        self.clients_v4 = [public_ipv4(rng) for _ in range(240)]
        self.clients_v6 = [public_ipv6(rng) for _ in range(40)]
        self.scanners = [public_ipv4(rng) for _ in range(60)]
        self.office = public_ipv4(rng)
        self.apis = [public_ipv4(rng) for _ in range(12)]
        self.resolvers = ["1.1.1.1", "8.8.8.8", "9.9.9.9"]
        self.ntp = [public_ipv4(rng) for _ in range(4)]
        self.s3 = [f"52.216.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(20)]
        self.s3_v6 = [
            f"2600:1fa0:80{rng.randrange(16):x}{rng.randrange(16):x}::{rng.randrange(1, 9999)}"
            for _ in range(4)
        ]
        self.dynamodb = [f"52.94.{rng.randrange(0, 8)}.{rng.randrange(1, 255)}" for _ in range(6)]
        self.ec2_peers = [
            f"54.{rng.randrange(144, 240)}.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(8)
        ]
        self.peered = [f"172.31.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(6)]
        self.remote_region = [f"172.20.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(4)]
        self.onprem = [f"192.168.{rng.randrange(10, 20)}.{rng.randrange(1, 255)}" for _ in range(6)]
        self.unused_v4 = [f"10.{self.net}.{third}.{n}" for third in (10, 11) for n in range(100, 240)]

    def _interface(self, role: str, subnet: str, v6: bool) -> Interface:
        rng = self.rng
        subnet_id, az, third = self.subnets[subnet]
        host = self._hosts.get(third, 10) + rng.randrange(1, 9)
        self._hosts[third] = host
        ipv4 = f"10.{self.net}.{third}.{host}"
        ipv6 = (
            str(ipaddress.IPv6Address((0xFD5E << 112) | (self.net << 80) | (third << 64) | host))
            if v6
            else None
        )
        managed = role == "nat" or role.startswith("ecs")
        instance = None if managed else "i-" + hex_id(rng)
        sublocation = ("outpost", "op-" + hex_id(rng)) if subnet == "outpost" else (None, None)
        ecs: dict[str, str | None] = {}
        if role.startswith("ecs"):
            ecs = self._ecs(role)
        return Interface(
            "eni-" + hex_id(rng), role, ipv4, ipv6, instance, subnet_id, self.vpc, az,
            self.account, self.region, sublocation, ecs,
        )  # fmt: skip

    def _ecs(self, role: str) -> dict[str, str | None]:
        rng = self.rng
        arn = f"arn:aws:ecs:{self.region}:{self.account}"
        task_id = hex_id(rng, 32)
        ec2_launch = role == "ecs3"
        container_instance = hex_id(rng, 32)
        service, family = {
            "ecs1": ("cart", "cart"),
            "ecs2": ("cart", "cart"),
            "ecs3": ("payments", "payments"),
        }[role]
        return {
            "ecs_cluster_arn": f"{arn}:cluster/{self.cluster}",
            "ecs_cluster_name": self.cluster,
            "ecs_container_instance_arn": (
                f"{arn}:container-instance/{self.cluster}/{container_instance}" if ec2_launch else None
            ),
            "ecs_container_instance_id": container_instance if ec2_launch else None,
            "ecs_container_id": hex_id(rng, 64),
            "ecs_second_container_id": hex_id(rng, 64) if role != "ecs2" else None,
            "ecs_service_name": service,
            "ecs_task_definition_arn": f"{arn}:task-definition/{family}:{rng.randrange(3, 40)}",
            "ecs_task_arn": f"{arn}:task/{self.cluster}/{task_id}",
            "ecs_task_id": task_id,
        }

    def role(self, name: str) -> Interface:
        return self.interfaces[name]

    def roles(self, prefix: str) -> list[Interface]:
        return [i for r, i in self.interfaces.items() if r.startswith(prefix)]


def record(
    iface: Interface,
    direction: str,
    src: str | None,
    dst: str | None,
    srcport: int,
    dstport: int,
    protocol: int,
    action: str = "ACCEPT",
    *,
    flags: int | None = None,
    pkt_src: str | None = None,
    pkt_dst: str | None = None,
    src_service: str | None = None,
    dst_service: str | None = None,
    path: int | None = None,
    reject_reason: str | None = None,
) -> dict[str, Any]:
    """One flow record on `iface` (times and counters filled in later)."""
    if src is None or dst is None:
        raise ValueError(f"{iface.role} has no address of that family")
    values = iface.columns()
    if protocol in (ICMP, ICMPV6):
        srcport = dstport = 0
    values.update(
        srcaddr=src,
        dstaddr=dst,
        srcport=srcport,
        dstport=dstport,
        protocol=protocol,
        action=action,
        log_status="OK",
        tcp_flags=flags if protocol == TCP else 0,
        type="IPv6" if ":" in src else "IPv4",
        pkt_srcaddr=pkt_src or src,
        pkt_dstaddr=pkt_dst or dst,
        pkt_src_aws_service=src_service,
        pkt_dst_aws_service=dst_service,
        flow_direction=direction,
        traffic_path=path if direction == "egress" else None,
        reject_reason=reject_reason if action == "REJECT" else None,
    )
    return values


def status_record(iface: Interface, status: str) -> dict[str, Any]:
    """A NODATA or SKIPDATA line: interface columns only, '-' for every flow column."""
    values = iface.columns()
    values["log_status"] = status
    return values


# --- background traffic: templates ------------------------------------------------------------


# Shapes of everyday traffic: (weight, packets range, bytes-per-packet range, longest duration s).
Shape = tuple[int, tuple[int, int], tuple[int, int], int]
WEB_REQUEST: Shape = (6, (4, 40), (60, 600), 60)
WEB_REPLY: Shape = (6, (4, 60), (200, 1400), 60)
TIER_REQUEST: Shape = (8, (5, 50), (100, 900), 60)
TIER_REPLY: Shape = (8, (5, 50), (300, 1400), 60)
DB_REQUEST: Shape = (5, (3, 80), (80, 600), 60)
DB_REPLY: Shape = (5, (3, 120), (200, 1400), 60)
STORAGE_OUT: Shape = (2, (5, 200), (300, 1400), 120)
STORAGE_IN: Shape = (2, (5, 300), (600, 1400), 120)
API_CALL: Shape = (2, (4, 60), (100, 900), 60)
API_REPLY: Shape = (2, (4, 80), (300, 1400), 60)
DNS_QUERY: Shape = (8, (1, 4), (60, 120), 5)
DNS_ANSWER: Shape = (8, (1, 4), (80, 300), 5)
NTP: Shape = (3, (1, 2), (76, 76), 2)
HTTPS_SMALL: Shape = (1, (3, 20), (100, 800), 30)
PING: Shape = (10, (1, 10), (84, 84), 30)
PING6: Shape = (15, (1, 6), (104, 104), 30)
SERVICE_CALL: Shape = (4, (4, 40), (100, 900), 60)
SERVICE_REPLY: Shape = (4, (4, 40), (200, 1400), 60)
SIDE_CALL: Shape = (3, (4, 40), (100, 900), 60)
PEERING: Shape = (1, (4, 40), (100, 1200), 60)
ADMIN_IN: Shape = (1, (10, 400), (60, 300), 300)
ADMIN_OUT: Shape = (1, (10, 400), (60, 600), 300)
TUNNEL: Shape = (15, (10, 300), (100, 1400), 300)
OFFICE_IN: Shape = (1, (20, 600), (60, 300), 600)
OFFICE_OUT: Shape = (1, (20, 600), (60, 1200), 600)
RDP: Shape = (1, (40, 900), (60, 900), 600)
PROBE: Shape = (1, (1, 3), (40, 60), 5)


def templates(world: World, rng: random.Random, exclude: Callable[[dict[str, Any]], bool]) -> list[Template]:
    """The everyday traffic of one VPC, as weighted templates."""
    out: list[Template] = []

    def add(shape: Shape, values: dict[str, Any]) -> None:
        if exclude(values):
            return
        weight, packets, bpp, duration = shape
        sport_eph, dport_eph = values["srcport"] == EPHEMERAL, values["dstport"] == EPHEMERAL
        out.append(Template(values, weight, packets, bpp, duration, sport_eph, dport_eph))

    w, eph, rec = world, EPHEMERAL, record
    webs = w.roles("web")
    apps = [w.role(r) for r in ("app1", "app2", "app3", "batch")]
    # Internet clients to the web tier, and the replies (internet gateway, Nitro: path 8).
    for client in w.clients_v4 + w.clients_v6:
        web = rng.choice(webs if ":" not in client else [i for i in webs if i.ipv6])
        server = web.ipv6 if ":" in client else web.ipv4
        port = rng.choice((443, 443, 443, 80))
        flag = rng.choice(CLIENT_FLAGS)
        add(WEB_REQUEST, rec(web, "ingress", client, server, eph, port, TCP, flags=flag))
        flag = rng.choice(SERVER_FLAGS)
        add(WEB_REPLY, rec(web, "egress", server, client, port, eph, TCP, flags=flag, path=8))
    # Web tier to the app tier, app tier to the databases (same VPC: path 1), both interfaces log it.
    for web in webs:
        for app in apps[:3]:
            add(TIER_REQUEST, rec(web, "egress", web.ipv4, app.ipv4, eph, 8080, TCP, flags=3, path=1))
            add(TIER_REQUEST, rec(app, "ingress", web.ipv4, app.ipv4, eph, 8080, TCP, flags=3))
            add(TIER_REPLY, rec(app, "egress", app.ipv4, web.ipv4, 8080, eph, TCP, flags=19, path=1))
    for app in [*apps, w.role("app4"), w.role("edge")]:
        for db, port in ((w.role("db1"), 5432), (w.role("db2"), 3306)):
            flag = rng.choice(CLIENT_FLAGS)
            add(DB_REQUEST, rec(app, "egress", app.ipv4, db.ipv4, eph, port, TCP, flags=flag, path=1))
            add(DB_REQUEST, rec(db, "ingress", app.ipv4, db.ipv4, eph, port, TCP, flags=flag))
            add(DB_REPLY, rec(db, "egress", db.ipv4, app.ipv4, port, eph, TCP, flags=19, path=1))
    # S3 and DynamoDB through gateway endpoints (path 7), with the service named.
    services = [(p, "S3") for p in w.s3[:6]] + [(p, "DYNAMODB") for p in w.dynamodb[:3]]
    for app in [*apps, *w.roles("ecs")]:
        for peer, svc in services:
            add(
                STORAGE_OUT,
                rec(app, "egress", app.ipv4, peer, eph, 443, TCP, flags=3, dst_service=svc, path=7),
            )
            add(STORAGE_IN, rec(app, "ingress", peer, app.ipv4, 443, eph, TCP, flags=19, src_service=svc))
    app1 = w.role("app1")
    for peer in w.s3_v6:
        add(
            STORAGE_OUT,
            rec(app1, "egress", app1.ipv6, peer, eph, 443, TCP, flags=3, dst_service="S3", path=7),
        )
    # Private subnets reach the internet through the NAT gateway: on the NAT's interface the
    # translated leg shows the instance behind it in pkt-srcaddr / pkt-dstaddr.
    nat = w.role("nat")
    for app in apps:
        for api in w.apis:
            add(API_CALL, rec(app, "egress", app.ipv4, api, eph, 443, TCP, flags=3, path=1))
            add(API_CALL, rec(nat, "ingress", app.ipv4, nat.ipv4, eph, 443, TCP, flags=3, pkt_dst=api))
            add(API_CALL, rec(nat, "egress", nat.ipv4, api, eph, 443, TCP, flags=3, path=8))
            add(
                API_REPLY,
                rec(nat, "egress", nat.ipv4, app.ipv4, 443, eph, TCP, flags=19, pkt_src=api, path=1),
            )
    # DNS and NTP to public servers (UDP, tcp-flags 0), AWS's own EC2 addresses.
    for host in [*webs, w.role("bastion"), w.role("win")]:
        for resolver in w.resolvers:
            add(DNS_QUERY, rec(host, "egress", host.ipv4, resolver, eph, 53, UDP, path=8))
            add(DNS_ANSWER, rec(host, "ingress", resolver, host.ipv4, 53, eph, UDP))
        for server in w.ntp:
            add(NTP, rec(host, "egress", host.ipv4, server, 123, 123, UDP, path=8))
        for peer in w.ec2_peers[:3]:
            add(
                HTTPS_SMALL,
                rec(host, "egress", host.ipv4, peer, eph, 443, TCP, flags=3, dst_service="EC2", path=8),
            )
    # Health checks and pings inside the VPC (ICMP, ICMPv6).
    for app in apps:
        other = rng.choice(webs)
        add(PING, rec(app, "egress", app.ipv4, other.ipv4, 0, 0, ICMP, path=1))
        add(PING, rec(other, "ingress", app.ipv4, other.ipv4, 0, 0, ICMP))
    web1, ecs1, ecs3 = w.role("web1"), w.role("ecs1"), w.role("ecs3")
    add(PING6, rec(app1, "egress", app1.ipv6, web1.ipv6, 0, 0, ICMPV6, path=1))
    add(PING6, rec(web1, "ingress", app1.ipv6, web1.ipv6, 0, 0, ICMPV6))
    # ECS tasks: the cart service calls payments, both log their task attribution.
    for task in w.roles("ecs")[:2]:
        add(SERVICE_CALL, rec(task, "egress", task.ipv4, ecs3.ipv4, eph, 9000, TCP, flags=3, path=1))
        add(SERVICE_CALL, rec(ecs3, "ingress", task.ipv4, ecs3.ipv4, eph, 9000, TCP, flags=3))
        add(SERVICE_REPLY, rec(ecs3, "egress", ecs3.ipv4, task.ipv4, 9000, eph, TCP, flags=19, path=1))
        add(SIDE_CALL, rec(task, "ingress", web1.ipv4, task.ipv4, eph, 8080, TCP, flags=3))
    add(SIDE_CALL, rec(ecs1, "ingress", web1.ipv6, ecs1.ipv6, eph, 8080, TCP, flags=3))
    # Peering (paths 4 and 5) and the VPN to the office network (path 3, with some ESP and GRE).
    app2, app3, edge = w.role("app2"), w.role("app3"), w.role("edge")
    for peer in w.peered:
        add(PEERING, rec(app1, "egress", app1.ipv4, peer, eph, 443, TCP, flags=3, path=4))
    for peer in w.remote_region:
        add(PEERING, rec(app2, "egress", app2.ipv4, peer, eph, 6379, TCP, flags=3, path=5))
    bastion = w.role("bastion")
    for peer in w.onprem:
        add(ADMIN_IN, rec(bastion, "ingress", peer, bastion.ipv4, eph, 22, TCP, flags=3))
        add(ADMIN_OUT, rec(bastion, "egress", bastion.ipv4, peer, 22, eph, TCP, flags=19, path=3))
    add(TUNNEL, rec(edge, "egress", edge.ipv4, w.onprem[0], 0, 0, ESP, path=3))
    add(TUNNEL, rec(app3, "egress", app3.ipv4, w.peered[0], 0, 0, GRE, path=4))
    # Administrators from the office: SSH to the bastion, RDP to the Windows host (public, accepted).
    win = w.role("win")
    add(OFFICE_IN, rec(bastion, "ingress", w.office, bastion.ipv4, eph, 22, TCP, flags=3))
    add(OFFICE_OUT, rec(bastion, "egress", bastion.ipv4, w.office, 22, eph, TCP, flags=19, path=8))
    add(RDP, rec(win, "ingress", w.office, win.ipv4, eph, 3389, TCP, flags=3))
    # The internet's background noise: scanners probing common ports, rejected (SYN only).
    noisy = [*webs, bastion, win, nat]
    for scanner in w.scanners:
        target = rng.choice(noisy)
        for port in rng.sample((22, 23, 80, 443, 445, 1433, 3389, 5900, 6379, 8080, 8443, 9200), 3):
            action = "ACCEPT" if port in (80, 443) and target.role.startswith("web") else "REJECT"
            add(PROBE, rec(target, "ingress", scanner, target.ipv4, eph, port, TCP, action, flags=2))
    return out
