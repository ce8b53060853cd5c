"""Boundaries a mutation run showed unpinned, and IPv4-mapped IPv6 parameters matching the dotted
form flow logs write."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import flowsql
from flowsql.errors import ParameterError
from flowsql.investigations import library
from flowsql.investigations.params import Param, from_metadata
from flowsql.investigations.templates import sql_literal
from flowsql.investigations.window import TimeWindow
from flowsql.sample.generator import generate
from flowsql.tables.spec import TableSpec

UTC = timezone.utc
START = datetime(2024, 5, 1, tzinfo=UTC)

# --- the window ---------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 7, 31, 2.5])
def test_a_window_of_exactly_max_window_days_is_accepted_and_one_second_more_refused(days: float) -> None:
    span = timedelta(days=days)
    window = TimeWindow.parse(START, START + span, max_span=span)
    assert window.end - window.start == span
    with pytest.raises(ParameterError, match="more than the maximum"):
        TimeWindow.parse(START, START + span + timedelta(seconds=1), max_span=span)


def test_an_investigation_takes_a_window_of_exactly_max_window_days() -> None:
    inv = library.load().get("total_bytes")
    spec = TableSpec(location="s3://bucket-one/")
    inv.render(spec, {"start": "2024-05-01", "end": "2024-05-08"}, max_window_days=7, cache=False)
    with pytest.raises(ParameterError):
        inv.render(
            spec, {"start": "2024-05-01", "end": "2024-05-08T00:00:01Z"}, max_window_days=7, cache=False
        )


# --- int bounds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("minimum, maximum", [(1, 100), (0, 10), (-5, 5), (7, 7)])
def test_an_int_equal_to_its_min_or_max_is_accepted_and_one_past_refused(minimum: int, maximum: int) -> None:
    p = from_metadata("n", {"type": "int", "min": minimum, "max": maximum, "default": minimum})
    assert p.parse(str(minimum)) == minimum and p.parse(minimum) == minimum
    assert p.parse(str(maximum)) == maximum
    for outside in (minimum - 1, maximum + 1):
        with pytest.raises(ParameterError):
            p.parse(str(outside))


def test_a_default_equal_to_min_is_accepted_in_a_header() -> None:
    assert from_metadata("n", {"type": "int", "min": 1, "max": 5, "default": 1}).default == 1


# --- the literal renderer -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, literal",
    [
        ("it's", "'it''s'"),
        ("''", "''''''"),
        ("a'b'c", "'a''b''c'"),
        ("plain", "'plain'"),
        ("", "''"),
    ],
)
def test_the_plain_str_branch_doubles_quotes(value: str, literal: str) -> None:
    assert type(value) is str  # not a Value: the branch without __sql__
    assert sql_literal(value) == literal
    assert sql_literal([value, value]) == f"({literal}, {literal})"


# --- IPv4-mapped IPv6 parameters --------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("::ffff:10.10.21.11", "10.10.21.11"),
        ("::FFFF:0a0a:150b", "10.10.21.11"),
        ("0:0:0:0:0:ffff:10.10.21.11", "10.10.21.11"),
        ("2001:db8::1", "2001:db8::1"),
        ("::1", "::1"),
    ],
)
def test_an_ipv4_mapped_address_becomes_its_dotted_form(raw: str, expected: str) -> None:
    assert Param("ip", "ip").parse(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
        ("::ffff:10.10.21.11/128", "10.10.21.11/32"),
        ("::ffff:192.168.0.0/112", "192.168.0.0/16"),
        ("::ffff:0:0/96", "0.0.0.0/0"),
        ("::/0", "::/0"),
        ("2001:db8::/32", "2001:db8::/32"),
    ],
)
def test_an_ipv4_mapped_network_becomes_its_ipv4_network(raw: str, expected: str) -> None:
    assert Param("net", "cidr").parse(raw) == expected


@pytest.mark.parametrize("raw", ["::ffff:10.0.0.0/95", "::ffff:10.0.0.0/80"])
def test_a_mapped_network_shorter_than_96_is_refused(raw: str) -> None:
    with pytest.raises(ParameterError, match="IPv4-mapped network with a prefix of /96 or longer"):
        Param("net", "cidr").parse(raw)


def test_a_mapped_network_with_host_bits_suggests_the_ipv4_network() -> None:
    with pytest.raises(ParameterError) as err:
        Param("net", "cidr").parse("::ffff:10.0.0.1/104")
    assert err.value.hint == "did you mean 10.0.0.0/8?"


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mapped")
    generate(folder, days=1, end="2024-05-01", records=2000, seed=21)
    return folder


def test_a_mapped_parameter_finds_the_hosts_records_on_duckdb(logs: Path) -> None:
    fl = flowsql.connect(engine="duckdb", location=str(logs))
    window = {"start": "2024-05-01", "end": "2024-05-02"}
    (busiest,) = fl.sql(
        "SELECT srcaddr, count(*) AS n FROM flow_logs WHERE srcaddr LIKE '10.%' "
        "GROUP BY srcaddr ORDER BY n DESC, srcaddr LIMIT 1"
    )
    address = busiest.srcaddr
    dotted = fl.run("ip_activity", ip=address, **window).to_dicts()
    assert dotted, "the sample has no records of its busiest private address"
    assert fl.run("ip_activity", ip=f"::ffff:{address}", **window).to_dicts() == dotted
    network = ".".join(address.split(".")[:2]) + ".0.0"
    by_cidr = fl.run("cidr_traffic", cidr=f"{network}/16", **window).to_dicts()
    assert by_cidr
    assert fl.run("cidr_traffic", cidr=f"::ffff:{network}/112", **window).to_dicts() == by_cidr


# --- the oracles share nothing with the product ---------------------------------------------------


@pytest.mark.parametrize("module", ["oracles.py", "flowlog_records.py"])
def test_the_reference_answers_import_nothing_from_flowsql(module: str) -> None:
    import ast

    tree = ast.parse((Path(__file__).parent / module).read_text(encoding="utf-8"))
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imported if m.split(".")[0] == "flowsql"], imported


def test_the_independent_reader_agrees_with_the_files(tmp_path: Path) -> None:
    """Read back a hand-written file: the reader is itself checked against known records."""
    import gzip

    import flowlog_records

    path = tmp_path / "x.log.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags\n"
        )
        f.write(
            "2 012345678901 eni-0a 10.0.0.1 10.0.0.2 443 49152 6 10 840 1714521600 1714521660 ACCEPT OK 18\n"
        )
        f.write("2 012345678901 eni-0a - - - - - - - 1714521600 1714521660 - NODATA -\n")
    first, second = flowlog_records.read([path])
    assert first == {
        "version": 2, "account_id": "012345678901", "interface_id": "eni-0a", "srcaddr": "10.0.0.1",
        "dstaddr": "10.0.0.2", "srcport": 443, "dstport": 49152, "protocol": 6, "packets": 10, "bytes": 840,
        "start": 1714521600, "end": 1714521660, "action": "ACCEPT", "log_status": "OK", "tcp_flags": 18,
    }  # fmt: skip
    # Athena's text table: '-' is the string '-' in a string column, NULL in an integer one.
    assert second["srcaddr"] == "-" and second["action"] == "-" and second["log_status"] == "NODATA"
    assert second["srcport"] is None and second["tcp_flags"] is None
