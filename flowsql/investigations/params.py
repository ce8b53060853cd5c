"""Typed investigation parameters: declared in a query file's header, parsed from `-p NAME=VALUE`
strings or Python values, and rendered into SQL only as literals.

A parsed value is a plain Python value (int, tuple of ints, datetime) or a `Value`: a `str` subclass
that renders itself as one SQL string literal. The SQL macros refuse a `Value` as an argument, so a
parameter can never be spliced into a statement as an identifier.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from flowsql.errors import ParameterError
from flowsql.investigations.window import parse_instant

# IANA protocol numbers flow logs carry, by the name people type and read.
PROTOCOL_NAMES: dict[int, str] = {
    1: "ICMP",
    2: "IGMP",
    4: "IPv4",
    6: "TCP",
    17: "UDP",
    41: "IPv6",
    47: "GRE",
    50: "ESP",
    51: "AH",
    58: "ICMPv6",
    89: "OSPF",
    132: "SCTP",
}
PROTOCOL_NUMBERS: dict[str, int] = {name.lower(): number for number, name in PROTOCOL_NAMES.items()}

MAX_TEXT = 1000
MAX_PORTS = 1024

_ENI = re.compile(r"^eni-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_ACCOUNT = re.compile(r"^\d{12}$")
_INT = re.compile(r"^[+-]?\d+$")
_MAX_DIGITS = 30  # far beyond any bound; int() of thousands of digits is refused by Python itself
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

WINDOW_PARAMS = ("start", "end", "last")


def _close_matches(word: str, possibilities: Sequence[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    import difflib  # only a mistake needs it

    return difflib.get_close_matches(word, possibilities, n=n, cutoff=cutoff)


class Value(str):
    """A parameter's text value: renders as one SQL string literal, never as SQL."""

    __slots__ = ()

    def __sql__(self) -> str:
        return "'" + self.replace("'", "''") + "'"


class Price(float):
    """A price in US dollars: renders as a DOUBLE, so both engines compute with the same floats."""

    __slots__ = ()

    def __sql__(self) -> str:
        return f"CAST({float(self)!r} AS DOUBLE)"


class Instant(datetime):
    """A timestamp parameter. Every time column in a flow log is Unix seconds, so it renders as one."""

    def __sql__(self) -> str:
        return str(int(self.timestamp()))


def _shown(raw: Any) -> str:
    """A value as an error message shows it: bare when that is unambiguous, else repr."""
    plain = isinstance(raw, str) and raw.isprintable() and not any(c.isspace() for c in raw)
    if plain and raw and len(raw) <= 80:
        return raw
    text = repr(raw)
    return text if len(text) <= 80 else text[:77] + "..."


def _fail(name: str, expected: str, raw: Any, hint: str | None = None) -> ParameterError:
    return ParameterError(f"{name} must be {expected}, got {_shown(raw)}", hint=hint)


