"""Typed parameters: parsing, normalising, and the error a person sees for a wrong value."""

from __future__ import annotations

import ipaddress
from datetime import date, datetime, timezone

import pytest

from flowsql.errors import ParameterError
from flowsql.investigations.params import (
    Instant,
    Param,
    Value,
    from_metadata,
    parse_assignments,
    resolve,
)
from flowsql.investigations.templates import sql_literal


def param(kind: str, **extra: object) -> Param:
    return from_metadata("x" if kind != "port" else "port", {"type": kind, **extra})


# --- each type --------------------------------------------------------------------------------


def test_port_error_names_parameter_value_and_range() -> None:
    with pytest.raises(ParameterError) as err:
        param("port").parse("70000")
    assert str(err.value) == "port must be 0–65535, got 70000"


@pytest.mark.parametrize("raw, expected", [("22", 22), (" 443 ", 443), (0, 0), (65535, 65535)])
def test_port_accepts(raw: object, expected: int) -> None:
    assert param("port").parse(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "65536", "22.0", "ssh", "", True, 3.5, "1e3", "0x16"])
def test_port_rejects(raw: object) -> None:
    with pytest.raises(ParameterError, match="port must be 0–65535"):
        param("port").parse(raw)


def test_ports_list_parses_dedupes_and_renders_as_tuple() -> None:
    p = param("ports")
    assert p.parse("22, 3389 22,5432") == (22, 3389, 5432)
    assert p.parse([22, "80"]) == (22, 80)
    assert p.parse(8080) == (8080,)
    assert sql_literal(p.parse("22,3389")) == "(22, 3389)"


@pytest.mark.parametrize("raw", ["", ",", "22,ssh", "22;DROP", [], "22,99999"])
def test_ports_list_rejects(raw: object) -> None:
    with pytest.raises(ParameterError) as err:
        param("ports").parse(raw)
    assert str(err.value).startswith("x")


def test_ports_list_is_bounded() -> None:
    with pytest.raises(ParameterError, match="at most 1024 ports"):
        param("ports").parse(",".join(str(p) for p in range(2000)))


@pytest.mark.parametrize(
    "raw, expected",
    [("tcp", 6), ("UDP", 17), ("icmp", 1), ("icmpv6", 58), ("47", 47), (0, 0), (255, 255)],
)
def test_protocol_by_name_or_number(raw: object, expected: int) -> None:
    assert param("protocol").parse(raw) == expected


def test_protocol_suggests_a_name() -> None:
    with pytest.raises(ParameterError) as err:
        param("protocol").parse("tpc")
    assert "got tpc" in str(err.value)
    assert err.value.hint == "did you mean tcp?"
    with pytest.raises(ParameterError):
        param("protocol").parse("256")


def test_int_bounds_in_message() -> None:
    p = param("int", min=1, max=100)
    assert p.parse("7") == 7
    with pytest.raises(ParameterError) as err:
        p.parse("0")
    assert str(err.value) == "x must be an integer from 1 to 100, got 0"
    with pytest.raises(ParameterError, match="an integer ≥ 5"):
        param("int", min=5).parse("4")
    with pytest.raises(ParameterError, match="an integer, got 'a b'"):
        param("int").parse("a b")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("10.0.0.5", "10.0.0.5"),
        (" 192.168.1.1 ", "192.168.1.1"),
        ("2001:DB8:0:0::5", "2001:db8::5"),
        (ipaddress.ip_address("::1"), "::1"),
    ],
)
def test_ip_is_normalised_to_how_flow_logs_write_it(raw: object, expected: str) -> None:
    value = param("ip").parse(raw)
    assert isinstance(value, Value)
    assert value == expected
    assert sql_literal(value) == f"'{expected}'"


@pytest.mark.parametrize("raw", ["10.0.0.256", "10.0.0", "fe80::1%eth0", "10.0.0.1'--", "", 167772161])
def test_ip_rejects(raw: object) -> None:
    with pytest.raises(ParameterError, match="x must be an IPv4 or IPv6 address"):
        param("ip").parse(raw)


def test_cidr_accepts_networks_and_suggests_for_host_bits() -> None:
    p = param("cidr")
    assert p.parse("10.0.0.0/8") == "10.0.0.0/8"
    assert p.parse("2001:DB8::/32") == "2001:db8::/32"
    assert p.parse("10.1.2.3") == "10.1.2.3/32"
    with pytest.raises(ParameterError) as err:
        p.parse("10.1.2.3/16")
    assert "no host bits set" in str(err.value)
    assert err.value.hint == "did you mean 10.1.0.0/16?"
    with pytest.raises(ParameterError):
        p.parse("10.0.0.0/33")


