"""Reference answers for every packaged investigation, computed in plain Python from sample records.

Each oracle is written from the investigation's documented meaning and SQL semantics (three-valued
logic: a comparison with NULL is not true; aggregates skip NULLs; NULLs sort last), never by running
flowsql's SQL. Records are dicts read from the files by tests/flowlog_records.py as Athena's table
reads them (a '-' is the string '-' in a string column of a text file, None in a numeric column), not
by flowsql's reader; parameters are the investigation's, with `start`/`end` as
aware UTC datetimes. Every oracle returns the rows, in order, as tuples in the investigation's column
order.

Nothing here comes from flowsql: the label tables are written from the published facts (IANA protocol
numbers and well-known ports, AWS's traffic-path codes), so a wrong label in flowsql fails a test.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

UTC = timezone.utc
Record = dict[str, Any]
Row = tuple[Any, ...]

SENSITIVE_PORTS = (22, 23, 445, 1433, 1521, 2375, 3306, 3389, 5432, 5900, 6379, 9200, 11211, 27017)
ADMIN_PORTS = (22, 23, 3389, 5900, 5985, 5986)
_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]

# IANA protocol numbers, by the names an analyst reads (ICMPv6 is IANA's IPv6-ICMP).
PROTOCOLS = {1: "ICMP", 2: "IGMP", 4: "IPv4", 6: "TCP", 17: "UDP", 41: "IPv6", 47: "GRE", 50: "ESP",
             51: "AH", 58: "ICMPv6", 89: "OSPF", 132: "SCTP"}  # fmt: skip
# IANA well-known and registered ports of the services the investigations name.
SERVICES = {22: "SSH", 23: "Telnet", 25: "SMTP", 53: "DNS", 80: "HTTP", 123: "NTP", 443: "HTTPS",
            445: "SMB", 1433: "MSSQL", 1521: "Oracle", 2375: "Docker", 3306: "MySQL", 3389: "RDP",
            5432: "PostgreSQL", 5900: "VNC", 6379: "Redis", 9200: "Elasticsearch",
            11211: "Memcached", 27017: "MongoDB"}  # fmt: skip
# AWS's traffic-path codes (VPC Flow Logs user guide, "Available fields").
PATHS = {1: "same VPC", 2: "internet gateway or gateway VPC endpoint", 3: "virtual private gateway",
         4: "intra-region peering", 5: "inter-region peering", 6: "local gateway",
         7: "gateway VPC endpoint (Nitro)", 8: "internet gateway (Nitro)"}  # fmt: skip

ORACLES: dict[str, Callable[[Sequence[Record], dict[str, Any]], list[Row]]] = {}


def oracle(func: Callable[..., list[Row]]) -> Callable[..., list[Row]]:
    ORACLES[func.__name__] = func
    return func


def answer(name: str, records: Sequence[Record], params: dict[str, Any]) -> list[Row]:
    return ORACLES[name](records, params)


# --- SQL semantics in Python -------------------------------------------------------------------


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def ts(seconds: int | None) -> datetime | None:
    """from_unixtime(): an aware UTC datetime."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def in_window(records: Iterable[Record], params: dict[str, Any]) -> list[Record]:
    """Records whose start is in [start, end) (partition padding never changes the answer)."""
    low, high = epoch(params["start"]), epoch(params["end"])
    return [r for r in records if r.get("start") is not None and low <= r["start"] < high]


def ok(records: Iterable[Record], params: dict[str, Any]) -> list[Record]:
    return [r for r in in_window(records, params) if r.get("log_status") == "OK"]


def eq(value: Any, expected: Any) -> bool:
    """`value = expected` in a WHERE clause: NULL is not equal to anything."""
    return value is not None and value == expected


def isin(value: Any, options: Iterable[Any]) -> bool:
    return value is not None and value in set(options)


