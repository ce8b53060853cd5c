"""The SQL helpers every investigation template can call, each returning trusted Athena SQL.

    {{ table }}                    the flow-log table, "database"."table"
    {{ in_window() }}              the time window on `start` plus the partition predicate
    {{ is_private("srcaddr") }}    address in 10/8, 172.16/12, 192.168/16 or fc00::/7 (RFC 1918, ULA)
    {{ is_public("dstaddr") }}     a real address outside those ranges
    {{ protocol_name("protocol") }}, {{ tcp_flags_name("tcp_flags") }},
    {{ traffic_path_name("traffic_path") }}, {{ port_service("dstport") }},
    {{ ip_version("srcaddr") }}    numbers and codes decoded for a human
    {{ inventory("interfaces") }}  an inventory table ("database"."inventory_interfaces"); the
                                   investigation's header says `inventory: required` or `optional`
    {{ has_inventory }}            whether the inventory exists (for `optional` investigations)
    {{ in_baseline(days) }}        like in_window() for the `days` before the window's start

Arguments are column names written in the template itself; a parameter value is refused, so a
value can only ever reach SQL as a literal. Address tests ignore `-` (NULLIF before the cast): a
NODATA/SKIPDATA record's `-` is neither private nor public, it is NULL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from flowsql.investigations.params import PROTOCOL_NAMES, Value
from flowsql.investigations.window import TimeWindow
from flowsql.tables.fields import quote_query
from flowsql.tables.spec import TableSpec

# Only these are "private": the RFC 1918 + IPv6 ULA rule. Shared address space (100.64/10),
# loopback and link-local are not listed: AWS does not log traffic to 169.254.169.254 and friends,
# and a plain-Python reference answer can use exactly this tuple with the ipaddress module.
PRIVATE_RANGES: tuple[str, ...] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")

# AWS's wording for the traffic-path codes.
TRAFFIC_PATHS: dict[int, str] = {
    1: "same VPC",
    2: "internet gateway or gateway VPC endpoint",
    3: "virtual private gateway",
    4: "intra-region peering",
    5: "inter-region peering",
    6: "local gateway",
    7: "gateway VPC endpoint (Nitro)",
    8: "internet gateway (Nitro)",
}

# Well-known destination ports an analyst recognises on sight.
PORT_SERVICES: dict[int, str] = {
    22: "SSH",
    23: "Telnet",
    25: "SMTP",
    53: "DNS",
    80: "HTTP",
    123: "NTP",
    443: "HTTPS",
    445: "SMB",
    1433: "MSSQL",
    1521: "Oracle",
    2375: "Docker",
    3306: "MySQL",
    3389: "RDP",
    5432: "PostgreSQL",
    5900: "VNC",
    6379: "Redis",
    9200: "Elasticsearch",
    11211: "Memcached",
    27017: "MongoDB",
}

_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


class MacroError(Exception):
    """A template called a helper wrongly; the library reports it with the file and line."""


def _column(arg: Any, macro: str) -> str:
    if isinstance(arg, Value) or not isinstance(arg, str) or not _COLUMN.match(arg):
        raise MacroError(
            f'{macro}() takes a column name written in the template, like {macro}("srcaddr"); got {arg!r}'
        )
    return ".".join(quote_query(part) for part in arg.split("."))


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _case(column: str, names: dict[int, str], otherwise: str) -> str:
    arms = " ".join(f"WHEN {number} THEN {_string(name)}" for number, name in sorted(names.items()))
    return f"CASE {column} {arms} ELSE {otherwise} END"


def is_private(arg: str) -> Markup:
    column = _column(arg, "is_private")
    address = f"CAST(NULLIF({column}, '-') AS IPADDRESS)"
    tests = " OR ".join(f"CONTAINS({_string(cidr)}, {address})" for cidr in PRIVATE_RANGES)
    return Markup(f"({tests})")


def is_public(arg: str) -> Markup:
    _column(arg, "is_public")
    return Markup(f"(NOT {is_private(arg)})")


def protocol_name(arg: str) -> Markup:
    column = _column(arg, "protocol_name")
    return Markup(_case(column, PROTOCOL_NAMES, f"CAST({column} AS VARCHAR)"))


def traffic_path_name(arg: str) -> Markup:
    column = _column(arg, "traffic_path_name")
    return Markup(_case(column, TRAFFIC_PATHS, f"CAST({column} AS VARCHAR)"))


def port_service(arg: str) -> Markup:
    column = _column(arg, "port_service")
    return Markup(_case(column, PORT_SERVICES, "NULL"))


def ip_version(arg: str) -> Markup:
    column = _column(arg, "ip_version")
    return Markup(f"CASE WHEN {column} LIKE '%:%' THEN 'IPv6' WHEN {column} LIKE '%.%' THEN 'IPv4' END")


def tcp_flags_name(arg: str) -> Markup:
    """'SYN', 'SYN-ACK+FIN', 'RST'…; 'none' for 0 (ACK or PSH alone report 0), NULL for NULL.

    SYN-ACK (18) is one name, as AWS documents it; the other bits are listed in a fixed order."""
    column = _column(arg, "tcp_flags_name")

    def bit(mask: int, name: str, extra: str = "") -> str:
        return f"CASE WHEN BITWISE_AND({column}, {mask}) = {mask}{extra} THEN '+{name}' ELSE '' END"

    parts = [
        f"CASE WHEN BITWISE_AND({column}, 18) = 18 THEN '+SYN-ACK' "
        f"WHEN BITWISE_AND({column}, 2) = 2 THEN '+SYN' ELSE '' END",
        bit(16, "ACK", f" AND BITWISE_AND({column}, 2) = 0"),
        bit(1, "FIN"),
        bit(4, "RST"),
        bit(8, "PSH"),
        bit(32, "URG"),
    ]
    joined = " || ".join(parts)
    return Markup(
        f"CASE WHEN {column} IS NULL THEN NULL WHEN {column} = 0 THEN 'none' ELSE SUBSTR({joined}, 2) END"
    )


def tcp_flags_text(flags: int | None) -> str | None:
    """What tcp_flags_name() yields for a value, in Python (for reference answers and docs)."""
    if flags is None:
        return None
    if flags == 0:
        return "none"
    out = []
    if flags & 18 == 18:
        out.append("SYN-ACK")
    elif flags & 2:
        out.append("SYN")
    if flags & 16 and not flags & 2:
        out.append("ACK")
    out += [name for mask, name in ((1, "FIN"), (4, "RST"), (8, "PSH"), (32, "URG")) if flags & mask]
    return "+".join(out)


STATIC_HELPERS: dict[str, Callable[..., Markup]] = {
    "is_private": is_private,
    "is_public": is_public,
    "protocol_name": protocol_name,
    "traffic_path_name": traffic_path_name,
    "port_service": port_service,
    "ip_version": ip_version,
    "tcp_flags_name": tcp_flags_name,
}

HELPER_NAMES = frozenset({"table", "in_window", "in_baseline", "inventory", "has_inventory", *STATIC_HELPERS})
# The helpers a template calls with names written in it (columns, an inventory table); the sandbox
# checks their arguments. in_baseline() takes an int parameter (and refuses anything else), and
# has_inventory is a plain boolean.
LITERAL_HELPERS = HELPER_NAMES - {"table", "in_baseline", "has_inventory"}

MAX_BASELINE_DAYS = 90


def baseline_window(window: TimeWindow, days: Any) -> TimeWindow:
    """The `days` days just before the window: what `in_baseline(days)` reads."""
    from datetime import timedelta

    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_BASELINE_DAYS:
        raise MacroError(
            f"in_baseline() takes a whole number of days from 1 to {MAX_BASELINE_DAYS} "
            f"(an int parameter); got {days!r}"
        )
    return TimeWindow(window.start - timedelta(days=days), window.start)


def helpers(
    spec: TableSpec,
    window: TimeWindow,
    *,
    inventory: bool = False,
    reads: list[TimeWindow] | None = None,
) -> dict[str, Any]:
    """The template context besides parameters, for one table and window. `inventory`: whether the
    inventory tables exist; `reads` collects every window the template reads (the window itself and
    any baseline), so the caller can bound file pruning to their span."""
    from flowsql.inventory.tables import TABLES, table_name

    def in_window() -> Markup:
        # The spec's accounts/regions describe what the table holds: restricting to them is what
        # partition projection does anyway, and prunes a local scan the same way.
        if reads is not None:
            reads.append(window)
        return Markup(f"({spec.window_predicate(window, spec.accounts, spec.regions)})")

    def in_baseline(days: Any) -> Markup:
        baseline = baseline_window(window, days)
        if reads is not None:
            reads.append(baseline)
        return Markup(f"({spec.window_predicate(baseline, spec.accounts, spec.regions)})")

    def inventory_table(name: Any) -> Markup:
        if isinstance(name, Value) or not isinstance(name, str) or name not in TABLES:
            raise MacroError(
                f"inventory() takes the name of an inventory table written in the template "
                f"({', '.join(TABLES)}); got {name!r}"
            )
        if not inventory:
            raise MacroError(
                "inventory() was called without an inventory: declare `inventory: required`, or guard "
                "the use with {% if has_inventory %} and declare `inventory: optional`"
            )
        return Markup(f'"{spec.database}"."{table_name(name)}"')

    return {
        "table": Markup(spec.qualified_name),
        "in_window": in_window,
        "in_baseline": in_baseline,
        "inventory": inventory_table,
        "has_inventory": inventory,
        **STATIC_HELPERS,
    }
