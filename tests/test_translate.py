"""Athena -> DuckDB translation: every rewrite run on DuckDB against answers worked out by hand from
Trino's documented semantics (not from this code), and every refusal names its construct."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from flowsql.engines.duckdb.rewrite_dates import java_to_strftime
from flowsql.engines.duckdb.translate import MACROS, to_duckdb
from flowsql.errors import UnsupportedConstruct, ValidationError
from flowsql.tables.spec import TableSpec

UTC = timezone.utc
SPEC = TableSpec(location="/nowhere/")
SCHEMA = {SPEC.database: {SPEC.table: SPEC.schema()}}
TABLE = SPEC.qualified_name

# Four records: (srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, status)
RECORDS = [
    ("10.0.0.5", "10.0.1.9", 40000, 22, 6, 3, 700, 1714521540, 1714521660, "ACCEPT", "OK"),
    ("192.168.1.1", "10.0.0.5", 443, 51000, 6, 10, 9000, 1714521600, 1714521700, "REJECT", "OK"),
    ("2001:db8::1", "2001:db8::2", 0, 0, 58, 1, 100, 1714525100, 1714525200, "REJECT", "OK"),
    (None, None, None, None, None, None, None, 1714525200, 1714525260, None, "NODATA"),
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(MACROS)
    types = {"int": "INTEGER", "bigint": "BIGINT", "string": "VARCHAR"}
    columns = ", ".join(f'"{c}" {types[t]}' for c, t in SPEC.schema().items())
    connection.execute(f'CREATE SCHEMA "{SPEC.database}"')
    connection.execute(f"CREATE TABLE {TABLE} ({columns})")
    for i, (src, dst, sp, dp, proto, pk, by, st, en, act, status) in enumerate(RECORDS):
        connection.execute(
            f"INSERT INTO {TABLE} VALUES (2, '012345678901', 'eni-{i}', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "'012345678901', 'us-east-1', '2024/05/01')",
            [src, dst, sp, dp, proto, pk, by, st, en, act, status],
        )
    return connection


def run(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(to_duckdb(sql, schema=SCHEMA)).fetchall()


def value(con: duckdb.DuckDBPyConnection, expression: str) -> Any:
    """One value: `expression` may end in its own FROM clause (a FROM outside parentheses)."""
    head, sep, source = expression, "", ""
    depth = 0
    for i, ch in enumerate(expression):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and expression.startswith(" FROM ", i):
            head, sep, source = expression[:i], " FROM ", expression[i + 6 :]
            break
    rows = run(con, f"SELECT {head} AS v{sep}{source}")
    assert len(rows) == 1
    return rows[0][0]


def column(con: duckdb.DuckDBPyConnection, expression: str, order: str = "interface_id") -> list[Any]:
    return [r[0] for r in run(con, f"SELECT {expression} AS v FROM {TABLE} ORDER BY {order}")]


def duck_type(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    return str(con.execute(to_duckdb(sql, schema=SCHEMA)).description[0][1])


# --- division, modulo, try ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("7 / 2", 3),  # integer division
        ("-7 / 2", -3),  # truncates toward zero
        ("7 / -2", -3),
        ("7 % 3", 1),
        ("-7 % 3", -1),  # sign of the dividend
        ("CAST(7 AS double) / 2", 3.5),
        ("7 / 2e0", 3.5),  # 2e0 is a DOUBLE literal in Trino
        ("try(1 / 0)", None),
        ("try(CAST('x' AS integer))", None),
    ],
)
def test_arithmetic(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert value(con, expression) == expected


def test_bigint_columns_divide_as_integers(con: duckdb.DuckDBPyConnection) -> None:
    # 700 / 3 = 233 (Trino), 9000 / 10 = 900, 100 / 1 = 100
    assert column(con, "bytes / packets") == [233, 900, 100, None]
    # SUM(bytes) = 9800 over COUNT(*) = 4 rows -> 2450; over count(bytes) = 3 -> 3266
    assert run(con, f"SELECT sum(bytes) / count(*) AS a, sum(bytes) / count(bytes) AS b FROM {TABLE}") == [
        (2450, 3266)
    ]


def test_division_by_zero_is_an_error_like_trino(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.Error, match=r"(?i)division by zero"):
        value(con, "1 / 0")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # Trino: scale max(scale a, scale b), quotient rounded half away from zero at that scale
        ("10 / 3.0", Decimal("3.3")),
        ("1.5 / 2", Decimal("0.8")),  # 0.75
        ("-1.5 / 2", Decimal("-0.8")),
        ("1.00 / 3", Decimal("0.33")),
        ("2 / 3.000", Decimal("0.667")),
        ("1.25 / 0.5", Decimal("2.50")),
        ("CAST(7 AS decimal(10, 2)) / CAST(2 AS decimal(5, 1))", Decimal("3.50")),
    ],
)
def test_decimal_division(con: duckdb.DuckDBPyConnection, expression: str, expected: Decimal) -> None:
    got = value(con, expression)
    assert (
        isinstance(got, Decimal)
        and got == expected
        and got.as_tuple().exponent == expected.as_tuple().exponent
    )


def test_decimal_division_over_columns(con: duckdb.DuckDBPyConnection) -> None:
    # 700 / 1024 = 0.68359375, 9000 / 1024 = 8.7890625, 100 / 1024 = 0.09765625 -> one decimal
    assert column(con, "bytes / 1024.0") == [Decimal("0.7"), Decimal("8.8"), Decimal("0.1"), None]
    assert run(con, f"SELECT sum(bytes) / 1024.0 AS kb FROM {TABLE}") == [(Decimal("9.6"),)]  # 9.5703125
    with pytest.raises(duckdb.Error, match=r"(?i)division by zero"):
        value(con, "1 / 0.0")


def test_division_of_unknown_types_is_refused() -> None:
    with pytest.raises(UnsupportedConstruct, match="unknown type"):
        to_duckdb("SELECT a / b AS v FROM t")


# --- aggregates and their types ------------------------------------------------------------------


def test_sum_of_bigint_is_bigint(con: duckdb.DuckDBPyConnection) -> None:
    sql = f"SELECT sum(bytes) AS v FROM {TABLE}"
    assert run(con, sql) == [(9800,)]
    assert duck_type(con, sql) == "BIGINT"
    # SUM(integer) is BIGINT in Trino too
    assert duck_type(con, f"SELECT sum(dstport) AS v FROM {TABLE}") == "BIGINT"
    assert duck_type(con, f"SELECT sum(bytes) OVER (PARTITION BY action) AS v FROM {TABLE}") == "BIGINT"
    assert duck_type(con, f"SELECT sum(CAST(bytes AS double)) AS v FROM {TABLE}") == "DOUBLE"


def test_count_if_and_approx_distinct(con: duckdb.DuckDBPyConnection) -> None:
    sql = f"SELECT count_if(action = 'REJECT') AS r, approx_distinct(action) AS d, count(*) AS n FROM {TABLE}"
    assert run(con, sql) == [(2, 2, 4)]
    assert duck_type(con, sql) == "BIGINT"


def test_approx_percentile_is_a_nearest_rank_value_of_the_input(con: duckdb.DuckDBPyConnection) -> None:
    # bytes sorted: 100, 700, 9000 -> position floor((3 - 1) * 0.5) = 1 -> 700, and a BIGINT like the input
    sql = f"SELECT approx_percentile(bytes, 0.5) AS v FROM {TABLE}"
    assert run(con, sql) == [(700,)]
    assert duck_type(con, sql) == "BIGINT"
    assert value(con, "approx_percentile(x, 0.9) FROM (VALUES 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) AS t(x)") == 9


def test_max_by_keeps_a_null_value_on_the_max_row(con: duckdb.DuckDBPyConnection) -> None:
    rows = "(VALUES (CAST(NULL AS varchar), 3), ('a', 2), ('b', CAST(NULL AS integer))) AS t(x, y)"
    assert value(con, f"max_by(x, y) FROM {rows}") is None  # the row with y = 3 has x NULL
    assert value(con, f"min_by(x, y) FROM {rows}") == "a"
    assert run(con, f"SELECT max_by(srcaddr, bytes) AS v FROM {TABLE}") == [("192.168.1.1",)]


def test_arbitrary_and_bitwise(con: duckdb.DuckDBPyConnection) -> None:
    assert value(con, f"arbitrary(action) FROM {TABLE}") in {"ACCEPT", "REJECT"}
    assert value(con, "bitwise_and(6, 3)") == 2
    assert value(con, "bitwise_or(4, 1)") == 5
    assert column(con, "bitwise_and(protocol, 2)") == [2, 2, 2, None]


# --- casts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # Integer.parseInt / Long.parseLong: sign and digits only
        ("try_cast('7' AS integer)", 7),
        ("try_cast('+7' AS integer)", 7),
        ("try_cast('-7' AS bigint)", -7),
        ("try_cast(' 7' AS integer)", None),
        ("try_cast('7 ' AS integer)", None),
        ("try_cast('1.5' AS integer)", None),
        ("try_cast('1e3' AS integer)", None),
        ("try_cast('1_000' AS integer)", None),
        ("try_cast('0x10' AS integer)", None),
        ("try_cast('99999999999' AS integer)", None),  # overflow
        ("try_cast('99999999999' AS bigint)", 99999999999),
        # Double.parseDouble: trimmed, exponent, NaN/Infinity spelled Java's way
        ("try_cast(' 1.5 ' AS double)", 1.5),
        ("try_cast('1e3' AS double)", 1000.0),
        ("try_cast('.5' AS double)", 0.5),
        ("try_cast('1_0' AS double)", None),
        ("try_cast('inf' AS double)", None),
        ("try_cast('abc' AS double)", None),
        # booleans: t/f/1/0/true/false only
        ("try_cast('t' AS boolean)", True),
        ("try_cast('FALSE' AS boolean)", False),
        ("try_cast('yes' AS boolean)", None),
        # dates: yyyy-m-d
        ("try_cast('2024-05-01' AS date)", date(2024, 5, 1)),
        ("try_cast('2024/05/01' AS date)", None),
        ("try_cast('2024-02-30' AS date)", None),
        ("CAST('7' AS integer)", 7),
        ("CAST('2024-05-01' AS date)", date(2024, 5, 1)),
        # double -> integer rounds half away from zero (DuckDB alone would round half to even)
        ("CAST(2.5e0 AS bigint)", 3),
        ("CAST(-2.5e0 AS bigint)", -3),
        ("CAST(3.5e0 AS integer)", 4),
        ("try_cast(NULL AS integer)", None),
        ("CAST(NULL AS integer)", None),
    ],
)
def test_casts(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert value(con, expression) == expected


@pytest.mark.parametrize("text", [" 7", "1.5", "abc"])
def test_strict_cast_fails_where_trino_fails(con: duckdb.DuckDBPyConnection, text: str) -> None:
    with pytest.raises(duckdb.Error, match="Cannot cast"):
        value(con, f"CAST(x AS integer) FROM (VALUES '{text}') AS t(x)")
    # a literal is checked before anything runs
    with pytest.raises(ValidationError, match="cannot cast"):
        to_duckdb(f"SELECT CAST('{text}' AS integer) AS v")


def test_cast_of_timestamps_to_varchar_prints_like_trino(con: duckdb.DuckDBPyConnection) -> None:
    # timestamp(3) with time zone -> '1970-01-01 00:00:00.000 UTC'; timestamp(3) -> no zone
    assert value(con, "CAST(from_unixtime(0) AS varchar)") == "1970-01-01 00:00:00.000 UTC"
    assert value(con, "CAST(date_parse('2024-05-01', '%Y-%m-%d') AS varchar)") == "2024-05-01 00:00:00.000"
    assert value(con, "CAST(dstport AS varchar) FROM " + TABLE + " WHERE dstport = 22") == "22"


def test_cast_of_double_to_varchar_is_refused() -> None:
    with pytest.raises(UnsupportedConstruct, match="double AS varchar"):
        to_duckdb("SELECT CAST(1.5e0 AS varchar) AS v")


def test_comparing_text_with_numbers_is_refused() -> None:
    with pytest.raises(UnsupportedConstruct, match="comparing varchar with a number"):
        to_duckdb(f"SELECT srcaddr FROM {TABLE} WHERE dstport = '22'", schema=SCHEMA)
    with pytest.raises(UnsupportedConstruct):
        to_duckdb(f"SELECT srcaddr FROM {TABLE} WHERE account_id IN (123456789012)", schema=SCHEMA)


# --- dates and times ----------------------------------------------------------------------------


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("from_unixtime(1714521600)", at(2024, 5, 1)),
        ("to_unixtime(from_unixtime(1714521600))", 1714521600.0),
        ("date_trunc('hour', from_unixtime(1714525199))", at(2024, 5, 1, 0)),  # 00:59:59
        ("date_trunc('day', from_unixtime(1714607999))", at(2024, 5, 1)),  # 23:59:59
        ("date_trunc('month', DATE '2024-05-17')", date(2024, 5, 1)),  # a DATE stays a DATE
        ("hour(from_unixtime(1714525199))", 0),
        ("day_of_week(from_unixtime(1714521600))", 3),  # 2024-05-01 is a Wednesday
        ("date_add('day', 1, from_unixtime(1714521600))", at(2024, 5, 2)),
        ("date_add('month', 1, DATE '2024-01-31')", date(2024, 2, 29)),
        # date_diff counts whole units: 00:59 -> 01:01 is 0 hours, 00:59 -> 02:00 is 1 hour
        ("date_diff('hour', from_unixtime(1714525140), from_unixtime(1714525260))", 0),
        ("date_diff('hour', from_unixtime(1714525140), from_unixtime(1714528800))", 1),
        ("date_diff('hour', from_unixtime(1714528800), from_unixtime(1714525140))", -1),
        ("date_diff('day', from_unixtime(1714521601), from_unixtime(1714608000))", 0),
        ("date_diff('minute', from_unixtime(0), from_unixtime(150))", 2),
        ("date_format(from_unixtime(1714525199), '%Y-%m-%d %H:%i:%s')", "2024-05-01 00:59:59"),
        ("date_parse('2024-05-01 13:45', '%Y-%m-%d %H:%i')", at(2024, 5, 1, 13, 45)),
        ("format_datetime(from_unixtime(1714525199), 'yyyy-MM-dd HH:mm:ss')", "2024-05-01 00:59:59"),
        ("format_datetime(from_unixtime(1714525199), 'EEE, d MMM yyyy')", "Wed, 1 May 2024"),
        ("format_datetime(from_unixtime(1714525199), 'yyyy-MM-dd''T''HH')", "2024-05-01T00"),
        ("format_datetime(from_unixtime(1714525199), 'h:mm a')", "12:59 AM"),
        ("format_datetime(from_unixtime(1714525199), 'yyyyMMdd''%''')", "20240501%"),
        ("parse_datetime('2024-05-01 13:45', 'yyyy-MM-dd HH:mm')", at(2024, 5, 1, 13, 45)),
        ("parse_datetime('01/May/2024:13:45:00', 'dd/MMM/yyyy:HH:mm:ss')", at(2024, 5, 1, 13, 45)),
        ("to_iso8601(from_unixtime(0))", "1970-01-01T00:00:00.000Z"),
        ("to_iso8601(DATE '2024-05-01')", "2024-05-01"),
        ("to_iso8601(date_parse('2024-05-01 13:45', '%Y-%m-%d %H:%i'))", "2024-05-01T13:45:00.000"),
        ("extract(hour FROM from_unixtime(1714568709))", 13),  # 2024-05-01 13:05:09
        ("minute(from_unixtime(1714568709))", 5),
        ("second(from_unixtime(1714568709))", 9),
        ("day(from_unixtime(1714568709))", 1),
        ("month(from_unixtime(1714568709))", 5),
        ("year(from_unixtime(1714568709))", 2024),
        ("quarter(from_unixtime(1714568709))", 2),
        ("day_of_year(from_unixtime(1714568709))", 122),
        ("date(from_unixtime(1714568709))", date(2024, 5, 1)),
        ("CAST(from_unixtime(1714607999) AS date)", date(2024, 5, 1)),  # 23:59:59 UTC is still May 1
        ("date_format(from_unixtime(1714568709), '%W %M %e, %r')", "Wednesday May 1, 01:05:09 PM"),
    ],
)
def test_dates(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    got = value(con, expression)
    if isinstance(expected, datetime) and isinstance(got, datetime):
        # Athena's session zone is UTC: naive DuckDB timestamps are UTC wall times
        got = got.replace(tzinfo=UTC) if got.tzinfo is None else got.astimezone(UTC)
    assert got == expected


def test_unsupported_datetime_patterns_are_refused() -> None:
    with pytest.raises(UnsupportedConstruct, match="'QQ'"):
        to_duckdb("SELECT format_datetime(from_unixtime(0), 'yyyy QQ') AS v")
    with pytest.raises(UnsupportedConstruct, match="string literal"):
        to_duckdb(f"SELECT format_datetime(from_unixtime(start), action) AS v FROM {TABLE}", schema=SCHEMA)
    with pytest.raises(UnsupportedConstruct, match="time zone"):
        to_duckdb("SELECT from_unixtime(0, 'Europe/Paris') AS v")


def test_java_patterns() -> None:
    assert java_to_strftime("yyyy-MM-dd HH:mm:ss.SSS") == "%Y-%m-%d %H:%M:%S.%g"
    assert java_to_strftime("d/M/yy h a") == "%-d/%-m/%y %-I %p"
    assert java_to_strftime("'at' HH 'o''clock'") == "at %H o'clock"
    assert java_to_strftime("yyyy-MM-dd", parsing=True) == "%Y-%m-%d"


# --- strings and collections ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("regexp_extract('abc', 'x')", None),  # no match: NULL, not ''
        ("regexp_extract('abc', 'b')", "b"),
        ("regexp_extract('10.1.2.3', '^(\\d+)\\.', 1)", "10"),
        ("regexp_extract('abc', 'a(x)?', 1)", ""),  # DuckDB gives '' for a group that did not take part
        ("regexp_replace('a-b-c', '-', '+')", "a+b+c"),  # every match, not just the first
        ("regexp_replace('ab', '(a)(b)', '$2$1')", "ba"),
        ("regexp_replace('a.b', '\\.', '\\$')", "a$b"),
        ("regexp_replace('abc', 'b')", "ac"),
        ("regexp_like('10.0.0.1', '^10\\.')", True),
        ("split_part('a.b', '.', 2)", "b"),
        ("split_part('a.b', '.', 3)", None),  # past the last field: NULL, not ''
        ("substr('hello', 2, 3)", "ell"),
        ("substr('hello', 2)", "ello"),
        ("element_at(split('10.1.2.3', '.'), 2)", "1"),
        ("element_at(split('a', '.'), 5)", None),
        ("cardinality(split('a.b.c', '.'))", 3),
        ("greatest(1, NULL)", None),  # Trino: NULL if any argument is NULL
        ("least(2, 1)", 1),
        ("concat('a', NULL)", None),
        ("concat('a', 'b', 'c')", "abc"),
        ("'a' || 'b'", "ab"),
        ("length('abc')", 3),
        ("strpos('abc', 'c')", 3),
        ("strpos('abc', 'x')", 0),
        ("lower('AbC')", "abc"),
        ("coalesce(NULL, 'x')", "x"),
        ("nullif(1, 1)", None),
        ("if(1 > 2, 'a', 'b')", "b"),
        ("round(2.5e0)", 3.0),
        ("round(-2.5e0)", -3.0),
        ("abs(-3)", 3),
        ("starts_with('abc', 'ab')", True),
        ("trim('  a  ')", "a"),
        ("replace('a.b.c', '.', '-')", "a-b-c"),
        ("array_join(ARRAY['a', NULL, 'b'], ',')", "a,b"),  # NULL elements are skipped
        ("array_join(ARRAY['a', NULL], ',', 'x')", "a,x"),
        ("reverse('abc')", "cba"),
        ("upper('a')", "A"),
    ],
)
def test_strings(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert value(con, expression) == expected


def test_substr_with_non_positive_start_is_refused() -> None:
    with pytest.raises(UnsupportedConstruct, match="substr"):
        to_duckdb("SELECT substr('hello', -2) AS v")


def test_aggregates_passed_through(con: duckdb.DuckDBPyConnection) -> None:
    rows = run(
        con,
        f"SELECT avg(bytes) AS a, min(srcaddr) AS lo, max(dstport) AS hi, bool_and(bytes > 50) AS every, "
        f"bool_or(action = 'REJECT') AS some, count(DISTINCT action) AS d, stddev_pop(packets) AS sd "
        f"FROM {TABLE}",
    )
    # bytes 700, 9000, 100 (NULL skipped); packets 3, 10, 1 -> population sd sqrt(62/3 - (14/3)^2)
    ((avg, lo, hi, every, some, distinct, sd),) = rows
    assert avg == pytest.approx(9800 / 3)
    assert (lo, hi, every, some, distinct) == ("10.0.0.5", 51000, True, True, 2)
    assert sd == pytest.approx(((3**2 + 10**2 + 1**2) / 3 - (14 / 3) ** 2) ** 0.5)


def test_order_by_puts_nulls_last_both_ways(con: duckdb.DuckDBPyConnection) -> None:
    # Trino sorts NULLs last for ASC and for DESC
    assert [r[0] for r in run(con, f"SELECT bytes FROM {TABLE} ORDER BY bytes")] == [100, 700, 9000, None]
    assert [r[0] for r in run(con, f"SELECT bytes FROM {TABLE} ORDER BY bytes DESC")] == [
        9000,
        700,
        100,
        None,
    ]


def test_sequence_and_unnest(con: duckdb.DuckDBPyConnection) -> None:
    rows = run(con, "SELECT x FROM UNNEST(sequence(1, 3)) AS t(x) ORDER BY x")
    assert rows == [(1,), (2,), (3,)]


def test_window_functions(con: duckdb.DuckDBPyConnection) -> None:
    rows = run(
        con,
        f"SELECT srcaddr, row_number() OVER (ORDER BY bytes DESC) AS rn, "
        f"lag(bytes) OVER (ORDER BY bytes) AS prev FROM {TABLE} WHERE bytes IS NOT NULL ORDER BY rn",
    )
    assert rows == [("192.168.1.1", 1, 700), ("10.0.0.5", 2, 100), ("2001:db8::1", 3, None)]


# --- IP addresses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "address", "expected"),
    [
        ("10.0.0.0/8", "10.255.255.255", True),
        ("10.0.0.0/8", "11.0.0.0", False),
        ("10.0.0.0/8", "::ffff:10.1.1.1", True),  # IPv4-mapped IPv6 is the IPv4 address
        ("192.168.0.0/16", "192.168.255.1", True),
        ("0.0.0.0/0", "8.8.8.8", True),
        ("0.0.0.0/0", "::1", False),  # an IPv6 address is never in an IPv4 network
        ("127.0.0.1/32", "127.0.0.1", True),
        ("127.0.0.1/32", "127.0.0.2", False),
        ("::ffff:7f00:0001/32", "127.0.0.1", True),  # from Trino's own tests
        ("2001:db8::/32", "2001:db8:ffff::1", True),
        ("2001:db8::/32", "2001:db9::1", False),
        ("2001:db8::/32", "10.0.0.1", False),
        ("::/0", "::1", True),
        ("::/0", "1.1.1.1", False),
        ("64:ff9b::10.0.0.0/64", "64:ff9b:0:0:f:f:f:f", True),  # from Trino's own tests
        ("64:ff9b::10.0.0.0/64", "64:ff9b:0:1:0:0:0:0", False),
        ("fe80::/10", "FE80::1", True),
    ],
)
def test_contains_cidr(con: duckdb.DuckDBPyConnection, cidr: str, address: str, expected: bool) -> None:
    assert value(con, f"contains('{cidr}', CAST('{address}' AS IPADDRESS))") is expected
    # the same through a CIDR that is not a literal (the general macro)
    dynamic = f"contains(n, CAST('{address}' AS IPADDRESS)) FROM (VALUES '{cidr}') AS t(n)"
    assert value(con, dynamic) is expected


def test_contains_over_a_column(con: duckdb.DuckDBPyConnection) -> None:
    assert column(con, "contains('10.0.0.0/8', CAST(srcaddr AS IPADDRESS))") == [True, False, False, None]
    assert column(con, "contains('2001:db8::/32', CAST(srcaddr AS IPADDRESS))") == [False, False, True, None]
    rows = run(
        con,
        f"SELECT srcaddr FROM {TABLE} WHERE log_status = 'OK' "
        f"AND NOT contains('10.0.0.0/8', CAST(srcaddr AS IPADDRESS)) ORDER BY srcaddr",
    )
    assert rows == [("192.168.1.1",), ("2001:db8::1",)]


@pytest.mark.parametrize("cidr", ["10.0.0.1/8", "10.0.0.0", "10.0.0.0/33", "x/8"])
def test_invalid_cidr_literals_are_errors(cidr: str) -> None:
    with pytest.raises(ValidationError, match="contains"):
        to_duckdb(f"SELECT contains('{cidr}', CAST('10.0.0.1' AS IPADDRESS)) AS v")


def test_invalid_address_fails_at_run_time(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.Error, match="IPADDRESS"):
        value(con, "contains('10.0.0.0/8', CAST(x AS IPADDRESS)) FROM (VALUES '10.0.0.300') AS t(x)")
    with pytest.raises(ValidationError):
        to_duckdb("SELECT contains('10.0.0.0/8', CAST('nope' AS IPADDRESS)) AS v")


def test_ipaddress_comparisons(con: duckdb.DuckDBPyConnection) -> None:
    assert value(con, "CAST('10.0.0.1' AS IPADDRESS) = CAST('::ffff:10.0.0.1' AS IPADDRESS)") is True
    assert (
        value(con, "CAST('10.0.0.9' AS IPADDRESS) < CAST('10.0.0.10' AS IPADDRESS)") is True
    )  # not text order
    assert value(con, "IPADDRESS '10.0.0.9' BETWEEN IPADDRESS '10.0.0.0' AND IPADDRESS '10.0.0.255'") is True
    rows = run(
        con,
        f"SELECT srcaddr FROM {TABLE} WHERE CAST(srcaddr AS IPADDRESS) "
        f"IN (CAST('10.0.0.5' AS IPADDRESS), CAST('2001:db8:0::1' AS IPADDRESS)) ORDER BY srcaddr",
    )
    assert rows == [("10.0.0.5",), ("2001:db8::1",)]


def test_ipaddress_as_a_value_is_refused() -> None:
    with pytest.raises(UnsupportedConstruct, match="IPADDRESS"):
        to_duckdb(f"SELECT CAST(srcaddr AS IPADDRESS) AS ip FROM {TABLE}", schema=SCHEMA)
    with pytest.raises(UnsupportedConstruct, match="CAST"):
        to_duckdb(f"SELECT srcaddr FROM {TABLE} WHERE contains('10.0.0.0/8', srcaddr)", schema=SCHEMA)


# --- refusals and the shape of the output ------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT map_agg(action, bytes) AS m FROM " + TABLE, "map_agg"),
        ("SELECT levenshtein_distance('a', 'b') AS d", "levenshtein"),
        ("SELECT json_extract_scalar('{}', '$.a') AS j", "json_extract_scalar"),
        ("SELECT approx_percentile(bytes, packets, 0.5) AS p FROM " + TABLE, "weight"),
        ("SELECT max_by(srcaddr, bytes, 2) AS m FROM " + TABLE, "count"),
        ("SELECT date_diff('fortnight', from_unixtime(0), from_unixtime(1)) AS d", "fortnight"),
        ("SELECT strpos('abcb', 'b', 2) AS p", "strpos"),
        ("SELECT split('a.b.c', '.', 2) AS s", "split"),
        ("SELECT avg(1.5) AS a", "DECIMAL"),
        ("SELECT 7.5 % 2 AS m", "%"),
        ("SELECT 'port ' || dstport AS s FROM " + TABLE, "varchar"),
        ("SELECT concat(srcaddr, dstport) AS s FROM " + TABLE, "varchar"),
        ("SELECT transform(ARRAY[1], x -> x + 1) AS t", "transform"),
        ("SELECT from_unixtime(0) AT TIME ZONE 'Europe/Paris' AS t", "AT TIME ZONE"),
        ("SELECT parse_datetime('2024-05-01 +0200', 'yyyy-MM-dd Z') AS t", "'Z'"),
        ("SELECT from_iso8601_timestamp('2024-05-01T00:00:00+02:00') AS t", "from_iso8601_timestamp"),
    ],
)
def test_refusals_name_the_construct(sql: str, named: str) -> None:
    with pytest.raises(UnsupportedConstruct, match=named):
        to_duckdb(sql, schema=SCHEMA)


def test_only_single_queries() -> None:
    with pytest.raises(UnsupportedConstruct, match="one statement"):
        to_duckdb("SELECT 1 AS a; SELECT 2 AS b")
    with pytest.raises(UnsupportedConstruct, match="only queries"):
        to_duckdb(f"DROP TABLE {TABLE}")
    with pytest.raises(ValidationError, match="parse"):
        to_duckdb("SELECT FROM WHERE (")


def test_output_reads_the_same_table_and_keeps_aliases() -> None:
    out = to_duckdb(
        f'SELECT srcaddr, sum(bytes) AS total FROM {TABLE} WHERE "end" > 0 GROUP BY srcaddr', schema=SCHEMA
    )
    tree = sqlglot.parse_one(out, read="duckdb")
    tables = {(t.db, t.name) for t in tree.find_all(exp.Table)}
    assert tables == {(SPEC.database, SPEC.table)}
    assert [s.alias_or_name for s in tree.selects] == ["srcaddr", "total"]


def test_an_unqualified_table_is_the_schemas_table(con: duckdb.DuckDBPyConnection) -> None:
    assert run(con, f"SELECT count(*) AS n FROM {SPEC.table}") == [(4,)]


def test_partition_predicate_passes_through_unchanged() -> None:
    # The shape TableSpec.partition_predicate emits must reach DuckDB as plain comparisons on the
    # partition columns (that is what prunes files).
    predicate = (
        "date_partition BETWEEN '2024/05/01' AND '2024/05/02' AND (date_partition > '2024/05/01' OR "
        "hour_partition >= '20') AND (date_partition < '2024/05/02' OR hour_partition <= '07')"
    )
    hourly = TableSpec(location="/nowhere/", hourly=True)
    schema = {hourly.database: {hourly.table: hourly.schema()}}
    out = to_duckdb(f"SELECT count(*) AS n FROM {TABLE} WHERE {predicate}", schema=schema)
    where = sqlglot.parse_one(out, read="duckdb").find(exp.Where)
    assert where is not None
    compared = {c.name for c in where.find_all(exp.Column)}
    assert compared == {"date_partition", "hour_partition"}
    assert not list(where.find_all(exp.Func)) or all(
        isinstance(f, (exp.And, exp.Or)) for f in where.find_all(exp.Func)
    )


# --- the translation cache ---------------------------------------------------------------------------


def test_translations_are_cached_on_disk(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowsql.engines.duckdb import translate

    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(tmp_path))
    sql = f"SELECT sum(bytes) / count(*) AS a FROM {TABLE}"
    first = translate.cached_to_duckdb(sql, schema=SCHEMA)
    assert first == to_duckdb(sql, schema=SCHEMA)
    assert len(list((tmp_path / "duckdb-sql").glob("*.txt"))) == 1

    def no_translation(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("translated again")

    monkeypatch.setattr(translate, "to_duckdb", no_translation)
    assert translate.cached_to_duckdb(sql, schema=SCHEMA) == first
    # another schema (or SQL) is another entry
    with pytest.raises(AssertionError, match="again"):
        translate.cached_to_duckdb(sql, schema={SPEC.database: {SPEC.table: {"bytes": "double"}}})
    # an empty FLOWSQL_CACHE_DIR turns the cache off
    monkeypatch.setenv("FLOWSQL_CACHE_DIR", "")
    with pytest.raises(AssertionError, match="again"):
        translate.cached_to_duckdb(sql, schema=SCHEMA)


def test_refusals_are_not_cached(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowsql.engines.duckdb import translate

    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(tmp_path))
    for _ in range(2):
        with pytest.raises(UnsupportedConstruct):
            translate.cached_to_duckdb("SELECT map_agg(1, 2) AS m")
    assert not list(tmp_path.rglob("*.sql"))
