"""Pictures of time series: `--chart` in the terminal and `Rows.plot()` with matplotlib (Agg), both
zero-filling the buckets without rows across the window; traffic_over_time's bucket sizes."""

from __future__ import annotations

import collections
import itertools
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cli_process import flowsql

import flowsql as flowsql_lib
from flowsql.sample import generator as sample

UTC = timezone.utc
DAY = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleSet:
    # few files a day, so many hours hold no record at all
    return sample.generate(
        tmp_path_factory.mktemp("charts"), days=2, end="2024-05-02", records=2000, files_per_day=12
    )


def accepted_flows_per(logs: sample.SampleSet, size: int, start: datetime, hours: int) -> list[float]:
    """The oracle: accepted OK flow records per bucket of `size` seconds, every bucket of the window."""
    low = int(start.timestamp())
    counts: collections.Counter[int] = collections.Counter()
    for r in logs.records:
        if r["log_status"] == "OK" and r["action"] == "ACCEPT" and low <= r["start"] < low + hours * 3600:
            counts[r["start"] - r["start"] % size] += 1
    return [float(counts[low + i * size]) for i in range(hours * 3600 // size)]


def test_chart_draws_every_hour_of_the_window(logs: sample.SampleSet, tmp_path: Path) -> None:
    done = flowsql(
        "run", "traffic_by_hour", "--location", str(logs.spec.location), "--start", "2024-05-01",
        "--chart", "--chart-column", "accepted_flows", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    header, *lines = done.stdout.splitlines()
    assert header == "accepted_flows per 1h (hour, UTC)"
    expected = accepted_flows_per(logs, 3600, DAY, 24)
    assert 0.0 in expected  # the sample has hours without traffic: they are drawn, as zero
    assert [line.split("│")[0].strip() for line in lines] == [
        f"{DAY + timedelta(hours=h):%Y-%m-%d %H:%M}" for h in range(24)
    ]
    assert [float(line.split()[-1].replace(",", "")) for line in lines] == expected
    top = max(expected)
    for line, value in zip(lines, expected, strict=True):
        bar = line.split("│")[1].rsplit(" ", 1)[0].rstrip()
        assert (bar == "") == (value == 0)
        if value == top:
            assert bar == "█" * len(bar) and len(bar) >= 10


def test_traffic_over_time_buckets(logs: sample.SampleSet, tmp_path: Path) -> None:
    fl = flowsql_lib.connect(location=str(logs.spec.location))
    try:
        rows = fl.run("traffic_over_time", start="2024-05-01", bucket="15m")
        hourly = fl.run("traffic_by_hour", start="2024-05-01")
        daily = fl.run("traffic_over_time", start="2024-05-01", last="2d", bucket="1d")
    finally:
        fl.close()
    expected = accepted_flows_per(logs, 900, DAY, 24)
    got = {r.bucket_start: r.accepted_flows for r in rows}
    assert got == {DAY + timedelta(minutes=15 * i): int(v) for i, v in enumerate(expected) if v}
    assert sum(r.accepted_flows for r in daily) == sum(r.accepted_flows for r in hourly) + sum(
        accepted_flows_per(logs, 86400, DAY + timedelta(days=1), 24)
    )
    assert [r.bucket_start for r in daily] == [DAY, DAY + timedelta(days=1)]


def test_plot_draws_the_zero_filled_series(logs: sample.SampleSet, tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    fl = flowsql_lib.connect(location=str(logs.spec.location))
    try:
        rows = fl.run("traffic_over_time", start="2024-05-01", bucket="1h")
    finally:
        fl.close()
    ax = rows.plot("accepted_flows", bucket="1h")
    png = tmp_path / "traffic.png"
    ax.figure.savefig(png)
    assert png.stat().st_size > 1000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    [line] = ax.get_lines()
    assert list(line.get_ydata()) == accepted_flows_per(logs, 3600, DAY, 24)
    assert len(line.get_xdata()) == 24 and line.get_label() == "accepted_flows"


def test_a_chart_of_rows_without_time_says_why(logs: sample.SampleSet, tmp_path: Path) -> None:
    done = flowsql(
        "run",
        "top_talkers",
        "--location",
        str(logs.spec.location),
        "--start",
        "2024-05-01",
        "--chart",
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "a chart needs rows with a time column" in done.stderr and "Traceback" not in done.stderr


def sparse_window(logs: sample.SampleSet) -> datetime:
    """The oracle's pick: a 2-hour window of whole hours whose 15-minute buckets with traffic are at
    least two and never adjacent, so the gaps between the returned rows are not the bucket."""
    for hour in range(46):
        start = DAY + timedelta(hours=hour)
        low = int(start.timestamp())
        filled = sorted(
            {r["start"] - r["start"] % 900 for r in logs.records if low <= r["start"] < low + 7200}
        )
        gaps = [b - a for a, b in itertools.pairwise(filled)]
        if len(filled) >= 2 and min(gaps) > 900:
            return start
    raise AssertionError("the sample has no sparse 2-hour window")


def test_chart_buckets_are_the_runs_bucket_parameter(logs: sample.SampleSet, tmp_path: Path) -> None:
    start = sparse_window(logs)
    done = flowsql(
        "run", "traffic_over_time", "-p", "bucket=15m", "--location", str(logs.spec.location),
        "--start", f"{start:%Y-%m-%dT%H:%MZ}", "--last", "2h", "--chart", "--chart-column", "accepted_flows",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    header, *lines = done.stdout.splitlines()
    assert header == "accepted_flows per 15m (bucket_start, UTC)"
    assert [line.split("│")[0].strip() for line in lines] == [
        f"{start + timedelta(minutes=15 * i):%Y-%m-%d %H:%M}" for i in range(8)
    ]
    expected = [float(v) for v in accepted_flows_per(logs, 900, start, 2)]
    assert [float(line.split()[-1].replace(",", "")) for line in lines] == expected


def test_plot_buckets_are_the_runs_bucket_parameter(logs: sample.SampleSet) -> None:
    import matplotlib

    matplotlib.use("Agg")
    start = sparse_window(logs)
    fl = flowsql_lib.connect(location=str(logs.spec.location))
    try:
        rows = fl.run("traffic_over_time", start=start, last="2h", bucket="15m")
    finally:
        fl.close()
    [line] = rows.plot("accepted_flows").get_lines()
    assert list(line.get_xdata()) == [start + timedelta(minutes=15 * i) for i in range(8)]
    assert list(line.get_ydata()) == accepted_flows_per(logs, 900, start, 2)
