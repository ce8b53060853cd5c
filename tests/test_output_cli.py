"""Output a person reads: tables that fit the terminal, one unit system for bytes, thousands
separators, colour only on a terminal and never with NO_COLOR, a quiet exit when the reader of stdout
leaves, and DuckDB's progress read from a thread rather than drawn on stdout."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import re
import shlex
import struct
import subprocess
import termios
from pathlib import Path

import pytest
from cli_process import flowsql, flowsql_command, read_terminal

from flowsql import output
from flowsql.results import format_bytes
from flowsql.sample import generator as sample

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleSet:
    return sample.generate(tmp_path_factory.mktemp("output"), days=2, end="2024-05-02", records=3000)


def on_terminal(*args: str, columns: int, cwd: Path, env: dict[str, str] | None = None) -> str:
    """What `flowsql ARGS` prints on a pseudo-terminal `columns` wide."""
    main, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    environ.update(env or {})
    process = subprocess.Popen(
        [*flowsql_command(), *args], stdin=secondary, stdout=secondary, stderr=secondary, cwd=cwd, env=environ
    )
    os.close(secondary)
    shown = read_terminal(main)
    process.wait(timeout=120)
    os.close(main)
    assert process.returncode == 0
    return shown.decode("utf-8").replace("\r\n", "\n")


def test_list_fits_the_terminal_and_is_bold_there(tmp_path: Path) -> None:
    shown = on_terminal("list", columns=100, cwd=tmp_path)
    lines = [ANSI.sub("", line) for line in shown.splitlines() if line.strip()]
    assert len(lines) >= 40
    assert max(len(line) for line in lines) <= 100
    assert any(line.endswith("…") or "… " in line for line in lines)  # long titles are cut, not wrapped
    assert shown.startswith("\x1b[1mname")
    names = [entry["name"] for entry in json.loads(flowsql("list", "--format", "json", cwd=tmp_path).stdout)]
    assert [line.split()[0] for line in lines[2:]] == names  # the first column, what you type, stays whole
    plain = on_terminal("list", columns=100, cwd=tmp_path, env={"NO_COLOR": "1"})
    assert "\x1b[" not in plain
    wide = on_terminal("list", "--wide", columns=100, cwd=tmp_path, env={"NO_COLOR": "1"})
    assert max(len(line) for line in wide.splitlines()) > 100
    assert wide == flowsql("list", cwd=tmp_path).stdout  # every cell whole, as into a pipe


def test_no_colour_and_no_cutting_into_a_pipe(tmp_path: Path) -> None:
    done = flowsql("list", cwd=tmp_path)
    assert done.returncode == 0
    assert "\x1b[" not in done.stdout
    titles = [
        json.loads(flowsql("list", "--format", "json", cwd=tmp_path).stdout)[i]["title"] for i in (0, 1)
    ]
    assert all(title in done.stdout for title in titles)  # not cut
    saved = tmp_path / "list.json"
    assert flowsql("list", "--format", "json", "--output", str(saved), cwd=tmp_path).stdout == ""
    assert json.loads(saved.read_text()) == json.loads(
        flowsql("list", "--format", "json", cwd=tmp_path).stdout
    )
    fitted = flowsql("list", cwd=tmp_path, env={"COLUMNS": "90"})
    assert max(len(line) for line in fitted.stdout.splitlines()) <= 90


def test_bytes_in_decimal_units_and_counts_with_separators(logs: sample.SampleSet, tmp_path: Path) -> None:
    args = [
        "run",
        "top_talkers",
        "--location",
        str(logs.spec.location),
        "--start",
        "2024-05-01",
        "--last",
        "2d",
    ]
    rows = json.loads(flowsql(*args, "--format", "json", cwd=tmp_path).stdout)
    table = flowsql(*args, cwd=tmp_path).stdout.splitlines()
    top = rows[0]
    first = table[2]
    assert f"{top['bytes'] / 1e9:.1f} GB" in first or f"{top['bytes'] / 1e6:.1f} MB" in first
    assert f"{top['packets']:,}" in first
    assert format_bytes(6_000_000_000) == "6.0 GB" and format_bytes(999) == "999 B"
    assert format_bytes(1_500_000) == "1.5 MB"


def test_ports_and_times_keep_their_digits() -> None:
    out = io.StringIO()
    output.write(
        ["dstport", "start", "flows", "bytes"], [[50123, 1714521600, 12345, 6_000_000_000]], "table", out
    )
    assert out.getvalue().splitlines()[2].split() == ["50123", "1714521600", "12,345", "6.0", "GB"]


def test_a_reader_that_leaves_early_gets_a_quiet_exit(logs: sample.SampleSet, tmp_path: Path) -> None:
    command = " ".join(shlex.quote(part) for part in [
        *flowsql_command(), "sql", "SELECT * FROM flow_logs", "--location", str(logs.spec.location),
        "--end", "2024-05-03", "--last", "2d", "--format", "json",
    ])  # fmt: skip
    done = subprocess.run(
        ["bash", "-c", f"{command} 2>{tmp_path / 'err'} | head -1; exit ${{PIPESTATUS[0]}}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.stdout == "[\n"
    assert done.returncode in (0, 141)
    assert (tmp_path / "err").read_text() == ""


def test_duckdb_progress_is_read_from_a_thread_not_printed(capfd: pytest.CaptureFixture[str]) -> None:
    import duckdb

    from flowsql.engines.duckdb.progress import watching

    con = duckdb.connect()
    seen: list[float] = []
    with watching(con, lambda percent, _seconds: seen.append(percent), delay=0, interval=0.01):
        con.execute("SELECT count(*) FROM range(300000000) t WHERE t.range % 7 = 3").fetchall()
    assert seen and all(0 <= p <= 100 for p in seen)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
