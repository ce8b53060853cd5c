"""A flow log's `-` reads as on Athena's text table: the string '-' in a string column, NULL in a
numeric one; on the text files, on the Parquet copy `compact` writes, and in returned rows (verbatim,
inside arrays too). Expected answers are computed here in plain Python from the lines written,
with Athena's reading rules; nothing of flowsql's reader is used for them."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from flowsql.cost.compact import parquet_target
from flowsql.cost.compact_local import compact_local
from flowsql.engines.duckdb.engine import DuckDBEngine
from flowsql.tables.fields import parse_header
from flowsql.tables.spec import TableSpec

# A version-3 custom format (the fields of AWS's NAT gateway and instance examples).
FORMAT = (
    "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport "
    "pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status"
)
NUMERIC = {"version", "srcport", "dstport", "protocol", "bytes", "packets", "start", "end", "tcp-flags"}
T = 1714564800  # 2024-05-01T12:00:00Z
LINES = [
    # an instance's accepted flow
    f"3 vpc-0a1 subnet-0b2 i-01234567890123456 eni-0c3 123456789010 IPv4 10.0.1.5 10.0.0.220 "
    f"39812 80 10.0.1.5 203.0.113.5 6 1500 10 {T} {T + 60} ACCEPT 19 OK",
    # a NAT gateway's interface: no instance
    f"3 vpc-0a1 subnet-0b2 - eni-0d4 123456789010 IPv4 10.0.0.220 203.0.113.5 "
    f"39812 80 10.0.1.5 203.0.113.5 6 1500 10 {T + 5} {T + 70} ACCEPT 3 OK",
    # NODATA and SKIPDATA: every flow field '-'
    f"3 vpc-0a1 subnet-0b2 i-01234567890123456 eni-0c3 123456789010 - - - - - - - - - - "
    f"{T + 10} {T + 80} - - NODATA",
    f"3 vpc-0a1 subnet-0b2 - eni-0d4 123456789010 - - - - - - - - - - {T + 20} {T + 90} - - SKIPDATA",
    # a rejected flow to an instance
    f"3 vpc-0a1 subnet-0b2 i-0fedcba9876543210 eni-0e5 123456789010 IPv4 198.51.100.7 10.0.1.9 "
    f"51000 22 198.51.100.7 10.0.1.9 6 40 1 {T + 30} {T + 90} REJECT 2 OK",
]


def athena_reads() -> list[dict[str, Any]]:
    """Athena's reading of LINES: positional, '-' is NULL for numbers and '-' for strings."""
    names = FORMAT.split()
    out = []
    for line in LINES:
        row = {}
        for name, cell in zip(names, line.split(" "), strict=True):
            column = name.replace("-", "_")
            row[column] = (None if cell == "-" else int(cell)) if name in NUMERIC else cell
        out.append(row)
    return out


def _write_text(root: Path) -> TableSpec:
    spec = TableSpec(location=str(root), fields=parse_header(FORMAT))
    folder = Path(spec.partition_path("123456789010", "us-east-1", date(2024, 5, 1)))
    folder.mkdir(parents=True)
    name = "123456789010_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20240501T1200Z_abcd1234.log.gz"
    with gzip.open(folder / name, "wt") as fh:
        fh.write(FORMAT + "\n" + "\n".join(LINES) + "\n")
    return spec


@pytest.fixture(scope="module", params=["text", "compacted-parquet"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("dash")
    spec = _write_text(root / "text")
    if request.param == "compacted-parquet":
        compact_local(spec, str(root / "copy"))
        spec = parquet_target(spec, str(root / "copy"))
    with DuckDBEngine(spec) as made:
        yield made


def _one(engine: DuckDBEngine, select: str, rest: str = "") -> list[tuple[Any, ...]]:
    return [tuple(r) for r in engine.execute(f"SELECT {select} FROM vpc_flow_logs.flow_logs {rest}")]


def test_where_equals_dash_finds_the_rows_athena_finds(engine: DuckDBEngine) -> None:
    rows = athena_reads()
    assert _one(engine, "count(*) AS n", "WHERE action = '-'") == [(sum(r["action"] == "-" for r in rows),)]
    assert _one(engine, "count(*) AS n", "WHERE instance_id = '-'") == [
        (sum(r["instance_id"] == "-" for r in rows),)
    ]
    assert _one(engine, "count(*) AS n", "WHERE bytes IS NULL") == [(sum(r["bytes"] is None for r in rows),)]


def test_counts_count_a_dash_string_and_skip_a_numeric_dash(engine: DuckDBEngine) -> None:
    rows = athena_reads()
    got = _one(
        engine,
        "count(instance_id) AS a, count(DISTINCT instance_id) AS b, count(srcaddr) AS c, "
        "count(DISTINCT pkt_dstaddr) AS d, count(bytes) AS e, count(tcp_flags) AS f",
    )
    want = (
        sum(r["instance_id"] is not None for r in rows),
        len({r["instance_id"] for r in rows}),
        sum(r["srcaddr"] is not None for r in rows),
        len({r["pkt_dstaddr"] for r in rows}),
        sum(r["bytes"] is not None for r in rows),
        sum(r["tcp_flags"] is not None for r in rows),
    )
    assert got == [want]


def test_coalesce_order_by_and_array_agg_see_the_dash(engine: DuckDBEngine) -> None:
    rows = athena_reads()
    got = _one(engine, "coalesce(instance_id, 'none') AS i, coalesce(bytes, -1) AS b", "ORDER BY start")
    assert got == [(r["instance_id"], -1 if r["bytes"] is None else r["bytes"]) for r in rows]
    # '-' (0x2d) sorts before digits; NULLs (none here for a string column) would sort last
    ordered = _one(engine, "srcaddr", "ORDER BY srcaddr, start")
    assert ordered == [(r["srcaddr"],) for r in sorted(rows, key=lambda r: (r["srcaddr"], r["start"]))]
    by_bytes = _one(engine, "bytes", "ORDER BY bytes, start")
    present = sorted((r for r in rows if r["bytes"] is not None), key=lambda r: (r["bytes"], r["start"]))
    assert by_bytes == [(r["bytes"],) for r in present] + [(None,)] * sum(r["bytes"] is None for r in rows)
    arrays = _one(
        engine, "array_agg(instance_id ORDER BY start) AS a, array_agg(packets ORDER BY start) AS p"
    )
    assert arrays == [([r["instance_id"] for r in rows], [r["packets"] for r in rows])]


def test_returned_rows_keep_the_dash_verbatim(engine: DuckDBEngine) -> None:
    rows = athena_reads()
    got = _one(engine, "instance_id, action, srcport", "WHERE log_status = 'NODATA'")
    nodata = [r for r in rows if r["log_status"] == "NODATA"]
    assert got == [(r["instance_id"], r["action"], r["srcport"]) for r in nodata]
    assert got[0][1:] == ("-", None)


def test_athena_rows_present_the_dash_as_duckdb_does() -> None:
    """Athena's result text for a '-' string, inside an array too, comes back as '-'; NULL as None."""
    from flowsql.engines.athena_results import convert_rows

    got = convert_rows([["-", "[-, i-0abc, null]", None]], ["varchar", "array", "varchar"])
    assert got == [("-", ["-", "i-0abc", None], None)]
