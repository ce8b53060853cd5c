"""The time window from the shell: --start/--end/--last on every command that takes one, the one rule
for a lone start or end, named and relative times, and the window printed in the statistics line."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cli_process import flowsql, start_bounds

from flowsql.errors import ParameterError
from flowsql.investigations.window import TimeWindow, parse_instant, parse_span
from flowsql.sample import generator as sample

UTC = timezone.utc
NOW = datetime(2024, 5, 10, 12, 34, 56, tzinfo=UTC)
MINUTE = datetime(2024, 5, 10, 12, 35, tzinfo=UTC)  # now, rounded up to the whole minute
S3 = ["--location", "s3://flow-logs-bucket/", "--accounts", "111122223333", "--regions", "us-east-1"]


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleSet:
    return sample.generate(tmp_path_factory.mktemp("window"), days=3, end="2024-05-03", records=3000)


# --- the rule, in the library --------------------------------------------------------------------


def test_a_lone_start_covers_the_span_forward_but_never_past_now() -> None:
    assert TimeWindow.parse("2024-05-01", now=NOW) == TimeWindow(
        datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC)
    )
    assert TimeWindow.parse("2024-05-01", last="3d", now=NOW).end == datetime(2024, 5, 4, tzinfo=UTC)
    # six hours ago, alone: up to now, not 18 hours into the future
    assert TimeWindow.parse("-6h", now=NOW) == TimeWindow(MINUTE - timedelta(hours=6), MINUTE)
    assert TimeWindow.parse("2024-05-10T00:00", now=NOW).end == MINUTE


def test_a_lone_end_and_neither() -> None:
    assert TimeWindow.parse(end="2024-05-02", last="6h", now=NOW).start == datetime(
        2024, 5, 1, 18, tzinfo=UTC
    )
    assert TimeWindow.parse(now=NOW) == TimeWindow(MINUTE - timedelta(hours=24), MINUTE)
    assert TimeWindow.parse(last="30m", now=NOW) == TimeWindow(MINUTE - timedelta(minutes=30), MINUTE)


def test_named_times() -> None:
    assert parse_instant("now", "start", now=NOW) == MINUTE
    assert parse_instant("today", "start", now=NOW) == datetime(2024, 5, 10, tzinfo=UTC)
    assert parse_instant("yesterday", "start", now=NOW) == datetime(2024, 5, 9, tzinfo=UTC)
    assert parse_instant("-7d", "start", now=NOW) == MINUTE - timedelta(days=7)
    assert TimeWindow.parse("yesterday", now=NOW) == TimeWindow(
        datetime(2024, 5, 9, tzinfo=UTC), datetime(2024, 5, 10, tzinfo=UTC)
    )
    assert parse_span("2w") == timedelta(weeks=2) and parse_span("90s") == timedelta(seconds=90)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": "2024-05-01", "end": "2024-05-02", "last": "1h"}, "at most two"),
        ({"last": "6 hours"}, "duration such as 30m"),
        ({"last": "0h"}, "longer than zero"),
        ({"start": "last tuesday"}, "now, today, yesterday"),
        ({"start": "2024-06-01"}, "in the future"),
    ],
)
def test_wrong_windows_say_what_is_expected(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        TimeWindow.parse(**kwargs, now=NOW)


# --- the rule, from the shell --------------------------------------------------------------------


def test_render_takes_start_end_and_last(tmp_path: Path) -> None:
    both = flowsql("render", "top_talkers", *S3, "--start", "2024-05-01", "--end", "2024-05-03", cwd=tmp_path)
    assert both.returncode == 0, both.stderr
    assert start_bounds(both.stdout) == [(epoch("2024-05-01"), epoch("2024-05-03"))]
    forward = flowsql("render", "top_talkers", *S3, "--start", "2024-05-01", "--last", "6h", cwd=tmp_path)
    assert start_bounds(forward.stdout) == [(epoch("2024-05-01"), epoch("2024-05-01T06:00"))]
    back = flowsql("render", "top_talkers", *S3, "--end", "2024-05-01", "--last", "2d", cwd=tmp_path)
    assert start_bounds(back.stdout) == [(epoch("2024-04-29"), epoch("2024-05-01"))]
    old = flowsql("render", "top_talkers", *S3, "-p", "start=2024-05-01", cwd=tmp_path)
    assert start_bounds(old.stdout) == [(epoch("2024-05-01"), epoch("2024-05-02"))]


def test_a_relative_start_alone_ends_now(tmp_path: Path) -> None:
    before = datetime.now(UTC)
    done = flowsql("render", "top_talkers", *S3, "--start", "-6h", cwd=tmp_path)
    after = datetime.now(UTC)
    assert done.returncode == 0, done.stderr
    [(low, high)] = start_bounds(done.stdout)
    assert high - low == 6 * 3600
    assert before.timestamp() <= high <= after.timestamp() + 60


def test_the_same_side_twice_is_refused(tmp_path: Path) -> None:
    done = flowsql(
        "render", "top_talkers", *S3, "--start", "2024-05-01", "-p", "start=2024-05-02", cwd=tmp_path
    )
    assert done.returncode == 2
    assert "start was given twice" in done.stderr and "Traceback" not in done.stderr


def test_show_states_the_rule(tmp_path: Path) -> None:
    done = flowsql("show", "top_talkers", cwd=tmp_path)
    assert done.returncode == 0
    assert "a lone start covers --last (24h unless given) from it, never past now" in done.stdout
    assert "end - last" in done.stdout and "start + last, at most now" in done.stdout


def test_run_prints_the_window_it_used(logs: sample.SampleSet, tmp_path: Path) -> None:
    done = flowsql(
        "run", "top_talkers", "--location", str(logs.spec.location), "--start", "2024-05-02", "--last", "12h",
        "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)
    assert "window 2024-05-02 00:00 → 2024-05-02 12:00 UTC" in done.stderr.splitlines()[-1]


def test_estimate_takes_the_window_options(logs: sample.SampleSet, tmp_path: Path) -> None:
    location = ["--location", str(logs.spec.location)]
    one = flowsql("estimate", *location, "--start", "2024-05-02", "--format", "json", cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    found = json.loads(one.stdout)
    assert (found["start"], found["end"]) == ("2024-05-02T00:00:00+00:00", "2024-05-03T00:00:00+00:00")
    # the objects under the day partitions the window reads (the day, and the next for its last 15 min)
    days = ("2024/05/02", "2024/05/03")
    assert found["objects"] == sum(1 for f in logs.files if any(d in str(f) for d in days))
    text = flowsql("estimate", *location, "--start", "2024-05-01", "--last", "2d", cwd=tmp_path)
    assert "(window 2024-05-01 00:00 → 2024-05-03 00:00 UTC)" in text.stdout
