"""Reference answers for the investigations that join the inventory, in plain Python.

Written from each investigation's documented meaning, sharing no code or tables with flowsql: the
records are dicts (column -> value, None for '-'), the inventory is the rows of its Parquet files
read with pyarrow, and the address rules use the ipaddress module. The port-service labels are the
data `port_service()` documents (tests/oracles.py uses them the same way).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from flowsql.investigations.macros import PORT_SERVICES

UTC = timezone.utc
Record = dict[str, Any]
Row = tuple[Any, ...]
Inventory = dict[str, list[dict[str, Any]]]
GIB = 1073741824
PROTOCOLS = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6"}
_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]

ORACLES: dict[str, Callable[[Sequence[Record], Inventory, dict[str, Any]], list[Row]]] = {}


def oracle(func: Callable[..., list[Row]]) -> Callable[..., list[Row]]:
    ORACLES[func.__name__] = func
    return func


def read_inventory(folder: Path) -> Inventory:
    import pyarrow.parquet as pq

    return {path.stem: pq.read_table(path).to_pylist() for path in sorted(Path(folder).glob("*.parquet"))}


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _ts(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _between(records: Iterable[Record], low: datetime, high: datetime) -> list[Record]:
    lo, hi = _epoch(low), _epoch(high)
    return [r for r in records if r.get("start") is not None and lo <= r["start"] < hi]


def _ok(records: Iterable[Record]) -> list[Record]:
    return [r for r in records if r.get("log_status") == "OK"]


def _private(address: str | None) -> bool:
    if address is None or address == "-":
        return False
    ip = ipaddress.ip_address(address)
    return any(ip.version == n.version and ip in n for n in _PRIVATE)


def _protocol(number: int) -> str:
    return PROTOCOLS.get(number, str(number))


def _sort(rows: list[Row], key: Callable[[Row], Any]) -> list[Row]:
    return sorted(rows, key=key)


def _desc(value: int) -> int:
    return -value


def _name(interface: dict[str, Any], *, with_id: bool = False) -> str | None:
    for column in ("name", "instance_id", "aws_service", *(("interface_id",) if with_id else ())):
        if interface.get(column) is not None:
            return interface[column]
    return None


@oracle
def sg_rule_usage(records: Sequence[Record], inv: Inventory, p: dict[str, Any]) -> list[Row]:
    window = _between(records, p["start"], p["end"])
    logged = {r["interface_id"] for r in window}
    groups_of: dict[str, set[str]] = {}
    for m in inv["interface_groups"]:
        groups_of.setdefault(m["interface_id"], set()).add(m["group_id"])
    active = set().union(*(groups_of.get(i, set()) for i in logged))
    own = {(a["interface_id"], a["address"]) for a in inv["addresses"]}
    members: dict[str, set[str]] = {}
    for m in inv["interface_groups"]:
        for a in inv["addresses"]:
            if a["interface_id"] == m["interface_id"]:
                members.setdefault(m["group_id"], set()).add(a["address"])
    names = {g["group_id"]: g["group_name"] for g in inv["security_groups"]}
    rules = [r for r in inv["security_group_rules"] if not r["is_egress"] and r["group_id"] in active]
    accepted = [
        r for r in _ok(window) if r["action"] == "ACCEPT" and (r["interface_id"], r["dstaddr"]) in own
    ]
    out = []
    for rule in rules:
        proto = rule["protocol"]
        hits = []
        for rec in accepted:
            if rule["group_id"] not in groups_of.get(rec["interface_id"], set()):
                continue
            if proto != -1 and proto != rec["protocol"]:
                continue
            if proto in (6, 17) and not rule["from_port"] <= rec["dstport"] <= rule["to_port"]:
                continue
            src = rec["srcaddr"]
            cidr = rule["cidr_ipv6"] if ":" in src else rule["cidr_ipv4"]
            if cidr is not None:
                network = ipaddress.ip_network(cidr)
                ip = ipaddress.ip_address(src)
                if ip.version == network.version and ip in network:
                    hits.append(rec)
            elif rule["referenced_group_id"] is not None and src in members.get(
                rule["referenced_group_id"], set()
            ):
                hits.append(rec)
        sources = sorted({h["srcaddr"] for h in hits})
        world = rule["cidr_ipv4"] == "0.0.0.0/0" or rule["cidr_ipv6"] == "::/0"
        if rule["prefix_list_id"] is not None:
            finding = "not evaluated (prefix list)"
        elif not hits:
            finding = "unused"
        elif world and len(sources) <= p.get("max_sources", 3):
            finding = "open to the world, few sources"
        else:
            finding = "used"
        cidrs = sorted(s + ("/128" if ":" in s else "/32") for s in sources)
        if proto not in (6, 17) or rule["from_port"] == -1:
            ports = "all"
        elif rule["from_port"] == rule["to_port"]:
            ports = str(rule["from_port"])
        else:
            ports = f"{rule['from_port']}-{rule['to_port']}"
        source = next(
            v for v in (rule["cidr_ipv4"], rule["cidr_ipv6"], rule["referenced_group_id"], rule["prefix_list_id"])
            if v is not None
        )  # fmt: skip
        out.append(
            (
                rule["group_id"], names[rule["group_id"]], rule["rule_id"],
                "all" if proto == -1 else _protocol(proto), ports, source,
                len(hits), sum(h["bytes"] for h in hits), len(sources),
                _ts(max(h["start"] for h in hits)) if hits else None, finding,
                ", ".join(cidrs) if finding == "open to the world, few sources" else None,
            )
        )  # fmt: skip
    rank = {"open to the world, few sources": 0, "unused": 1}
    return _sort(out, lambda r: (rank.get(r[10], 2), -r[7], r[0], r[2]))


def _service(remote: str, ranges: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    ip = ipaddress.ip_address(remote)
    best = None
    for r in ranges:
        network = ipaddress.ip_network(r["prefix"])
        if network.version == ip.version and ip in network:
            rank = (0 if r["service"] == "AMAZON" else 1000) + r["prefix_length"]
            if best is None or rank > best[0]:
                best = (rank, r["service"], r["region"])
    return (best[1], best[2]) if best else (None, None)


@oracle
def nat_gateway_cost(records: Sequence[Record], inv: Inventory, p: dict[str, Any]) -> list[Row]:
    price = p.get("price_per_gb", 0.045)
    nats = {n["interface_id"]: n for n in inv["nat_gateways"]}
    regions = {i["interface_id"]: i["region"] for i in inv["interfaces"]}
    grouped: dict[tuple[Any, ...], list[int]] = {}
    for rec in _ok(_between(records, p["start"], p["end"])):
        nat = nats.get(rec["interface_id"])
        if nat is None:
            continue
        ip = nat["private_ip"]
        if rec["srcaddr"] == ip:
            source, remote = rec["dstaddr"], rec["pkt_srcaddr"]
        elif rec["dstaddr"] == ip:
            source, remote = rec["srcaddr"], rec["pkt_dstaddr"]
        else:
            continue
        if not _private(source) or source == ip or remote in (None, "-", source, ip):
            continue
        service, region = _service(remote, inv["ip_ranges"])
        endpoint = None
        if service in ("S3", "DYNAMODB") and region == regions.get(nat["interface_id"]):
            endpoint = f"{service} gateway endpoint"
        key = (nat["nat_gateway_id"], source, service or "internet", endpoint)
        totals = grouped.setdefault(key, [0, 0])
        totals[0] += 1
        totals[1] += rec["bytes"]
    names: dict[str, str] = {}
    by_id = {i["interface_id"]: i for i in inv["interfaces"]}
    for a in inv["addresses"]:
        label = _name(by_id[a["interface_id"]], with_id=True)
        if label is not None and (a["address"] not in names or label > names[a["address"]]):
            names[a["address"]] = label
    nat_total: dict[str, int] = {}
    nat_endpoint: dict[str, int] = {}
    for (nat_id, _, _, endpoint), (_, size) in grouped.items():
        nat_total[nat_id] = nat_total.get(nat_id, 0) + size
        nat_endpoint[nat_id] = nat_endpoint.get(nat_id, 0) + (size if endpoint else 0)
    out = [
        (nat_id, source, names.get(source), dest, flows, size, size * price / GIB, endpoint,
         float(nat_endpoint[nat_id]) / nat_total[nat_id])
        for (nat_id, source, dest, endpoint), (flows, size) in grouped.items()
    ]  # fmt: skip
    return _sort(out, lambda r: (-r[5], r[0], r[1], r[3]))[: p.get("limit", 100)]


@oracle
def cross_az_traffic(records: Sequence[Record], inv: Inventory, p: dict[str, Any]) -> list[Row]:
    price = p.get("price_per_gb", 0.02)
    own = {(a["interface_id"], a["address"]) for a in inv["addresses"]}
    owner: dict[str, str] = {}
    for a in inv["addresses"]:
        if a["address"] not in owner or a["interface_id"] < owner[a["address"]]:
            owner[a["address"]] = a["interface_id"]
    by_id = {i["interface_id"]: i for i in inv["interfaces"]}
    pairs: dict[tuple[str, str], list[int]] = {}
    for rec in _ok(_between(records, p["start"], p["end"])):
        if (rec["interface_id"], rec["srcaddr"]) not in own:
            continue
        dst = owner.get(rec["dstaddr"])
        if dst is None or dst == rec["interface_id"]:
            continue
        totals = pairs.setdefault((rec["interface_id"], dst), [0, 0])
        totals[0] += 1
        totals[1] += rec["bytes"]
    out = []
    for (src, dst), (flows, size) in pairs.items():
        si, di = by_id[src], by_id[dst]
        if si["az_id"] is None or di["az_id"] is None or si["az_id"] == di["az_id"]:
            continue
        out.append(
            (si["az_id"], di["az_id"], src, _name(si), dst, _name(di), flows, size, size * price / GIB)
        )
    return _sort(out, lambda r: (-r[7], r[2], r[4]))[: p.get("limit", 20)]


def _connections(records: Iterable[Record]) -> list[Record]:
    return [
        r for r in _ok(records)
        if r["action"] == "ACCEPT" and r["dstport"] < r["srcport"] and _private(r["srcaddr"])
    ]  # fmt: skip


def _answers(records: Iterable[Record]) -> list[Record]:
    return [
        r for r in _ok(records)
        if r["action"] == "ACCEPT" and r["srcport"] < r["dstport"] and _private(r["srcaddr"])
    ]  # fmt: skip


def _baseline(records: Sequence[Record], p: dict[str, Any]) -> list[Record]:
    days = p.get("baseline_days", 7)
    return _between(records, p["start"] - timedelta(days=days), p["start"])


@oracle
def new_destinations(records: Sequence[Record], inv: Inventory, p: dict[str, Any]) -> list[Row]:
    known = {r["dstaddr"] for r in _connections(_baseline(records, p))}
    groups: dict[str, list[Record]] = {}
    for r in _connections(_between(records, p["start"], p["end"])):
        if r["dstaddr"] not in known:
            groups.setdefault(r["dstaddr"], []).append(r)
    out = [
        (dst, len({r["srcaddr"] for r in recs}), len(recs), sum(r["bytes"] for r in recs),
         _ts(min(r["start"] for r in recs)), _ts(max(r["end"] for r in recs)))
        for dst, recs in groups.items()
    ]  # fmt: skip
    return _sort(out, lambda r: (-r[3], -r[2], r[0]))[: p.get("limit", 50)]


@oracle
def new_listening_ports(records: Sequence[Record], inv: Inventory, p: dict[str, Any]) -> list[Row]:
    known = {(r["srcaddr"], r["srcport"], r["protocol"]) for r in _answers(_baseline(records, p))}
    groups: dict[tuple[str, int, int], list[Record]] = {}
    for r in _answers(_between(records, p["start"], p["end"])):
        key = (r["srcaddr"], r["srcport"], r["protocol"])
        if key not in known:
            groups.setdefault(key, []).append(r)
    out = [
        (addr, port, _protocol(proto), PORT_SERVICES.get(port), len({r["dstaddr"] for r in recs}), len(recs),
         sum(r["bytes"] for r in recs), _ts(min(r["start"] for r in recs)), proto)
        for (addr, port, proto), recs in groups.items()
    ]  # fmt: skip
    ordered = _sort(out, lambda r: (-r[6], -r[5], r[0], r[1], r[8]))
    return [r[:8] for r in ordered][: p.get("limit", 50)]


# The investigations that add inventory columns when there is one: which column of the base row
# names an address (or an interface), and so which names follow.
ENRICHED = {
    "top_talkers": ("address", (0, 1)),
    "public_exposure": ("address", (0,)),
    "ip_activity": ("address", (1,)),
    "conversation": ("interface", (2,)),
    "connectivity_check": ("interface", (1,)),
}


def _max(a: Any, b: Any) -> Any:
    """SQL max(): NULLs ignored."""
    if a is None:
        return b
    return a if b is None else max(a, b)


def enrich(name: str, rows: list[Row], inv: Inventory) -> list[Row]:
    """The base rows with the inventory columns appended: (name or AWS service, instance) for each
    address or interface the row names."""
    by_id = {i["interface_id"]: i for i in inv["interfaces"]}
    interfaces = {k: (i["name"] or i["aws_service"], i["instance_id"]) for k, i in by_id.items()}
    addresses: dict[str, tuple[Any, Any]] = {}
    for a in inv["addresses"]:
        i = by_id[a["interface_id"]]
        label, instance = addresses.get(a["address"], (None, None))
        addresses[a["address"]] = (
            _max(label, i["name"] or i["aws_service"]),
            _max(instance, i["instance_id"]),
        )
    kind, positions = ENRICHED[name]
    lookup = addresses if kind == "address" else interfaces
    out = []
    for row in rows:
        extra: tuple[Any, ...] = ()
        for index in positions:
            extra += lookup.get(row[index], (None, None))
        out.append(row + extra)
    return out
