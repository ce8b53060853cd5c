"""With the rendered time window, the DuckDB engine opens only the files whose names can hold the
window's records, and the answer does not change."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from flowsql.engines.duckdb.engine import DuckDBEngine
from flowsql.investigations.library import load
from flowsql.sample import generator as sample

UTC = timezone.utc


@pytest.fixture(scope="module")
def sample_set(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleSet:
    return sample.generate(
        tmp_path_factory.mktemp("window-files"), days=3, end="2024-05-03", records=6000, files_per_day=48
    )


def expected_files(folder: Path, start: datetime, end: datetime) -> set[str]:
    """Files by their own names: time T holds end times [T, T+5m); a record ends ≤10m after it starts."""
    keep = set()
    for path in folder.rglob("*.log.gz"):
        stamp = re.search(r"_(\d{8}T\d{4})Z_", path.name)
        if stamp is None:
            continue
        t = datetime.strptime(stamp.group(1), "%Y%m%dT%H%M").replace(tzinfo=UTC)
        if t + timedelta(minutes=5) > start and t <= end + timedelta(minutes=10):
            keep.add(str(path))
    return keep


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2024-05-02", "2024-05-03"),
        ("2024-05-01T23:50:00Z", "2024-05-02T00:20:00Z"),
        ("2024-05-02T07:00:00Z", "2024-05-02T09:00:00Z"),
    ],
)
@pytest.mark.parametrize("name", ["top_talkers", "log_health", "rejected_ssh_sources"])
def test_window_reads_fewer_files_and_gives_the_same_rows(sample_set, name, start, end):
    rendered = load().get(name).render(sample_set.spec, {"start": start, "end": end})
    with DuckDBEngine(sample_set.spec) as engine:
        every = engine.execute(rendered.sql)
        bounded = engine.execute(rendered.sql, window=rendered.window)
        opened_all = engine.files_read(rendered.sql)
        opened = engine.files_read(rendered.sql, window=rendered.window)
    assert list(bounded) == list(every)
    assert bounded.columns == every.columns
    needed = expected_files(Path(sample_set.spec.location), rendered.window.start, rendered.window.end)
    # the engine may read a few more (its bounds are padded like the partitions), never fewer
    assert len(needed) <= opened <= len(needed) + 2
    assert opened < opened_all


def test_file_not_named_by_aws_is_always_read(sample_set):
    """A copy under a name without AWS's time is read whatever the window: exactly one file more."""
    spec = sample_set.spec
    rendered = (
        load().get("top_talkers").render(spec, {"start": "2024-05-03T12:00Z", "end": "2024-05-03T13:00Z"})
    )
    with DuckDBEngine(spec) as engine:
        before = engine.files_read(rendered.sql, window=rendered.window)
    first = next(Path(spec.location).rglob("2024/05/03/*.log.gz"))
    renamed = first.with_name("hand-made-copy.log.gz")
    renamed.write_bytes(first.read_bytes())
    try:
        with DuckDBEngine(spec) as engine:
            after = engine.files_read(rendered.sql, window=rendered.window)
            rows = engine.execute(rendered.sql, window=rendered.window)
            every = engine.execute(rendered.sql)
        assert after == before + 1
        assert list(rows) == list(every)
    finally:
        renamed.unlink()
