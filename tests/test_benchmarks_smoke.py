"""The benchmark script runs end to end in --quick mode (a small set, a few rounds) and prints every
figure; whether the targets hold is for the full run (`python benchmarks/run.py`), never a unit test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "run.py"


@pytest.mark.skipif(not SCRIPT.exists(), reason="benchmarks/ is not part of this installation")
def test_quick_benchmark_prints_every_figure(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--no-reader", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    for figure in (
        "decompression floor",
        "hand-written DuckDB script",
        "flowsql run top_talkers --engine duckdb (whole process)",
        "Python gzip+split loop",
        "pandas",
        "flowlogs-reader over S3",
        "library: session.run(top_talkers) vs the hand-written query",
        "one-day window: files read",
        "one-day window vs full set",
        "Parquet copy vs gzip text",
        "sizes: Parquet copy vs gzip text",
        "flowsql --help vs python -c 'import click'",
    ):
        assert figure in table, f"{figure!r} missing from:\n{table}"
    assert "answer differs" not in table
