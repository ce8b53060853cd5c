"""Each example in examples/ runs against the local engine and does what it says."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from flowsql.sample import generator as sample

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def sample_set(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleSet:
    return sample.generate(tmp_path_factory.mktemp("examples"), days=2, end="2024-05-02", records=5000)


def run(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_every_example_is_tested():
    assert {p.name for p in EXAMPLES.glob("*.py")} == {
        "investigation_session.py",
        "scheduled_report.py",
        "athena_setup.py",
    }


def test_notebook_style_session_finds_the_brute_force(tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    result = run("investigation_session.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert list(scratch.iterdir()) == []  # the sample set it generated is gone
    assert "185.220.101.47" in result.stdout  # the planted SSH brute-force source
    assert "investigations available" in result.stdout
    assert "date_partition BETWEEN" in result.stdout  # the rendered Athena SQL


def test_scheduled_report_writes_the_rows_as_json(sample_set, tmp_path):
    out = tmp_path / "report.json"
    result = run(
        "scheduled_report.py", "rejected_ssh_sources", "--location", sample_set.spec.location,
        "--end", "2024-05-03T00:00:00", "--hours", "48", "--out", str(out), "-p", "limit=3", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    planted = sample_set.incidents.ssh_brute_force
    assert report["engine"] == "duckdb" and len(report["rows"]) == 3
    top = report["rows"][0]
    assert top["srcaddr"] == planted.source
    # independently: count the planted source's rejected SSH records in the generated data
    attempts = sum(
        1
        for r in sample_set.records
        if r["srcaddr"] == planted.source
        and r["dstport"] == 22
        and r["action"] == "REJECT"
        and r["protocol"] == 6
    )
    assert top["attempts"] == attempts
    assert not list(tmp_path.glob("*.tmp"))


def test_scheduled_report_fails_clearly_on_a_wrong_parameter(sample_set, tmp_path):
    result = run(
        "scheduled_report.py", "rejected_ssh_sources", "--location", sample_set.spec.location,
        "--out", str(tmp_path / "r.json"), "-p", "port=70000", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "port must be 0–65535, got 70000" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "r.json").exists()


def test_athena_walkthrough_on_a_local_copy(sample_set, tmp_path):
    spec = sample_set.spec
    result = run(
        "athena_setup.py", spec.location, "--accounts", ",".join(spec.accounts), "--regions", ",".join(spec.regions),
        "--start", "2024-05-01", "--end", "2024-05-03", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "CREATE EXTERNAL TABLE IF NOT EXISTS `vpc_flow_logs`.`flow_logs`" in result.stdout
    assert "needs tcp_flags" in result.stdout  # the default format lacks v3 fields
    assert "Running it on DuckDB" in result.stdout and "5 rows" in result.stdout


def test_athena_walkthrough_on_s3_only_shows_without_run(tmp_path):
    result = run(
        "athena_setup.py", "s3://flow-bucket/vpc", "--accounts", "111122223333", "--regions", "us-east-1",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "'storage.location.template' = 's3://flow-bucket/vpc/AWSLogs/" in result.stdout
    assert "Pass --run to run it on Athena" in result.stdout


def test_athena_walkthrough_over_a_window_without_files_says_so(sample_set, tmp_path):
    """The documented form, `athena_setup.py ./flowlogs`, runs over the last 24 hours: the 2024
    sample has no file there, and the script says so with the days the folder does hold."""
    days = sorted({r["start"] // 86400 for r in sample_set.records})
    first, last = (str(date.fromordinal(date(1970, 1, 1).toordinal() + d)) for d in (days[0], days[-1]))
    result = run("athena_setup.py", sample_set.spec.location, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "0 rows" in result.stdout
    assert "warning: no flow-log files in this window" in result.stdout
    assert f"covers {first} … {last}" in result.stdout