def test_eni_and_account() -> None:
    assert param("eni").parse("ENI-0123456789ABCDEF0") == "eni-0123456789abcdef0"
    assert param("eni").parse("eni-12345678") == "eni-12345678"
    for bad in ("eni-123", "i-0123456789abcdef0", "eni-0123456789abcdefg"):
        with pytest.raises(ParameterError, match="network interface id"):
            param("eni").parse(bad)
    assert param("account").parse("012345678901") == "012345678901"
    with pytest.raises(ParameterError, match="12-digit AWS account id"):
        param("account").parse("12345")
    with pytest.raises(ParameterError, match="as a string"):
        param("account").parse(123456789012)


def test_timestamp_renders_as_unix_seconds() -> None:
    value = param("timestamp").parse("2024-05-01T12:00:00Z")
    assert isinstance(value, Instant)
    assert value == datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
    assert sql_literal(value) == str(1714564800)
    assert param("timestamp").parse(date(2024, 5, 1)) == datetime(2024, 5, 1, tzinfo=timezone.utc)
    with pytest.raises(ParameterError, match="ISO-8601"):
        param("timestamp").parse("last tuesday")
    # the window's named and relative times work for timestamp parameters too
    assert (
        param("timestamp").parse("yesterday")
        < param("timestamp").parse("today")
        <= datetime.now(timezone.utc)
    )


def test_choice_is_case_insensitive_and_suggests() -> None:
    p = param("choice", choices=["ingress", "egress"])
    assert p.parse("EGRESS") == "egress"
    with pytest.raises(ParameterError) as err:
        p.parse("egres")
    assert str(err.value).startswith("x must be one of ingress, egress, got egres")
    assert err.value.hint == "did you mean egress?"


def test_text_keeps_the_value_exactly_and_refuses_nul() -> None:
    p = param("text")
    nasty = "  it's -- /* x */; DROP TABLE t; é\n"
    assert p.parse(nasty) == nasty
    assert sql_literal(p.parse(nasty)) == "'" + nasty.replace("'", "''") + "'"
    with pytest.raises(ParameterError, match="no NUL"):
        p.parse("a\x00b")
    with pytest.raises(ParameterError, match="valid Unicode"):
        p.parse("\ud800")
    with pytest.raises(ParameterError, match="1001 characters"):
        p.parse("a" * 1001)
    with pytest.raises(ParameterError):
        p.parse(5)


# --- declarations -----------------------------------------------------------------------------


def test_metadata_defaults_are_parsed_and_required_when_absent() -> None:
    p = from_metadata("ports", {"type": "ports", "default": [22, 3389], "help": "watch"})
    assert p.default == (22, 3389) and not p.required and p.help == "watch"
    q = from_metadata("ip", {"type": "ip"})
    assert q.required and q.example_value() == "10.0.0.5"
    optional = from_metadata("service", {"type": "text", "default": None})
    assert not optional.required and optional.default is None


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("port", {"type": "prot"}, "did you mean port?"),
        ("port", {"type": "port", "default": 70000}, "port must be 0–65535, got 70000"),
        ("limit", {"type": "int", "min": "1"}, "integer bound"),
        ("limit", {"type": "port", "max": 5}, "integer bound"),
        ("mode", {"type": "choice"}, "needs choices"),
        ("mode", {"type": "text", "choices": ["a"]}, "only a choice parameter"),
        ("x", {"type": "int", "defualt": 3}, "did you mean default?"),
        ("start", {"type": "timestamp"}, "time window"),
        ("Bad-Name", {"type": "int"}, "lowercase identifier"),
        ("x", "int", "expected a mapping"),
    ],
)
def test_bad_declarations(name: str, data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("?", r"\?")):
        from_metadata(name, data)


# --- -p NAME=VALUE and resolving --------------------------------------------------------------


def test_parse_assignments() -> None:
    assert parse_assignments(["port=22", " ip = 10.0.0.1", "expr=a=b", "empty="]) == {
        "port": "22",
        "ip": " 10.0.0.1",
        "expr": "a=b",
        "empty": "",
    }
    with pytest.raises(ParameterError, match="-p expects NAME=VALUE, got port"):
        parse_assignments(["port"])
    with pytest.raises(ParameterError, match="given twice"):
        parse_assignments(["port=1", "port=2"])
    with pytest.raises(ParameterError):
        parse_assignments(["=5"])


def test_resolve_defaults_unknown_and_missing() -> None:
    declared = {
        "port": from_metadata("port", {"type": "port", "default": 22}),
        "limit": from_metadata("limit", {"type": "int", "default": 20, "min": 1}),
        "ip": from_metadata("ip", {"type": "ip"}),
    }
    assert resolve(declared, {"ip": "10.0.0.1"}, investigation="q") == {
        "port": 22,
        "limit": 20,
        "ip": "10.0.0.1",
    }
    with pytest.raises(ParameterError) as err:
        resolve(declared, {"ip": "10.0.0.1", "limt": "5"}, investigation="q")
    assert str(err.value).startswith("q has no parameter 'limt'")
    assert "limit" in (err.value.hint or "")
    with pytest.raises(ParameterError) as err:
        resolve(declared, {}, investigation="q")
    assert "q needs parameter ip" in str(err.value)
    assert err.value.hint == "pass -p ip=10.0.0.5"
