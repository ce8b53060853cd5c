"""File pruning never changes an answer: for random windows off the 5-minute grid (seconds
included), the DuckDB engine with pruning gives exactly the rows it gives with pruning turned off,
over AWS-named text (daily and hourly), AWS-style Parquet, and the Parquet copy `compact` writes
(whose files hold a whole partition under one 5-minute-looking name)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowsql.cost.compact import parquet_target
from flowsql.cost.compact_local import compact_local
from flowsql.engines.duckdb.engine import DuckDBEngine
from flowsql.investigations.window import TimeWindow
from flowsql.sample import generator as sample

UTC = timezone.utc
FIRST = datetime(2024, 5, 1, tzinfo=UTC)
SPAN = int(timedelta(days=3).total_seconds())


@pytest.fixture(scope="module")
def engines(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, tuple[DuckDBEngine, DuckDBEngine]]]:
    root = tmp_path_factory.mktemp("pruning")
    common: dict[str, Any] = {"days": 3, "end": "2024-05-03", "records": 3000, "files_per_day": 24}
    specs = {
        "text-daily": sample.generate(root / "daily", **common).spec,
        "text-hourly": sample.generate(root / "hourly", hourly=True, **common).spec,
        "parquet-aws": sample.generate(root / "parquet", layout="hive", file_format="parquet", **common).spec,
    }
    compact_local(specs["text-daily"], str(root / "compacted"))
    specs["parquet-compacted"] = parquet_target(specs["text-daily"], str(root / "compacted"))
    made = {name: (DuckDBEngine(spec), DuckDBEngine(spec, prune=False)) for name, spec in specs.items()}
    yield made
    for pruned, full in made.values():
        pruned.close()
        full.close()


def _statement(spec: Any, window: TimeWindow) -> str:
    return (
        "SELECT count(*) AS flows, sum(bytes) AS total, min(start) AS first, max(start) AS last, "
        f"count(DISTINCT srcaddr) AS sources FROM {spec.qualified_name} WHERE {spec.window_predicate(window)}"
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offset=st.integers(min_value=-3600, max_value=SPAN),
    length=st.integers(min_value=1, max_value=int(timedelta(hours=30).total_seconds())),
    which=st.sampled_from(["text-daily", "text-hourly", "parquet-aws", "parquet-compacted"]),
)
def test_pruned_rows_equal_unpruned_rows(
    engines: dict[str, Any], offset: int, length: int, which: str
) -> None:
    pruned, full = engines[which]
    start = FIRST + timedelta(seconds=offset)
    window = TimeWindow(start, start + timedelta(seconds=length))
    sql = _statement(pruned.spec, window)
    assert list(pruned.execute(sql, window=window)) == list(full.execute(sql, window=window))


def test_compacted_copy_answers_like_its_text(engines: dict[str, Any]) -> None:
    """The reproduction from the issue: 12:00–18:00 on a day of a compacted copy found no flow."""
    window = TimeWindow(datetime(2024, 5, 1, 12, tzinfo=UTC), datetime(2024, 5, 1, 18, tzinfo=UTC))
    text, _ = engines["text-daily"]
    copy, _ = engines["parquet-compacted"]
    got = list(copy.execute(_statement(copy.spec, window), window=window))
    want = list(text.execute(_statement(text.spec, window), window=window))
    assert want[0][0] > 0
    assert got == want


def test_pruning_reads_fewer_parquet_files_by_their_statistics(engines: dict[str, Any]) -> None:
    """Pruning still works where it is proved: a one-hour window opens few AWS-style Parquet files."""
    pruned, _ = engines["parquet-aws"]
    window = TimeWindow(datetime(2024, 5, 2, 7, 3, 17, tzinfo=UTC), datetime(2024, 5, 2, 8, 1, 2, tzinfo=UTC))
    sql = _statement(pruned.spec, window)
    assert pruned.files_read(sql, window=window) < pruned.files_read(sql) / 4


def test_a_text_file_not_named_by_aws_is_read(tmp_path: Path) -> None:
    """A file whose name only looks like a time (no flow-log id) holds any time range: always read."""
    spec = sample.generate(tmp_path, days=1, end="2024-05-01", records=500, files_per_day=24).spec
    files = sorted(Path(spec.location).rglob("*.log.gz"))
    moved = files[-1].with_name("copy_20240501T0000Z_x.log.gz")
    files[-1].rename(moved)
    window = TimeWindow(datetime(2024, 5, 1, 22, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC))
    with DuckDBEngine(spec) as pruned, DuckDBEngine(spec, prune=False) as full:
        sql = _statement(spec, window)
        assert list(pruned.execute(sql, window=window)) == list(full.execute(sql))
