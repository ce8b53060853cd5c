"""Empty answers are loud: a window without any flow-log file says so on stderr, with the days the
data does cover, locally (from the folder listing) and on S3 (delimiter listings, moto)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from cli_process import flowsql

from flowsql.sample import generator as sample
from flowsql.tables.coverage import days_covered


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleSet:
    return sample.generate(tmp_path_factory.mktemp("empty"), days=3, end="2024-05-03", records=2000)


def covered(logs: sample.SampleSet) -> tuple[str, str]:
    """The first and last day a record starts on, from the records read back (the oracle)."""
    days = sorted({datetime.fromtimestamp(r["start"], timezone.utc).date().isoformat() for r in logs.records})
    return days[0], days[-1]


@pytest.mark.parametrize("name", ["log_health", "log_coverage", "top_talkers"])
def test_a_window_without_files_says_what_the_data_covers(
    logs: sample.SampleSet, tmp_path: Path, name: str
) -> None:
    location = str(logs.spec.location)
    done = flowsql(
        "run", name, "--location", location, "--start", "2024-06-01", "--format", "json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    first, last = covered(logs)
    # files are keyed by end time, so a 2024/05/04 folder holds the last minutes of May 3
    assert (first, last) == ("2024-05-01", "2024-05-03")
    assert any("2024/05/04" in str(f) for f in logs.files)
    assert (
        f"no flow-log files in this window (2024-06-01 00:00 → 2024-06-02 00:00 UTC); the data under "
        f"{location.rstrip('/')} covers {first} … {last}"
    ) in done.stderr


def test_an_empty_answer_over_files_is_just_empty(logs: sample.SampleSet, tmp_path: Path) -> None:
    done = flowsql(
        "run", "ip_activity", "--location", str(logs.spec.location), "-p", "ip=192.0.2.77",
        "--start", "2024-05-01", "--last", "2d", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "0 rows" in done.stderr and "no flow-log files" not in done.stderr


def test_an_estimate_of_nothing_says_so(logs: sample.SampleSet, tmp_path: Path) -> None:
    done = flowsql("estimate", "--location", str(logs.spec.location), "--start", "2023-01-01", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "0 objects" in done.stdout
    assert "covers 2024-05-01 … 2024-05-03" in done.stderr


def test_on_s3_the_days_come_from_delimiter_listings(
    logs: sample.SampleSet, moto: Any, workdir: Path
) -> None:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="flow-logs-bucket")
    root = Path(logs.spec.location)
    for path in logs.files:
        s3.put_object(
            Bucket="flow-logs-bucket", Key=f"vpc/{Path(path).relative_to(root)}", Body=Path(path).read_bytes()
        )
    location = ["--location", "s3://flow-logs-bucket/vpc/", "--region", "us-east-1"]
    done = flowsql("estimate", *location, "--start", "2024-06-01", cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert "0 objects" in done.stdout
    assert "the data under s3://flow-logs-bucket/vpc covers 2024-05-01 … 2024-05-03" in done.stderr
    spec = logs.spec.__class__(location="s3://flow-logs-bucket/vpc/")
    from flowsql.config import AthenaSettings

    span = days_covered(spec, AthenaSettings(region="us-east-1", endpoint_url=moto.url))
    assert span is not None and (span[0].isoformat(), span[1].isoformat()) == covered(logs)
    busy = flowsql("estimate", *location, "--start", "2024-05-02", cwd=workdir)
    assert "no flow-log files" not in busy.stderr


def test_log_coverage_sees_no_holes_in_a_delivered_sample(logs: sample.SampleSet, tmp_path: Path) -> None:
    """A delivered flow log has records in every hour (NODATA for quiet intervals), so on the sample
    log_coverage lists every hour of its days: a missing hour would read as a delivery gap."""
    done = flowsql(
        "run", "log_coverage", "--location", str(logs.spec.location), "--start", "2024-05-01", "--last", "3d",
        "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    hours = [row["hour"] for row in json.loads(done.stdout)]
    starts = sorted(
        {r["start"] - r["start"] % 3600 for r in logs.records if 1714521600 <= r["start"] < 1714780800}
    )
    assert len(starts) == 72  # the oracle: every hour of the three days holds a record
    assert hours == [datetime.fromtimestamp(s, timezone.utc).isoformat() for s in starts]


def test_days_covered_in_an_hourly_hive_layout(tmp_path: Path) -> None:
    logs = sample.generate(
        tmp_path / "hive", days=2, end="2024-05-03", records=1500, layout="hive", hourly=True
    )
    span = days_covered(logs.spec)
    assert span is not None and (span[0].isoformat(), span[1].isoformat()) == covered(logs)
    assert any("day=04" in str(f) for f in logs.files)  # the spill folder exists, and is not reported
