"""The days a sample covers read the same in `flowsql sample`, `flowsql init` and the empty-window
warning of `flowsql run`, and init suggests the --end sample does: the real entry point in a
subprocess, against the days the records start on, read from the files in plain Python."""

from __future__ import annotations

import gzip
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from cli_process import flowsql


def record_days(root: Path) -> tuple[date, date]:
    """The oracle: the first and last UTC day a record starts on, from every file's `start` field."""
    days = set()
    for path in root.rglob("*.log.gz"):
        with gzip.open(path, "rt") as handle:
            header = handle.readline().split()
            column = header.index("start")
            for line in handle:
                value = line.split()[column]
                if value != "-":
                    days.add(datetime.fromtimestamp(int(value), timezone.utc).date())
    return min(days), max(days)


def test_sample_init_and_the_empty_window_note_name_the_same_days(tmp_path: Path) -> None:
    made = flowsql("sample", "./flowlogs", "--records", "3000", "--end", "2024-05-02", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    first, last = record_days(tmp_path / "flowlogs")
    assert (first, last) == (date(2024, 5, 1), date(2024, 5, 2))
    # the sample's last files, named after the minutes after midnight, sit in a 2024/05/03 folder
    assert list((tmp_path / "flowlogs").rglob("2024/05/03/*.log.gz"))
    end = (last + timedelta(days=1)).isoformat()
    assert f"{first} to {last}" in made.stdout
    assert re.findall(r"--end (\S+)", made.stdout) == [end]

    init = flowsql("init", "--location", "./flowlogs", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    assert f"under ./flowlogs/AWSLogs/, {first} to {last}:" in init.stdout
    assert re.findall(r"--end (\S+)", init.stdout) == [end]

    empty = flowsql("run", "top_talkers", "--start", "2023-01-01", "--end", "2023-01-02", cwd=tmp_path)
    assert empty.returncode == 0, empty.stderr
    assert f"covers {first} … {last}" in empty.stderr