def _integer(name: str, raw: Any, expected: str) -> int:
    if isinstance(raw, bool):
        raise _fail(name, expected, raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and _INT.match(raw.strip()):
        if len(raw.strip().lstrip("+-")) > _MAX_DIGITS:
            raise _fail(name, expected, raw, hint=f"a number of {len(raw.strip())} digits is out of range")
        return int(raw.strip())
    raise _fail(name, expected, raw)


def _text(name: str, raw: Any, expected: str) -> str:
    if not isinstance(raw, str):
        raise _fail(name, expected, raw)
    return raw.strip()


@dataclass(frozen=True)
class Param:
    """One declared parameter of an investigation."""

    name: str
    type: str
    default: Any = None
    required: bool = False
    help: str = ""
    min: int | None = None
    max: int | None = None
    choices: tuple[str, ...] = ()
    example: Any = None
    line: int | None = field(default=None, compare=False)

    # --- description ------------------------------------------------------------------

    def expected(self) -> str:
        """The accepted form, as error messages and `flowsql show` word it."""
        if self.type == "int":
            if self.min is not None and self.max is not None:
                return f"an integer from {self.min} to {self.max}"
            if self.min is not None:
                return f"an integer ≥ {self.min}"
            if self.max is not None:
                return f"an integer ≤ {self.max}"
            return "an integer"
        if self.type == "choice":
            return "one of " + ", ".join(self.choices)
        return TYPES[self.type][0]

    def example_value(self) -> Any:
        """A valid value for rendering a query without user input (validation, tests)."""
        if self.example is not None:
            return self.example
        if not self.required:
            return self.default
        if self.type == "int":
            return self.min if self.min is not None else (self.max if self.max is not None else 1)
        if self.type == "choice":
            return self.choices[0]
        return TYPES[self.type][1]

    # --- parsing ----------------------------------------------------------------------

    def parse(self, raw: Any) -> Any:
        """The typed value of `raw` (a string from the command line, or a Python value)."""
        if raw is None:
            if self.required:
                raise ParameterError(f"{self.name} is required: {self.expected()}")
            return None
        parser = _PARSERS[self.type]
        return parser(self, raw)

    def _int(self, raw: Any) -> int:
        value = _integer(self.name, raw, self.expected())
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise _fail(self.name, self.expected(), raw)
        return value

    def _port(self, raw: Any) -> int:
        value = _integer(self.name, raw, TYPES["port"][0])
        if not 0 <= value <= 65535:
            raise _fail(self.name, TYPES["port"][0], raw)
        return value

    def _ports(self, raw: Any) -> tuple[int, ...]:
        expected = TYPES["ports"][0]
        if isinstance(raw, str):
            items: list[Any] = [p for p in re.split(r"[,\s]+", raw.strip()) if p]
        elif isinstance(raw, Sequence | set | frozenset) and not isinstance(raw, str):
            items = list(raw)
        elif isinstance(raw, int) and not isinstance(raw, bool):
            items = [raw]
        else:
            raise _fail(self.name, expected, raw)
        if not items:
            raise _fail(self.name, expected, raw)
        if len(items) > MAX_PORTS:
            raise _fail(self.name, f"at most {MAX_PORTS} ports", f"{len(items)} ports")
        ports: list[int] = []
        for item in items:
            value = _integer(self.name, item, expected)
            if not 0 <= value <= 65535:
                raise ParameterError(f"{self.name}: port must be 0–65535, got {_shown(item)}")
            if value not in ports:
                ports.append(value)
        return tuple(ports)

    def _protocol(self, raw: Any) -> int:
        expected = TYPES["protocol"][0]
        if isinstance(raw, str) and raw.strip().lower() in PROTOCOL_NUMBERS:
            return PROTOCOL_NUMBERS[raw.strip().lower()]
        try:
            value = _integer(self.name, raw, expected)
        except ParameterError:
            close = _close_matches(str(raw).strip().lower(), list(PROTOCOL_NUMBERS), n=1)
            raise _fail(
                self.name, expected, raw, hint=f"did you mean {close[0]}?" if close else None
            ) from None
        if not 0 <= value <= 255:
            raise _fail(self.name, expected, raw)
        return value

    def _ip(self, raw: Any) -> Value:
        expected = TYPES["ip"][0]
        if isinstance(raw, ipaddress.IPv4Address | ipaddress.IPv6Address):
            address = raw
        else:
            text = _text(self.name, raw, expected)
            if "%" in text:
                raise _fail(self.name, expected + " (without a %zone)", raw)
            try:
                address = ipaddress.ip_address(text)
            except ValueError:
                raise _fail(self.name, expected, raw) from None
        # Flow logs write an IPv4 address in dotted form, also when it was given IPv4-mapped
        # (::ffff:10.0.0.5); the compressed form is how they write IPv6, so string comparison finds both.
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return Value(str(address))

    def _cidr(self, raw: Any) -> Value:
        expected = TYPES["cidr"][0]
        if isinstance(raw, ipaddress.IPv4Network | ipaddress.IPv6Network):
            return Value(str(_unmapped(raw)))
        text = _text(self.name, raw, expected)
        if "%" in text:
            raise _fail(self.name, expected, raw)
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError:
            try:
                loose = ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise _fail(self.name, expected, raw) from None
            _refuse_short_mapped(self.name, text, raw)
            raise _fail(
                self.name, expected + " with no host bits set", raw, hint=f"did you mean {_unmapped(loose)}?"
            ) from None
        return Value(str(_unmapped(network)))

    def _eni(self, raw: Any) -> Value:
        expected = TYPES["eni"][0]
        text = _text(self.name, raw, expected).lower()
        if not _ENI.match(text):
            raise _fail(self.name, expected, raw)
        return Value(text)

    def _account(self, raw: Any) -> Value:
        expected = TYPES["account"][0]
        if isinstance(raw, int) and not isinstance(raw, bool):
            raise _fail(self.name, expected + " (as a string: leading zeros matter)", raw)
        text = _text(self.name, raw, expected)
        if not _ACCOUNT.match(text):
            raise _fail(self.name, expected, raw)
        return Value(text)

    def _timestamp(self, raw: Any) -> Instant:
        if not isinstance(raw, str | date | datetime):
            raise _fail(self.name, TYPES["timestamp"][0], raw)
        moment = parse_instant(raw, self.name)
        return Instant.fromtimestamp(moment.timestamp(), moment.tzinfo)

    def _price(self, raw: Any) -> Price:
        expected = TYPES["price"][0]
        if isinstance(raw, bool):
            raise _fail(self.name, expected, raw)
        try:
            value = float(raw.strip()) if isinstance(raw, str) else float(raw)
        except (TypeError, ValueError):
            raise _fail(self.name, expected, raw) from None
        if not (math.isfinite(value) and 0 <= value <= 1000):
            raise _fail(self.name, expected, raw)
        return Price(value)

    def _choice(self, raw: Any) -> Value:
        text = _text(self.name, raw, self.expected())
        for choice in self.choices:
            if text.lower() == choice.lower():
                return Value(choice)
        close = _close_matches(text, list(self.choices), n=1)
        raise _fail(self.name, self.expected(), raw, hint=f"did you mean {close[0]}?" if close else None)

    def _free_text(self, raw: Any) -> Value:
        expected = TYPES["text"][0]
        if not isinstance(raw, str):
            raise _fail(self.name, expected, raw)
        if len(raw) > MAX_TEXT:
            raise _fail(self.name, expected, f"{len(raw)} characters")
        if "\x00" in raw:
            raise _fail(self.name, expected + " (no NUL character)", raw)
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            raise _fail(self.name, expected + " (valid Unicode)", raw) from None
        return Value(raw)


_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def _unmapped(network: Any) -> Any:
    """An IPv4-mapped network (::ffff:10.0.0.0/104) as the IPv4 network it maps (10.0.0.0/8): flow
    logs write IPv4 addresses in dotted form."""
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96 and network.subnet_of(_MAPPED):
        return ipaddress.IPv4Network((network.network_address.ipv4_mapped, network.prefixlen - 96))
    return network


def _refuse_short_mapped(name: str, text: str, raw: Any) -> None:
    """An IPv4-mapped address with a prefix under /96 covers more than IPv4: say so."""
    address, _, prefix = text.partition("/")
    with contextlib.suppress(ValueError):
        if ipaddress.IPv6Address(address).ipv4_mapped is not None and int(prefix) < 96:
            raise _fail(
                name,
                "an IPv4-mapped network with a prefix of /96 or longer (::ffff:10.0.0.0/104 is 10.0.0.0/8)",
                raw,
                hint="give the IPv4 network itself, such as 10.0.0.0/8",
            )


# type name -> (expected form, example value)
TYPES: dict[str, tuple[str, Any]] = {
    "ip": ("an IPv4 or IPv6 address (10.0.0.5, 2001:db8::5)", "10.0.0.5"),
    "cidr": ("an IPv4 or IPv6 network (10.0.0.0/16, 2001:db8::/32)", "10.0.0.0/16"),
    "port": ("0–65535", 443),
    "ports": ("a comma-separated list of ports 0–65535 (22,3389)", "22,3389"),
    "protocol": ("a protocol number 0–255 or a name (tcp, udp, icmp, icmpv6)", "tcp"),
    "int": ("an integer", 1),
    "choice": ("one of the choices", None),
    "eni": ("a network interface id (eni- and 8 or 17 hex digits)", "eni-0123456789abcdef0"),
    "account": ("a 12-digit AWS account id", "123456789012"),
    "timestamp": ("an ISO-8601 date or datetime in UTC (2024-05-01T13:00:00Z)", "2024-05-01T00:00:00Z"),
    "text": (f"text of at most {MAX_TEXT} characters", "example"),
    "price": ("a price in US dollars from 0 to 1000 (0.045)", 0.045),
}

_PARSERS = {
    "int": Param._int,
    "port": Param._port,
    "ports": Param._ports,
    "protocol": Param._protocol,
    "ip": Param._ip,
    "cidr": Param._cidr,
    "eni": Param._eni,
    "account": Param._account,
    "timestamp": Param._timestamp,
    "choice": Param._choice,
    "text": Param._free_text,
    "price": Param._price,
}

_SPEC_KEYS = ("type", "default", "help", "min", "max", "choices", "example")


def from_metadata(name: str, data: Any, *, line: int | None = None) -> Param:
    """A Param from its header entry, e.g. `{type: port, default: 22, help: …}`.

    Raises ValueError with a message for the file's author (the library adds file and line)."""
    if not _NAME.match(name):
        raise ValueError(f"parameter name {name!r} must be a lowercase identifier")
    if name in WINDOW_PARAMS:
        raise ValueError(f"{name!r} is the time window every investigation takes: do not declare it")
    if not isinstance(data, Mapping):
        raise ValueError(f"parameter {name}: expected a mapping such as {{type: port, default: 22}}")
    unknown = [k for k in data if k not in _SPEC_KEYS]
    if unknown:
        close = _close_matches(str(unknown[0]), _SPEC_KEYS, n=1)
        raise ValueError(
            f"parameter {name}: unknown key {unknown[0]!r}"
            + (f" (did you mean {close[0]}?)" if close else "")
        )
    kind = data.get("type")
    if kind not in TYPES:
        close = _close_matches(str(kind), list(TYPES), n=1)
        raise ValueError(
            f"parameter {name}: type must be one of {', '.join(TYPES)}, got {kind!r}"
            + (f" (did you mean {close[0]}?)" if close else "")
        )
    for bound in ("min", "max"):
        if data.get(bound) is not None and (kind != "int" or type(data[bound]) is not int):
            raise ValueError(f"parameter {name}: {bound} is an integer bound of an int parameter")
    choices = data.get("choices")
    if kind == "choice":
        if not isinstance(choices, list) or not choices or not all(isinstance(c, str) for c in choices):
            raise ValueError(f"parameter {name}: a choice parameter needs choices: [a, b, …]")
    elif choices is not None:
        raise ValueError(f"parameter {name}: only a choice parameter has choices")
    help_text = data.get("help", "")
    if not isinstance(help_text, str):
        raise ValueError(f"parameter {name}: help must be text")
    param = Param(
        name=name,
        type=kind,
        required="default" not in data,
        help=help_text.strip(),
        min=data.get("min"),
        max=data.get("max"),
        choices=tuple(choices or ()),
        example=data.get("example"),
        line=line,
    )
    try:
        default = param.parse(data["default"]) if "default" in data else None
        if param.example is not None:
            param.parse(param.example)
    except ParameterError as exc:
        raise ValueError(f"parameter {name}: {exc.message}") from None
    return replace(param, default=default)


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """`-p NAME=VALUE` strings as a dict; the value may itself contain '='."""
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(
                f"-p expects NAME=VALUE, got {_shown(item)}", hint="for example: -p port=22 -p limit=50"
            )
        if name in values:
            raise ParameterError(f"parameter {name} given twice (-p {name}=…)")
        values[name] = value
    return values


def resolve(declared: Mapping[str, Param], given: Mapping[str, Any], *, investigation: str) -> dict[str, Any]:
    """Typed values for every declared parameter: given ones parsed, the rest defaulted.

    `given` must not hold the window (start/end); unknown names suggest the closest declared ones."""
    for name in given:
        if name not in declared:
            known = [*WINDOW_PARAMS, *declared]
            # A declared parameter is the likelier meaning of a typo than the window's names.
            close = _close_matches(name, list(declared), n=3, cutoff=0.5)
            close = close or _close_matches(name, list(WINDOW_PARAMS), n=3, cutoff=0.5)
            hint = (
                "did you mean " + " or ".join(close) + "?"
                if close
                else "its parameters are: " + ", ".join(known)
            )
            raise ParameterError(f"{investigation} has no parameter {name!r}", hint=hint)
    values: dict[str, Any] = {}
    for name, param in declared.items():
        if name in given:
            values[name] = param.parse(given[name])
        elif param.required:
            raise ParameterError(
                f"{investigation} needs parameter {name}: {param.expected()}",
                hint=f"pass -p {name}={param.example_value()}",
            )
        else:
            values[name] = param.default
    return values
