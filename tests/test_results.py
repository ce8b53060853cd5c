"""Rows, Row and Stats (what every engine returns), Athena's billing rule, and the output writer."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import pickle
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from flowsql.investigations.window import TimeWindow
from flowsql.output import write, write_records
from flowsql.results import Row, Rows, Stats, athena_cost, format_bytes

UTC = timezone.utc
MB = 1024 * 1024
TB = 1024**4
T0 = datetime(2024, 5, 1, 13, 5, tzinfo=UTC)


def sample(n: int = 3, engine: str = "duckdb") -> Rows:
    rows = [("10.0.0.1", 41, T0, 0.5), ("10.0.0.2", None, None, None), ("<b>&", 7, T0, 1e-9)]
    return Rows(["srcaddr", "attempts", "first_seen", "ratio"], rows[:n], Stats(engine, elapsed_seconds=0.25))


# --- Row and Rows --------------------------------------------------------------------------------


def test_rows_are_tuples_with_names() -> None:
    rows = sample()
    first = rows[0]
    assert isinstance(first, tuple) and isinstance(first, Row)
    assert first == ("10.0.0.1", 41, T0, 0.5)
    assert first[1] == first["attempts"] == first.attempts == 41
    assert first[1:3] == (41, T0)
    srcaddr, attempts, *_ = first
    assert (srcaddr, attempts) == ("10.0.0.1", 41)
    assert first.keys() == ["srcaddr", "attempts", "first_seen", "ratio"]
    assert first.as_dict() == {"srcaddr": "10.0.0.1", "attempts": 41, "first_seen": T0, "ratio": 0.5}
    with pytest.raises(KeyError, match="no column 'attempt'; columns are srcaddr, attempts"):
        first["attempt"]
    with pytest.raises(AttributeError):
        first.attempt  # noqa: B018
    assert rows.columns == ("srcaddr", "attempts", "first_seen", "ratio")
    assert len(rows) == 3 and rows.stats.row_count == 3
    assert [r.srcaddr for r in rows] == ["10.0.0.1", "10.0.0.2", "<b>&"]
    assert rows[-1].attempts == 7 and [r.attempts for r in rows[:2]] == [41, None]
    assert rows.column("attempts") == [41, None, 7]
    assert rows.to_dicts()[1] == {"srcaddr": "10.0.0.2", "attempts": None, "first_seen": None, "ratio": None}


def test_a_column_named_like_a_tuple_method_is_reachable_by_key() -> None:
    rows = Rows(["count", "index"], [(3, 9)], Stats("duckdb"))
    assert rows[0]["count"] == 3 and rows[0]["index"] == 9
    assert rows[0].count(3) == 1  # the tuple method still works


def test_repr_shows_the_first_rows_and_the_statistics() -> None:
    many = Rows(["n", "label"], [(i, f"row{i}") for i in range(25)], Stats("duckdb", elapsed_seconds=0.5))
    lines = repr(many).splitlines()
    assert lines[0].split() == ["n", "label"]
    assert [line.split() for line in lines[2:12]] == [[str(i), f"row{i}"] for i in range(10)]
    assert lines[12] == "… 15 more rows"
    assert lines[13] == "(25 rows, 0.50s, duckdb)"
    assert repr(Rows([], [], Stats("athena"))) == "<Rows: no columns (0 rows, 0.00s, athena)>"


def test_html_escapes_values_and_shows_nulls_as_empty() -> None:
    page = sample()._repr_html_()
    assert "<th>srcaddr</th>" in page and "<td>&lt;b&gt;&amp;</td>" in page
    assert "<td></td>" in page and "None" not in page
    assert "3 rows" in page
    big = Rows(["n"], [(i,) for i in range(600)], Stats("duckdb"))._repr_html_()
    assert big.count("<tr>") == 501 and "… 100 more rows" in big


def test_rows_pickle_for_multiprocessing_and_caching() -> None:
    rows = sample()
    clone = pickle.loads(pickle.dumps(rows))
    assert [tuple(r) for r in clone] == [tuple(r) for r in rows] and clone[0].attempts == 41


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None, reason="pandas is not installed")
def test_to_pandas_keeps_types() -> None:
    frame = sample().to_pandas()
    assert list(frame.columns) == ["srcaddr", "attempts", "first_seen", "ratio"]
    assert str(frame["attempts"].dtype) == "Int64"  # integers with a NULL stay integers
    assert frame["attempts"].tolist()[0] == 41 and frame["attempts"].isna().tolist() == [False, True, False]
    assert str(frame["first_seen"].dtype).startswith("datetime64") and "UTC" in str(frame["first_seen"].dtype)
    assert frame["first_seen"][0].to_pydatetime() == T0
    assert Rows(["a"], [], Stats("duckdb")).to_pandas().columns.tolist() == ["a"]


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None, reason="pyarrow is not installed")
def test_to_arrow_keeps_types() -> None:
    import pyarrow as pa

    table = sample().to_arrow()
    assert table.column_names == ["srcaddr", "attempts", "first_seen", "ratio"]
    assert table.schema.field("attempts").type == pa.int64()
    assert table.schema.field("first_seen").type == pa.timestamp("us", tz="UTC")
    assert table.column("attempts").to_pylist() == [41, None, 7]
    assert table.column("first_seen").to_pylist()[0] == T0


# --- Stats and Athena's bill ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scanned", "billed"),
    [
        (0, 10 * MB),  # the 10 MB minimum
        (1, 10 * MB),
        (10 * MB, 10 * MB),
        (10 * MB + 1, 11 * MB),  # rounded up to the next MB
        (TB, TB),
        (3 * TB + 5, 3 * TB + MB),
    ],
)
def test_athena_cost_is_five_dollars_a_tb_with_minimum(scanned: int, billed: int) -> None:
    assert athena_cost(scanned) == pytest.approx(billed / TB * 5.0)


def test_cost_only_for_athena() -> None:
    assert athena_cost(None) is None
    assert Stats("athena", bytes_scanned=TB).cost_usd == pytest.approx(5.0)
    assert Stats("duckdb", bytes_scanned=TB).cost_usd is None


def test_summary_reads_well() -> None:
    stats = Stats(
        "athena", elapsed_seconds=3.456, row_count=1, execution_id="abc-123", bytes_scanned=123 * MB
    )
    # 123 MiB is 129.0 MB: bytes are printed in decimal units, as AWS bills and --max-scan reads them
    assert stats.summary() == f"1 row, 3.46s, athena, 129.0 MB scanned, ${123 * MB / TB * 5:.6f}, id abc-123"
    assert Stats("athena", bytes_scanned=0).summary().endswith("0 B scanned, $0.000048")
    assert "$5.00" in Stats("athena", bytes_scanned=TB).summary()
    skipped = Stats("duckdb", row_count=2, files_skipped=[("a.log.gz", "truncated gzip")])
    assert skipped.summary() == "2 rows, 0.00s, duckdb, 1 bad file(s) skipped"
    assert [format_bytes(n) for n in (0, 999, 1000, 2_500_000, 3 * 10**9, 3 * 1024**3)] == [
        "0 B", "999 B", "1.0 KB", "2.5 MB", "3.0 GB", "3.2 GB",
    ]  # fmt: skip
    window = Stats("duckdb", row_count=12345, window=TimeWindow.parse("2024-05-01", "2024-05-02"))
    assert window.summary() == "12,345 rows, 0.00s, duckdb, window 2024-05-01 00:00 → 2024-05-02 00:00 UTC"


# --- output.write --------------------------------------------------------------------------------

COLUMNS = ["name", "count", "share", "when", "day", "price", "flag", "tags"]
ROWS = [
    ["web", 12, 0.5, T0, date(2024, 5, 1), Decimal("1.50"), True, [1, 2]],
    ["db, primary", None, float("nan"), None, None, Decimal("3"), False, None],
]


def test_json_is_one_array_of_objects_with_numbers_as_numbers() -> None:
    out = io.StringIO()
    write(COLUMNS, ROWS, "json", out)
    parsed = json.loads(out.getvalue(), parse_constant=pytest.fail)  # no bare NaN/Infinity
    assert parsed == [
        {"name": "web", "count": 12, "share": 0.5, "when": "2024-05-01T13:05:00+00:00", "day": "2024-05-01",
         "price": 1.5, "flag": True, "tags": [1, 2]},
        {"name": "db, primary", "count": None, "share": "NaN", "when": None, "day": None, "price": 3,
         "flag": False, "tags": None},
    ]  # fmt: skip
    empty = io.StringIO()
    write(COLUMNS, [], "json", empty)
    assert json.loads(empty.getvalue()) == []


def test_csv_quotes_and_leaves_nulls_empty() -> None:
    out = io.StringIO()
    write(COLUMNS, ROWS, "csv", out)
    records = list(csv.reader(io.StringIO(out.getvalue())))
    assert records[0] == COLUMNS
    assert records[1][:6] == ["web", "12", "0.5", "2024-05-01T13:05:00+00:00", "2024-05-01", "1.5"]
    assert records[2][:4] == ["db, primary", "", "NaN", ""]


def test_table_aligns_columns_and_right_aligns_numbers() -> None:
    out = io.StringIO()
    write(["host", "bytes"], [["a", 5], ["longer-host", 12345], ["b", None]], "table", out)
    assert out.getvalue().splitlines() == [
        "host           bytes",
        "-----------  -------",
        "a                5 B",
        "longer-host  12.3 KB",
        "b",
    ]
    with pytest.raises(ValueError, match="unknown output format"):
        write(["a"], [], "xml", io.StringIO())


def test_write_records_uses_the_first_records_keys() -> None:
    out = io.StringIO()
    write_records([{"a": 1, "b": "x"}, {"a": 2, "b": None}], "json", out)
    assert json.loads(out.getvalue()) == [{"a": 1, "b": "x"}, {"a": 2, "b": None}]
