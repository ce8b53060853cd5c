"""`flowsql compact --start/--end/--last`, through the real entry point: the window is read as on every
other command (named and relative times, --end exclusive) and widened to the whole UTC days it
touches, which the command names on stderr. What was compacted is read back from the Parquet files
with pyarrow and counted against the text files in plain Python."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlglot
from cli_process import flowsql
from sqlglot import exp

ENV = {"FLOWSQL_CACHE_DIR": ""}
HIVE_DAY = re.compile(r"year=(\d{4})/month=(\d{2})/day=(\d{2})")
AWS_DAY = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")


def today() -> date:
    return datetime.now(timezone.utc).date()


def text_records_by_day(root: Path) -> Counter[date]:
    """Records per day partition of the gzip text files (the folder names the day)."""
    found: Counter[date] = Counter()
    for path in root.rglob("*.log.gz"):
        year, month, day = AWS_DAY.search(path.as_posix()).groups()  # type: ignore[union-attr]
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            found[date(int(year), int(month), int(day))] += sum(1 for _ in handle) - 1
    return found


def parquet_rows_by_day(root: Path) -> Counter[date]:
    """Rows per day partition of the Parquet copy, read with pyarrow."""
    found: Counter[date] = Counter()
    for path in root.rglob("*.parquet"):
        year, month, day = HIVE_DAY.search(path.as_posix()).groups()  # type: ignore[union-attr]
        found[date(int(year), int(month), int(day))] += pq.ParquetFile(path).metadata.num_rows
    return found


def days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


@pytest.fixture(scope="module")
def recent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six days of sample logs ending yesterday (UTC), so relative windows find them."""
    folder = tmp_path_factory.mktemp("recent") / "logs"
    made = flowsql("sample", str(folder), "--records", "6000", "--days", "6", env=ENV)
    assert made.returncode == 0, made.stderr
    return folder


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fixed") / "logs"
    made = flowsql("sample", str(folder), "--records", "6000", "--days", "4", "--end", "2024-05-04", env=ENV)
    assert made.returncode == 0, made.stderr
    return folder


# (options, first and last day touched, counted back from today)
RELATIVE = [
    (("--last", "3d"), 3, 0),  # three days back from now touch 4 days, today's included
    (("--start", "yesterday"), 1, 0),  # a lone start runs to now
    (("--start", "-2d", "--end", "today"), 2, 1),  # --end is exclusive: today's midnight ends it
    (("--end", "yesterday"), None, 2),  # a lone end: from the first day there is
]


@pytest.mark.parametrize(("options", "back_first", "back_last"), RELATIVE)
def test_relative_windows_compact_the_whole_days_they_touch(
    recent: Path, tmp_path: Path, options: tuple[str, ...], back_first: int | None, back_last: int
) -> None:
    source = text_records_by_day(recent)
    before = today()
    got = flowsql("compact", "--location", str(recent), "--to", str(tmp_path / "pq"), *options, env=ENV)
    after = today()
    assert got.returncode == 0, got.stderr
    copied = parquet_rows_by_day(tmp_path / "pq")
    expected = []
    for now in {before, after}:  # a run across midnight may see either day
        last = now - timedelta(days=back_last)
        first = min(source) if back_first is None else now - timedelta(days=back_first)
        expected.append({d: n for d, n in source.items() if first <= d <= last})
    assert copied in expected, (sorted(copied), sorted(source))
    assert copied and sum(copied.values()) < sum(source.values())  # a part of the set, not all of it
    if back_first is not None:
        first = before - timedelta(days=back_first)
        assert f"compacting whole days {first} … {before - timedelta(days=back_last)} (UTC)" in got.stderr


def test_dates_and_times_name_the_days_and_end_is_exclusive(fixed: Path, tmp_path: Path) -> None:
    source = text_records_by_day(fixed)
    assert set(source) >= days(date(2024, 5, 1), date(2024, 5, 4))
    dest = tmp_path / "pq"
    got = flowsql(
        "compact", "--location", str(fixed), "--to", str(dest),
        "--start", "2024-05-01T10:00", "--end", "2024-05-03T00:00Z", env=ENV,
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    assert parquet_rows_by_day(dest) == {d: source[d] for d in (date(2024, 5, 1), date(2024, 5, 2))}
    assert (
        "compacting whole days 2024-05-01 … 2024-05-02 (UTC): the window 2024-05-01 10:00 → 2024-05-03 00:00 "
        "UTC touches them" in got.stderr
    )
    # a later window adds its days to the same copy; the days already there are kept as they are
    more = flowsql(
        "compact",
        "--location",
        str(fixed),
        "--to",
        str(dest),
        "--start",
        "2024-05-03",
        "--last",
        "1d",
        env=ENV,
    )
    assert more.returncode == 0, more.stderr
    assert "compacting day 2024-05-03 (UTC)" in more.stderr
    assert parquet_rows_by_day(dest) == {d: source[d] for d in days(date(2024, 5, 1), date(2024, 5, 3))}


def test_without_a_window_every_day_is_compacted(fixed: Path, tmp_path: Path) -> None:
    got = flowsql("compact", "--location", str(fixed), "--to", str(tmp_path / "pq"), env=ENV)
    assert got.returncode == 0, got.stderr
    assert parquet_rows_by_day(tmp_path / "pq") == text_records_by_day(fixed)
    assert "compacting" not in got.stderr


def test_athena_statements_cover_the_whole_days_of_last(tmp_path: Path) -> None:
    before = today()
    got = flowsql(
        "compact", "--engine", "athena", "--location", "s3://logs-bucket/flows", "--accounts", "111122223333",
        "--regions", "us-east-1", "--to", "s3://dest-bucket/pq", "--last", "2d", "--dry-run", env=ENV,
    )  # fmt: skip
    after = today()
    assert got.returncode == 0, got.stderr
    statements = [s for s in sqlglot.parse(got.stdout, read="athena") if isinstance(s, exp.Create)]
    assert len(statements) == 1
    listed = [
        e.name
        for node in statements[0].expression.find_all(exp.In)
        if node.this.name == "date_partition"
        for e in node.expressions
    ]
    wanted = [
        [(now - timedelta(days=back)).strftime("%Y/%m/%d") for back in (2, 1, 0)] for now in {before, after}
    ]
    assert listed in wanted


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--start", "2024-05-01", "--end", "2024-05-02", "--last", "1d"), "all given"),
        (("--last", "0d"), "longer than zero"),
        (("--last", "week"), "duration such as"),
        (("--start", "2999-01-01"), "in the future"),
        (("--start", "2024-05-03", "--end", "2024-05-01"), "end must be after start"),
        (("--end", "soon"), "end must be an ISO-8601 date"),
    ],
)
def test_a_wrong_window_is_one_message(
    fixed: Path, tmp_path: Path, options: tuple[str, ...], message: str
) -> None:
    got = flowsql("compact", "--location", str(fixed), "--to", str(tmp_path / "pq"), *options, env=ENV)
    assert got.returncode == 2, got.stderr
    assert message in got.stderr and "Traceback" not in got.stderr
    assert not (tmp_path / "pq").exists()