def sql_sum(values: Iterable[Any]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def sql_min(values: Iterable[Any]) -> Any:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def sql_max(values: Iterable[Any]) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def distinct(values: Iterable[Any]) -> int:
    return len({v for v in values if v is not None})


def count_if(records: Iterable[Record], test: Callable[[Record], bool]) -> int:
    return sum(1 for r in records if test(r))


def group(
    records: Iterable[Record], key: Callable[[Record], tuple[Any, ...]]
) -> dict[tuple[Any, ...], list[Record]]:
    """GROUP BY: NULLs form one group, like SQL."""
    groups: dict[tuple[Any, ...], list[Record]] = {}
    for r in records:
        groups.setdefault(key(r), []).append(r)
    return groups


def order(rows: list[Row], *keys: tuple[int, bool]) -> list[Row]:
    """ORDER BY (column index, descending) …, NULLs last in both directions (Trino and DuckDB)."""

    def compare(a: Row, b: Row) -> int:
        for index, desc in keys:
            x, y = a[index], b[index]
            if x == y:
                continue
            if x is None:
                return 1
            if y is None:
                return -1
            result = -1 if x < y else 1
            return -result if desc else result
        return 0

    return sorted(rows, key=functools.cmp_to_key(compare))


def asc(*indexes: int) -> list[tuple[int, bool]]:
    return [(i, False) for i in indexes]


def is_private(address: str | None) -> bool | None:
    """The RFC 1918 + ULA rule; None (SQL NULL) for a missing address."""
    if address is None:
        return None
    ip = ipaddress.ip_address(address)
    return any(ip.version == net.version and ip in net for net in _PRIVATE)


def is_public(address: str | None) -> bool | None:
    private = is_private(address)
    return None if private is None else not private


def in_cidr(address: str | None, cidr: str) -> bool:
    if address is None:
        return False
    network = ipaddress.ip_network(cidr)
    ip = ipaddress.ip_address(address)
    return ip.version == network.version and ip in network


def protocol_name(number: int | None) -> str | None:
    return None if number is None else PROTOCOLS.get(number, str(number))


def port_service(port: int | None) -> str | None:
    return None if port is None else SERVICES.get(port)


def traffic_path_name(code: int | None) -> str | None:
    return None if code is None else PATHS.get(code, str(code))


def ip_version(address: str | None) -> str | None:
    if address is None:
        return None
    if ":" in address:
        return "IPv6"
    if "." in address:
        return "IPv4"
    return None


def tcp_flags_name(flags: int | None) -> str | None:
    """Documented: 'none' for 0; SYN-ACK (18) is one name; then ACK (without SYN), FIN, RST, PSH,
    URG, joined with '+'."""
    if flags is None:
        return None
    if flags == 0:
        return "none"
    names = []
    if flags & 18 == 18:
        names.append("SYN-ACK")
    elif flags & 2:
        names.append("SYN")
    if flags & 16 and not flags & 2:
        names.append("ACK")
    for bit, name in ((1, "FIN"), (4, "RST"), (8, "PSH"), (32, "URG")):
        if flags & bit:
            names.append(name)
    return "+".join(names)


def not_dash(value: Any) -> bool:
    """`column <> '-'` where '-' was read as NULL: true only for a real value."""
    return value is not None and value != "-"


def limited(rows: list[Row], params: dict[str, Any], default: int) -> list[Row]:
    return rows[: params.get("limit", default)]


def seen(records: Sequence[Record]) -> tuple[datetime | None, datetime | None]:
    """first_seen, last_seen: from_unixtime(min(start)), from_unixtime(max("end"))."""
    return ts(sql_min(r["start"] for r in records)), ts(sql_max(r["end"] for r in records))


def totals(records: Sequence[Record]) -> tuple[int, int | None, int | None]:
    """flows, packets, bytes."""
    return len(records), sql_sum(r["packets"] for r in records), sql_sum(r["bytes"] for r in records)


def rejected(records: Iterable[Record]) -> int:
    return count_if(records, lambda r: eq(r["action"], "REJECT"))


# --- the fixed-name investigations -------------------------------------------------------------


@oracle
def rejected_ssh_sources(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    port = p.get("port", 22)
    rows = ok(records, p)
    rows = [r for r in rows if eq(r["action"], "REJECT") and eq(r["protocol"], 6) and eq(r["dstport"], port)]
    out = []
    for (src,), recs in group(rows, lambda r: (r["srcaddr"],)).items():
        flows, packets, nbytes = totals(recs)
        out.append((src, flows, packets, nbytes, distinct(r["dstaddr"] for r in recs), *seen(recs)))
    return limited(order(out, (1, True), (3, True), (0, False)), p, 20)


@oracle
def sensitive_port_rejects(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    ports = p.get("ports", SENSITIVE_PORTS)
    rows = [
        r
        for r in ok(records, p)
        if eq(r["action"], "REJECT") and isin(r["protocol"], (6, 17)) and isin(r["dstport"], ports)
    ]
    out = []
    for (src, port), recs in group(rows, lambda r: (r["srcaddr"], r["dstport"])).items():
        flows, packets, nbytes = totals(recs)
        targets = distinct(r["dstaddr"] for r in recs)
        out.append((src, port, port_service(port), flows, packets, nbytes, targets, *seen(recs)))
    return limited(order(out, (3, True), (5, True), (0, False), (1, False)), p, 50)


@oracle
def port_scan_suspects(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    rows = [r for r in ok(records, p) if isin(r["protocol"], (6, 17))]
    out = []
    for (src,), recs in group(rows, lambda r: (r["srcaddr"],)).items():
        ports = distinct(r["dstport"] for r in recs)
        if ports < p.get("min_ports", 20):
            continue
        hosts = distinct(r["dstaddr"] for r in recs)
        nbytes = sql_sum(r["bytes"] for r in recs)
        out.append((src, ports, hosts, len(recs), rejected(recs), nbytes, *seen(recs)))
    return limited(order(out, (1, True), (3, True), (0, False)), p, 20)


@oracle
def host_scan_suspects(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    rows = [r for r in ok(records, p) if isin(r["protocol"], (6, 17))]
    out = []
    for (src, port), recs in group(rows, lambda r: (r["srcaddr"], r["dstport"])).items():
        hosts = distinct(r["dstaddr"] for r in recs)
        if hosts < p.get("min_hosts", 20):
            continue
        nbytes = sql_sum(r["bytes"] for r in recs)
        out.append((src, port, port_service(port), hosts, len(recs), rejected(recs), nbytes, *seen(recs)))
    return limited(order(out, (3, True), (4, True), (0, False), (1, False)), p, 20)


@oracle
def public_exposure(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    ports = p.get("ports", SENSITIVE_PORTS)
    rows = [
        r
        for r in ok(records, p)
        if eq(r["action"], "ACCEPT")
        and isin(r["protocol"], (6, 17))
        and isin(r["dstport"], ports)
        and is_public(r["srcaddr"])
    ]
    out = []
    for (dst, port), recs in group(rows, lambda r: (r["dstaddr"], r["dstport"])).items():
        flows, packets, nbytes = totals(recs)
        sources = distinct(r["srcaddr"] for r in recs)
        out.append((dst, port, port_service(port), sources, flows, packets, nbytes, *seen(recs)))
    return limited(order(out, (3, True), (4, True), (0, False), (1, False)), p, 50)


@oracle
def exfiltration_suspects(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    rows = [
        r
        for r in ok(records, p)
        if eq(r["action"], "ACCEPT") and is_private(r["srcaddr"]) and is_public(r["dstaddr"])
    ]
    out = []
    for (src,), recs in group(rows, lambda r: (r["srcaddr"],)).items():
        flows, packets, nbytes = totals(recs)
        if nbytes is None or nbytes < p.get("min_bytes", 1_000_000):
            continue
        destinations = distinct(r["dstaddr"] for r in recs)
        out.append((src, nbytes, packets, destinations, flows, *seen(recs)))
    return limited(order(out, (1, True), (0, False)), p, 20)


@oracle
def top_talkers(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    out = []
    for (src, dst), recs in group(ok(records, p), lambda r: (r["srcaddr"], r["dstaddr"])).items():
        flows, packets, nbytes = totals(recs)
        out.append((src, dst, nbytes, packets, flows))
    return limited(order(out, (2, True), (3, True), (0, False), (1, False)), p, 20)


@oracle
def ip_activity(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    ip = p["ip"]
    rows = [r for r in ok(records, p) if eq(r["srcaddr"], ip) or eq(r["dstaddr"], ip)]

    def key(r: Record) -> tuple[Any, ...]:
        outbound = eq(r["srcaddr"], ip)
        ports = (r["srcport"], r["dstport"])
        # least(): NULL when an argument is NULL (Trino)
        port = None if None in ports else min(ports)
        return (
            "outbound" if outbound else "inbound",
            r["dstaddr"] if outbound else r["srcaddr"],
            port,
            r["protocol"],
            r["action"],
        )

    out = []
    for (direction, peer, port, number, action), recs in group(rows, key).items():
        flows, packets, nbytes = totals(recs)
        out.append(
            (
                direction,
                peer,
                port,
                protocol_name(number),
                action,
                flows,
                packets,
                nbytes,
                *seen(recs),
                number,
            )
        )
    out = order(out, (7, True), (5, True), *asc(0, 1, 2, 10, 4))
    return [row[:-1] for row in limited(out, p, 100)]


@oracle
def conversation(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    a, b = p["ip_a"], p["ip_b"]
    rows = [
        r
        for r in ok(records, p)
        if (eq(r["srcaddr"], a) and eq(r["dstaddr"], b)) or (eq(r["srcaddr"], b) and eq(r["dstaddr"], a))
    ]
    out = [
        (
            ts(r["start"]),
            ts(r["end"]),
            r["interface_id"],
            r["srcaddr"],
            r["srcport"],
            r["dstaddr"],
            r["dstport"],
            protocol_name(r["protocol"]),
            r["action"],
            r["packets"],
            r["bytes"],
        )
        for r in rows
    ]
    # ORDER BY protocol names the output column (the protocol's name), as SQL resolves aliases first
    return limited(order(out, *asc(*range(11))), p, 500)


@oracle
def connectivity_check(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    src, dst, port = p["src"], p["dst"], p["port"]
    rows = [
        r
        for r in ok(records, p)
        if (eq(r["srcaddr"], src) and eq(r["dstaddr"], dst) and eq(r["dstport"], port))
        or (eq(r["srcaddr"], dst) and eq(r["dstaddr"], src) and eq(r["srcport"], port))
    ]

    def key(r: Record) -> tuple[Any, ...]:
        direction = "request" if eq(r["srcaddr"], src) else "reply"
        return (direction, r["interface_id"], r["protocol"], r["action"])

    out = []
    for (direction, eni, number, action), recs in group(rows, key).items():
        flows, packets, nbytes = totals(recs)
        out.append(
            (direction, eni, protocol_name(number), action, flows, packets, nbytes, *seen(recs), number)
        )
    return [row[:-1] for row in order(out, *asc(0, 1, 9, 3))]


@oracle
def log_health(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    out = []
    for (eni, account), recs in group(
        in_window(records, p), lambda r: (r["interface_id"], r["account_id"])
    ).items():
        if count_if(recs, lambda r: r["log_status"] is not None and r["log_status"] != "OK") == 0:
            continue
        counts = [count_if(recs, lambda r, s=s: eq(r["log_status"], s)) for s in ("OK", "NODATA", "SKIPDATA")]
        out.append((eni, account, *counts, *seen(recs)))
    return limited(order(out, (4, True), (3, True), (0, False), (1, False)), p, 100)


# --- the rest of the catalogue ---------------------------------------------------------------


def _by_flow_keys(
    rows: list[Record], keys: Sequence[str], *, with_seen: bool = True, name_protocol: bool = False
) -> list[Row]:
    """Group by `keys`; output the keys (protocol as its name when asked), then flows, packets,
    bytes[, first_seen, last_seen]; the raw group key is appended for ordering."""
    out = []
    for key, recs in group(rows, lambda r: tuple(r[k] for k in keys)).items():
        shown = tuple(
            protocol_name(v) if (name_protocol and k == "protocol") else v
            for k, v in zip(keys, key, strict=True)
        )
        extra = seen(recs) if with_seen else ()
        out.append((*shown, *totals(recs), *extra, key))
    return out


def _sorted_by(
    out: list[Row], keys: Sequence[str], first: Sequence[tuple[str, bool]], columns: Sequence[str]
) -> list[Row]:
    """Order rows made by _by_flow_keys: `first` are (output column, desc); then the raw keys."""
    index = {c: i for i, c in enumerate(columns)}
    decorated = [(*row[:-1], *row[-1]) for row in out]
    n = len(columns)
    spec = [(index[c], d) for c, d in first] + [(n + i, False) for i in range(len(keys))]
    return [row[:n] for row in order(decorated, *spec)]


@oracle
def accepted_traffic(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    keys = ("srcaddr", "dstaddr", "dstport", "protocol")
    rows = [r for r in ok(records, p) if eq(r["action"], "ACCEPT")]
    out = _by_flow_keys(rows, keys, with_seen=False, name_protocol=True)
    cols = ["srcaddr", "dstaddr", "dstport", "protocol", "flows", "packets", "bytes"]
    return limited(_sorted_by(out, keys, [("bytes", True), ("flows", True)], cols), p, 100)


@oracle
def admin_port_traffic(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    ports = p.get("ports", ADMIN_PORTS)
    rows = [r for r in ok(records, p) if eq(r["protocol"], 6) and isin(r["dstport"], ports)]
    out = []
    for (src, dst, port, action), recs in group(
        rows, lambda r: (r["srcaddr"], r["dstaddr"], r["dstport"], r["action"])
    ).items():
        out.append((src, dst, port, port_service(port), action, *totals(recs), *seen(recs)))
    return limited(order(out, (5, True), (7, True), *asc(0, 1, 2, 4)), p, 100)


@oracle
def aws_service_traffic(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    wanted = p.get("service")
    rows = []
    for r in ok(records, p):
        src_svc, dst_svc = r["pkt_src_aws_service"], r["pkt_dst_aws_service"]
        if not (not_dash(src_svc) or not_dash(dst_svc)):
            continue
        if wanted is not None and not (
            (src_svc is not None and src_svc.upper() == wanted.upper())
            or (dst_svc is not None and dst_svc.upper() == wanted.upper())
        ):
            continue
        to = not_dash(dst_svc)
        rows.append(
            {
                "service": dst_svc if to else src_svc,
                "direction": "to" if to else "from",
                "address": r["pkt_srcaddr"] if to else r["pkt_dstaddr"],
                "packets": r["packets"],
                "bytes": r["bytes"],
            }
        )
    out = []
    for key, recs in group(rows, lambda r: (r["service"], r["direction"], r["address"])).items():
        out.append((*key, len(recs), sql_sum(r["packets"] for r in recs), sql_sum(r["bytes"] for r in recs)))
    return limited(order(out, (5, True), (3, True), *asc(0, 1, 2)), p, 100)


@oracle
def block_public_access_rejects(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    keys = ("interface_id", "srcaddr", "dstaddr", "dstport", "protocol")
    rows = [r for r in ok(records, p) if eq(r["action"], "REJECT") and eq(r["reject_reason"], "BPA")]
    out = _by_flow_keys(rows, keys, name_protocol=True)
    cols = [*keys, "flows", "packets", "bytes", "first_seen", "last_seen"]
    return limited(_sorted_by(out, keys, [("flows", True), ("bytes", True)], cols), p, 100)


@oracle
def cidr_traffic(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    cidr = p["cidr"]
    keys = ("srcaddr", "dstaddr", "action")
    rows = [r for r in ok(records, p) if in_cidr(r["srcaddr"], cidr) or in_cidr(r["dstaddr"], cidr)]
    out = _by_flow_keys(rows, keys)
    cols = [*keys, "flows", "packets", "bytes", "first_seen", "last_seen"]
    return limited(_sorted_by(out, keys, [("bytes", True), ("flows", True)], cols), p, 100)


@oracle
def ecs_service_traffic(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    wanted = p.get("service")
    rows = [
        r
        for r in ok(records, p)
        if not_dash(r["ecs_cluster_name"]) and (wanted is None or eq(r["ecs_service_name"], wanted))
    ]
    out = []

    def key(r: Record) -> tuple[Any, ...]:
        return (r["ecs_cluster_name"], r["ecs_service_name"] if not_dash(r["ecs_service_name"]) else "")

    for (cluster, service), recs in group(rows, key).items():
        flows, packets, nbytes = totals(recs)
        tasks = distinct(r["ecs_task_id"] for r in recs)
        out.append((cluster, service, tasks, flows, rejected(recs), packets, nbytes))
    return limited(order(out, (6, True), (3, True), *asc(0, 1)), p, 100)


@oracle
def egress_by_traffic_path(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    rows = [r for r in ok(records, p) if eq(r["flow_direction"], "egress")]
    out = []
    for (code,), recs in group(rows, lambda r: (r["traffic_path"],)).items():
        flows, packets, nbytes = totals(recs)
        name = traffic_path_name(code) or "unknown"
        out.append((code, name, flows, packets, nbytes, distinct(r["dstaddr"] for r in recs)))
    return order(out, (4, True), (0, False))


@oracle
def first_last_seen(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    out = []
    for (src,), recs in group(ok(records, p), lambda r: (r["srcaddr"],)).items():
        first, last = seen(recs)
        nbytes = sql_sum(r["bytes"] for r in recs)
        out.append(
            (src, first, last, len(recs), nbytes, distinct(r["dstaddr"] for r in recs), rejected(recs))
        )
    return limited(order(out, (1, True), (0, False)), p, 100)


@oracle
def high_packet_flows(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    low = p.get("min_packets", 10_000)
    out = []
    for r in ok(records, p):
        if r["packets"] is None or r["packets"] < low:
            continue
        seconds = r["end"] - r["start"]
        out.append(
            (
                ts(r["start"]),
                r["interface_id"],
                r["srcaddr"],
                r["srcport"],
                r["dstaddr"],
                r["dstport"],
                protocol_name(r["protocol"]),
                r["action"],
                r["packets"],
                r["bytes"],
                seconds,
                r["packets"] // max(seconds, 1),
                r["start"],
                r["protocol"],
            )
        )
    out = order(out, (8, True), (9, True), *asc(12, 1, 2, 3, 4, 5, 13, 7))
    return [row[:12] for row in limited(out, p, 100)]


@oracle
def incomplete_tcp_connections(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    tcp = [r for r in ok(records, p) if eq(r["protocol"], 6) and r["tcp_flags"] is not None]
    syns = [r for r in tcp if r["tcp_flags"] & 18 == 2]
    answered = {
        (r["dstaddr"], r["srcaddr"], r["srcport"])
        for r in tcp
        if r["tcp_flags"] & 18 == 18 and None not in (r["dstaddr"], r["srcaddr"], r["srcport"])
    }
    out = []
    for key, recs in group(syns, lambda r: (r["srcaddr"], r["dstaddr"], r["dstport"])).items():
        if None not in key and key in answered:
            continue
        out.append((*key, len(recs), rejected(recs), *seen(recs)))
    return limited(order(out, (3, True), *asc(0, 1, 2)), p, 100)


@oracle
def interface_traffic(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    keys = ("srcaddr", "dstaddr", "dstport", "protocol", "action")
    rows = [r for r in ok(records, p) if eq(r["interface_id"], p["eni"])]
    out = _by_flow_keys(rows, keys, name_protocol=True)
    cols = [*keys, "flows", "packets", "bytes", "first_seen", "last_seen"]
    return limited(_sorted_by(out, keys, [("bytes", True), ("flows", True)], cols), p, 100)


@oracle
def ip_version_bytes(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    out = []
    for (version, action), recs in group(
        ok(records, p), lambda r: (ip_version(r["srcaddr"]), r["action"])
    ).items():
        sources = distinct(r["srcaddr"] for r in recs)
        destinations = distinct(r["dstaddr"] for r in recs)
        out.append((version, action, *totals(recs), sources, destinations))
    return order(out, *asc(0, 1))


@oracle
def nat_translated_flows(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    def translated(r: Record) -> bool:
        if not (not_dash(r["pkt_srcaddr"]) and not_dash(r["pkt_dstaddr"])):
            return False
        # (pkt_srcaddr <> srcaddr OR pkt_dstaddr <> dstaddr) in three-valued logic
        src = None if r["srcaddr"] is None else r["pkt_srcaddr"] != r["srcaddr"]
        dst = None if r["dstaddr"] is None else r["pkt_dstaddr"] != r["dstaddr"]
        return src is True or dst is True

    rows = [r for r in ok(records, p) if translated(r)]
    out = []
    for key, recs in group(
        rows, lambda r: (r["pkt_srcaddr"], r["srcaddr"], r["dstaddr"], r["pkt_dstaddr"], r["interface_id"])
    ).items():
        out.append((*key, *totals(recs)))
    return limited(order(out, (7, True), (5, True), *asc(0, 1, 2, 3, 4)), p, 100)


@oracle
def rejected_tcp_traffic(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    rows = [r for r in ok(records, p) if eq(r["action"], "REJECT") and eq(r["protocol"], 6)]
    out = []
    for (src, dst, port), recs in group(rows, lambda r: (r["srcaddr"], r["dstaddr"], r["dstport"])).items():
        out.append((src, dst, port, port_service(port), *totals(recs), *seen(recs)))
    return limited(order(out, (4, True), (6, True), *asc(0, 1, 2)), p, 100)


@oracle
def rejected_traffic(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    keys = ("srcaddr", "dstaddr", "dstport", "protocol")
    rows = [r for r in ok(records, p) if eq(r["action"], "REJECT")]
    out = _by_flow_keys(rows, keys, name_protocol=True)
    cols = [*keys, "attempts", "packets", "bytes", "first_seen", "last_seen"]
    return limited(_sorted_by(out, keys, [("attempts", True), ("bytes", True)], cols), p, 100)


@oracle
def ssh_rdp_traffic(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    rows = [r for r in ok(records, p) if eq(r["protocol"], 6) and isin(r["dstport"], (22, 3389))]
    out = []
    for (src, dst, port, action), recs in group(
        rows, lambda r: (r["srcaddr"], r["dstaddr"], r["dstport"], r["action"])
    ).items():
        out.append((src, dst, port, port_service(port), action, *totals(recs), *seen(recs)))
    return limited(order(out, (7, True), (5, True), *asc(0, 1, 2, 4)), p, 100)


@oracle
def tcp_flags_summary(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    rows = [r for r in ok(records, p) if eq(r["protocol"], 6)]
    out = []
    for (flags,), recs in group(rows, lambda r: (r["tcp_flags"],)).items():
        flows, packets, nbytes = totals(recs)
        out.append((tcp_flags_name(flags), flags, flows, packets, nbytes, rejected(recs)))
    return order(out, (2, True), (1, False))


@oracle
def tcp_traffic_from_source(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    rows = [r for r in ok(records, p) if eq(r["protocol"], 6) and eq(r["srcaddr"], p["ip"])]
    out = []
    for (dst, port, action), recs in group(rows, lambda r: (r["dstaddr"], r["dstport"], r["action"])).items():
        out.append((dst, port, port_service(port), action, *totals(recs), *seen(recs)))
    return limited(order(out, (6, True), (4, True), *asc(0, 1, 3)), p, 100)


@oracle
def top_instances(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    rows = [r for r in ok(records, p) if not_dash(r["instance_id"])]
    out = []
    for (instance,), recs in group(rows, lambda r: (r["instance_id"],)).items():
        flows, packets, nbytes = totals(recs)
        out.append((instance, nbytes, packets, flows, distinct(r["interface_id"] for r in recs)))
    return limited(order(out, (1, True), (2, True), (0, False)), p, 20)


@oracle
def top_interfaces(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    account = p.get("account")
    rows = [r for r in ok(records, p) if account is None or eq(r["account_id"], account)]
    out = []
    for (eni, acct), recs in group(rows, lambda r: (r["interface_id"], r["account_id"])).items():
        sources = distinct(r["srcaddr"] for r in recs)
        destinations = distinct(r["dstaddr"] for r in recs)
        out.append((eni, acct, *totals(recs), rejected(recs), sources, destinations))
    return limited(order(out, (4, True), (2, True), *asc(0, 1)), p, 20)


def _split_bytes(recs: Sequence[Record], action: str) -> int | None:
    """sum(CASE WHEN action = '…' THEN bytes ELSE 0 END)."""
    return sql_sum((r["bytes"] if eq(r["action"], action) else 0) for r in recs)


@oracle
def top_subnets(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    rows = [r for r in ok(records, p) if not_dash(r["subnet_id"])]
    out = []
    for (subnet, vpc), recs in group(rows, lambda r: (r["subnet_id"], r["vpc_id"])).items():
        flows, packets, nbytes = totals(recs)
        interfaces = distinct(r["interface_id"] for r in recs)
        accepted, refused = _split_bytes(recs, "ACCEPT"), _split_bytes(recs, "REJECT")
        out.append((subnet, vpc, nbytes, accepted, refused, packets, flows, interfaces))
    return limited(order(out, (2, True), (5, True), *asc(0, 1)), p, 20)


@oracle
def top_talkers_packet_level(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    out = []
    for (src, dst), recs in group(ok(records, p), lambda r: (r["pkt_srcaddr"], r["pkt_dstaddr"])).items():
        flows, packets, nbytes = totals(recs)
        out.append((src, dst, nbytes, packets, flows))
    return limited(order(out, (2, True), (3, True), (0, False), (1, False)), p, 20)


@oracle
def total_bytes(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    recs = ok(records, p)
    flows, packets, nbytes = totals(recs)
    return [
        (
            flows,
            packets or 0,
            nbytes or 0,
            _split_bytes(recs, "ACCEPT") or 0,
            _split_bytes(recs, "REJECT") or 0,
            distinct(r["srcaddr"] for r in recs),
            distinct(r["dstaddr"] for r in recs),
            distinct(r["interface_id"] for r in recs),
        )
    ]


@oracle
def traffic_by_account(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    out = []
    for (account,), recs in group(ok(records, p), lambda r: (r["account_id"],)).items():
        out.append((account, *totals(recs), rejected(recs), distinct(r["interface_id"] for r in recs)))
    return order(out, (3, True), (1, True), (0, False))


@oracle
def traffic_by_az(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    def key(r: Record) -> tuple[Any, ...]:
        return (r["region"], r["az_id"], r["sublocation_type"] if not_dash(r["sublocation_type"]) else "")

    out = []
    for (region, az, sub), recs in group(ok(records, p), key).items():
        out.append((region, az, sub, *totals(recs), distinct(r["interface_id"] for r in recs)))
    return order(out, (5, True), *asc(0, 1, 2))


@oracle
def traffic_by_hour(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    def hour(r: Record) -> tuple[Any, ...]:
        return (ts(r["start"] - r["start"] % 3600),)

    out = []
    for (moment,), recs in group(ok(records, p), hour).items():
        out.append(
            (
                moment,
                _split_bytes(recs, "ACCEPT"),
                _split_bytes(recs, "REJECT"),
                sql_sum((r["packets"] if eq(r["action"], "ACCEPT") else 0) for r in recs),
                sql_sum((r["packets"] if eq(r["action"], "REJECT") else 0) for r in recs),
                count_if(recs, lambda r: eq(r["action"], "ACCEPT")),
                rejected(recs),
            )
        )
    return order(out, (0, False))


BUCKET_SECONDS = {"5m": 300, "15m": 900, "1h": 3600, "1d": 86400}


@oracle
def traffic_over_time(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    size = BUCKET_SECONDS[p.get("bucket", "1h")]

    def bucket(r: Record) -> tuple[Any, ...]:
        return (ts(r["start"] - r["start"] % size),)

    out = []
    for (moment,), recs in group(ok(records, p), bucket).items():
        out.append(
            (
                moment,
                _split_bytes(recs, "ACCEPT"),
                _split_bytes(recs, "REJECT"),
                sql_sum((r["packets"] if eq(r["action"], "ACCEPT") else 0) for r in recs),
                sql_sum((r["packets"] if eq(r["action"], "REJECT") else 0) for r in recs),
                count_if(recs, lambda r: eq(r["action"], "ACCEPT")),
                rejected(recs),
            )
        )
    return order(out, (0, False))


@oracle
def traffic_by_protocol(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    out = []
    for (number,), recs in group(ok(records, p), lambda r: (r["protocol"],)).items():
        out.append((protocol_name(number), number, *totals(recs), rejected(recs)))
    return order(out, (4, True), (1, False))


@oracle
def traffic_from_source(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    keys = ("dstaddr", "dstport", "protocol", "action")
    rows = [r for r in ok(records, p) if eq(r["srcaddr"], p["ip"])]
    out = _by_flow_keys(rows, keys, name_protocol=True)
    cols = [*keys, "flows", "packets", "bytes", "first_seen", "last_seen"]
    return limited(_sorted_by(out, keys, [("bytes", True), ("flows", True)], cols), p, 100)


@oracle
def traffic_to_destination(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    keys = ("srcaddr", "dstport", "protocol", "action")
    rows = [r for r in ok(records, p) if eq(r["dstaddr"], p["ip"])]
    out = _by_flow_keys(rows, keys, name_protocol=True)
    cols = [*keys, "flows", "packets", "bytes", "first_seen", "last_seen"]
    return limited(_sorted_by(out, keys, [("bytes", True), ("flows", True)], cols), p, 100)


@oracle
def unusual_protocols(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    rows = [r for r in ok(records, p) if r["protocol"] is not None and r["protocol"] not in (1, 6, 17, 58)]
    out = []
    for (number, src, dst, action), recs in group(
        rows, lambda r: (r["protocol"], r["srcaddr"], r["dstaddr"], r["action"])
    ).items():
        out.append((protocol_name(number), number, src, dst, action, *totals(recs), *seen(recs)))
    return limited(order(out, (5, True), (7, True), *asc(1, 2, 3, 4)), p, 100)


@oracle
def log_coverage(records: Sequence[Record], p: dict[str, Any]) -> list[Row]:
    out = []
    for (moment,), recs in group(
        in_window(records, p), lambda r: (ts(r["start"] - r["start"] % 3600),)
    ).items():
        counts = [count_if(recs, lambda r, s=s: eq(r["log_status"], s)) for s in ("OK", "NODATA", "SKIPDATA")]
        out.append((moment, distinct(r["interface_id"] for r in recs), *counts))
    return order(out, (0, False))
