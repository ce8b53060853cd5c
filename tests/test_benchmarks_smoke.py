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
        "set many:",
        "set large:",
        "hand-written DuckDB script",
        "cold text scan: flowsql run top_talkers --no-cache, whole process",
        "cold text scan, engine time",
        "one-day window vs 7 days",
        "one-day window: files read",
        "columnar cache, first run (a background fill follows)",
        "columnar cache, the background fill after the first run",
        "columnar cache, a second investigation, engine time",
        "columnar cache, a second investigation, whole process",
        "Parquet copy vs gzip text",
        "flowsql --help vs python -c 'import click'",
        "flowsql run over an empty window",
        "peak memory (RSS)",
        "decompression floor",
        "Python gzip+split loop",
        "pandas",
        "flowlogs-reader over S3",
        "sizes: Parquet copy vs gzip text",
    ):
        assert figure in table, f"{figure!r} missing from:\n{table}"
    assert "answer differs" not in table
    header = table.splitlines()[table.splitlines().index("") + 1]
    assert "many: measured" in header and "large: measured" in header
    rows = [
        [c.strip() for c in line.split("|")[1:-1]] for line in table.splitlines() if line.startswith("| ")
    ]
    targeted = [r for r in rows[1:] if r[1]]
    assert len(targeted) >= 10
    for row in targeted:  # every target judged on both sets
        assert row[4] in ("PASS", "FAIL") and row[7] in ("PASS", "FAIL"), row
