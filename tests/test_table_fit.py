"""A table fitted to a 100-column terminal (the real entry point, COLUMNS=100): IP addresses,
numbers and timestamps are never cut; when cutting text cells is not enough, the last columns are
left out and a note on stderr names them and --wide. Checked against the same rows as JSON."""

from __future__ import annotations

import ipaddress
import json
from datetime import datetime
from pathlib import Path

import pytest
from cli_process import flowsql

WIDTH = 100


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's folder: a sample with inventory, so top_talkers has name and instance columns."""
    root = tmp_path_factory.mktemp("fit")
    made = flowsql("demo", "--records", "3000", cwd=root)
    assert made.returncode == 0, made.stderr
    return root / "flowsql-demo"


def table_and_json(folder: Path, *args: str) -> tuple[list[str], str, list[dict]]:
    shown = flowsql(*args, cwd=folder, env={"COLUMNS": str(WIDTH)})
    assert shown.returncode == 0, shown.stderr
    as_json = flowsql(*args, "--format", "json", cwd=folder)
    assert as_json.returncode == 0, as_json.stderr
    return shown.stdout.splitlines(), shown.stderr, json.loads(as_json.stdout)


def check(lines: list[str], stderr: str, records: list[dict]) -> list[str]:
    """The shown columns; every line fits, every shown cell is its whole value, hidden ones are named."""
    header, rule, *body = lines
    assert all(len(line) <= WIDTH for line in lines)
    columns = header.split()
    everything = list(records[0])
    assert columns == everything[: len(columns)]
    hidden = everything[len(columns) :]
    if hidden:
        assert f"left out to fit {WIDTH} characters: {', '.join(hidden)} (--wide shows them)" in stderr
    else:
        assert "left out" not in stderr
    # cell boundaries from the rule line under the header
    spans, at = [], 0
    for dashes in rule.split("  "):
        spans.append((at, at + len(dashes)))
        at += len(dashes) + 2
    for line, record in zip(body, records, strict=True):
        for (low, high), name in zip(spans, columns, strict=True):
            cell, value = line[low:high].strip(), record[name]
            assert "…" not in cell or not whole(value), (name, cell)
            if isinstance(value, str) and whole(value):
                expected = f"{datetime.fromisoformat(value):%Y-%m-%d %H:%M:%S}" if is_time(value) else value
                assert cell == expected, (name, cell, value)
    return columns


def is_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def whole(value: object) -> bool:
    """Values that must never be cut: numbers, times, IP addresses."""
    if value is None or isinstance(value, int | float):
        return value is not None
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return is_time(str(value))
    return True


def test_addresses_are_never_cut_and_left_out_columns_are_named(demo: Path) -> None:
    lines, stderr, records = table_and_json(demo, "run", "top_talkers", "--last", "7d")
    columns = check(lines, stderr, records)
    assert {"srcaddr", "dstaddr", "bytes"} <= set(columns)
    assert any(r["dst_name"] for r in records)  # the inventory columns exist and hold text


def test_timestamps_are_never_cut(demo: Path) -> None:
    lines, stderr, records = table_and_json(
        demo, "run", "traffic_over_time", "-p", "bucket=15m", "--last", "7d"
    )
    columns = check(lines, stderr, records)
    assert columns[0] == "bucket_start"
    assert len(columns) < len(records[0])  # seven wide columns do not fit in 100: some are left out
