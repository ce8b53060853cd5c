"""IP addresses: contains(cidr, CAST(x AS IPADDRESS)) and comparisons of IPADDRESS values, as
integer tests on the text (IPv4 macro, IPv6 macro) with Trino's rules for which texts are addresses."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from flowsql.engines.duckdb.nodes import RewriteBase, _is, _kind
from flowsql.errors import UnsupportedConstruct, ValidationError

if TYPE_CHECKING:
    from sqlglot import exp


class IpRewrites(RewriteBase):
    """IPADDRESS casts, CIDR containment and address comparisons."""

    def contains(self, node: exp.ArrayContains) -> exp.Expr | None:
        exp = self.exp
        network, address = node.this, node.expression
        if not getattr(address, "meta", {}).get("flowsql_ip_text"):
            if _is(network, *exp.DataType.TEXT_TYPES):
                raise UnsupportedConstruct(
                    "contains(cidr, x) needs x to be CAST(x AS IPADDRESS) (Athena rejects a varchar)"
                )
            return None  # contains(array, element)
        text = address.meta["flowsql_ip_text"]
        if node.find_ancestor(exp.Try):
            raise UnsupportedConstruct("contains(cidr, address) inside try()")
        if isinstance(network, exp.Literal) and network.is_string:
            is_v4, high, shift = _parse_cidr(network.this)
            if is_v4:
                pattern = exp.Literal.string(_ipv4_network_regex(high, shift))
                return self.fn(
                    "flowsql_in_net4", text, pattern, exp.Literal.number(high), exp.Literal.number(shift)
                )
            if shift == 128:
                return exp.Not(this=self.fn("flowsql_is_ipv4_value", self.fn("flowsql_ip", text)))
            if shift >= 112 and high != 0:
                # decided by the first group: no 128-bit parse per row (see macros.sql)
                return self.fn(
                    "flowsql_in_net6_head", text, exp.Literal.number(high), exp.Literal.number(shift)
                )
            return self.fn("flowsql_in_net6", text, exp.Literal.string(str(high)), exp.Literal.number(shift))
        return self.fn("flowsql_contains_cidr", network, text)

    def comparison(self, node: exp.Binary) -> exp.Expr | None:
        operands = [node.this, node.expression]
        ip = [bool(o.meta.get("flowsql_ip_text")) for o in operands]
        if any(ip):
            if not all(ip):
                raise UnsupportedConstruct(
                    f"comparing an IPADDRESS with a {_kind(operands[ip.index(False)])}"
                )
            for operand in operands:
                operand.replace(self.ip_value(operand))
            return None
        self.check_comparable(node, *operands)
        return None

    def between(self, node: exp.Between) -> exp.Expr | None:
        operands = [node.this, node.args["low"], node.args["high"]]
        if any(o.meta.get("flowsql_ip_text") for o in operands):
            if not all(o.meta.get("flowsql_ip_text") for o in operands):
                raise UnsupportedConstruct("BETWEEN mixing IPADDRESS and other types")
            for operand in operands:
                operand.replace(self.ip_value(operand))
            return None
        self.check_comparable(node, *operands)
        return None

    def in_(self, node: exp.In) -> exp.Expr | None:
        operands = [node.this, *node.expressions]
        if any(o.meta.get("flowsql_ip_text") for o in operands):
            if not all(o.meta.get("flowsql_ip_text") for o in operands):
                raise UnsupportedConstruct("IN mixing IPADDRESS and other types")
            for operand in operands:
                operand.replace(self.ip_value(operand))
            return None
        self.check_comparable(node, *operands)
        return None

    def ip_value(self, operand: exp.Expr) -> exp.Expr:
        """The 128-bit value DuckDB compares for an operand that was CAST(x AS IPADDRESS)."""
        exp = self.exp
        text = operand.meta["flowsql_ip_text"]
        if isinstance(text, exp.Literal) and text.is_string:
            value = _ip_value(text.this)
            return exp.cast(exp.Literal.string(str(value)), exp.DataType.build("UHUGEINT", dialect="duckdb"))
        name = "flowsql_try_ip" if operand.meta.get("flowsql_ip_try") else "flowsql_ip"
        return self.fn(name, text)

    def check_comparable(self, node: exp.Expr, *operands: exp.Expr) -> None:
        """Trino refuses to compare varchar with a number (DuckDB would cast one side silently)."""
        exp = self.exp
        text = [o for o in operands if _is(o, *exp.DataType.TEXT_TYPES)]
        numbers = [o for o in operands if _is(o, *exp.DataType.NUMERIC_TYPES)]
        if text and numbers:
            raise UnsupportedConstruct(
                f"comparing varchar with a number ({node.sql('athena')}): Athena rejects it",
                hint="compare numbers with numbers and text with quoted strings, or CAST one side",
            )


def _ip_value(text: str) -> int:
    """The 128-bit IPADDRESS value of an address literal; IPv4 as ::ffff:a.b.c.d (like Trino)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not an IP address (CAST AS IPADDRESS fails on Athena)") from None
    if address.version == 4:
        return int(address) + 0xFFFF00000000
    return int(address)


_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"


def _ipv4_network_regex(high: int, shift: int) -> str:
    """A regular expression matching exactly the dotted quads (no leading zeros) in the network."""
    network = high << shift
    octets = [(network >> (24 - 8 * i)) & 255 for i in range(4)]
    prefix = 32 - shift
    parts = []
    for i, octet in enumerate(octets):
        bits = min(max(prefix - 8 * i, 0), 8)  # network bits inside this octet
        if bits == 8:
            parts.append(str(octet))
        elif bits == 0:
            parts.append(_OCTET)
        else:
            values = range(octet, octet + (1 << (8 - bits)))
            parts.append("(" + "|".join(str(v) for v in values) + ")")
    return r"\.".join(parts)


def _parse_cidr(cidr: str) -> tuple[bool, int, int]:
    """(is IPv4, network >> shift, shift) for a CIDR literal, with Trino's contains() checks."""
    base, slash, prefix_text = cidr.partition("/")
    if not slash:
        raise ValidationError(f"contains(): {cidr!r} is not a CIDR (Invalid CIDR on Athena)")
    try:
        address = ipaddress.ip_address(base)
    except ValueError:
        raise ValidationError(f"contains(): {cidr!r} has an invalid network address") from None
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # Java treats ::ffff:a.b.c.d as a 4-byte address
    try:
        prefix = int(prefix_text)
    except ValueError:
        raise ValidationError(f"contains(): {cidr!r} has an invalid prefix length") from None
    bits = 32 if address.version == 4 else 128
    if prefix < 0 or prefix > bits:
        raise ValidationError(f"contains(): prefix length in {cidr!r} is outside 0..{bits}")
    value = int(address)
    shift = bits - prefix
    if address.version == 4 and value & ((1 << shift) - 1):
        raise ValidationError(f"contains(): {cidr!r} has host bits set (Invalid CIDR on Athena)")
    return address.version == 4, value >> shift, shift


# --- Java (Joda) date-time patterns -------------------------------------------------------------

# Joda letter runs with an exact strftime equivalent for UTC values. Zone letters print UTC's own
# spelling because every flowsql session runs in UTC.
