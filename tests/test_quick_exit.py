"""The `flowsql` command ends with os._exit once its work is done (flowsql.cli.entry): what Python's
shutdown would still do that matters must happen first. Each test runs the real entry point in a
fresh interpreter and checks what a user would see: every row of a large answer through a pipe,
the exit status, atexit handlers, a running thread waited for, a failed write reported."""

from __future__ import annotations

import csv
import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_process import flowsql, flowsql_command

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
ROWS = 6000


def _logs(root: Path) -> Path:
    """One AWS-named gzip file of ROWS records written by hand, all in 2024-05-01 00:00–01:00 UTC."""
    day = root / "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01"
    day.mkdir(parents=True)
    name = "123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60708_20240501T0000Z_abcd1234.log.gz"
    lines = [HEADER]
    for i in range(ROWS):
        start = 1714521600 + i % 3000
        lines.append(
            f"2 123456789012 eni-0a1b2c3d 10.0.{i // 250}.{i % 250} 10.1.0.9 {1024 + i} 443 6 1 {i + 1} "
            f"{start} {start + 30} ACCEPT OK"
        )
    with gzip.open(day / name, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    return root


def _select_all(root: Path) -> list[str]:
    return ["sql", "SELECT srcaddr, bytes FROM vpc_flow_logs.flow_logs", "--location", str(root),
            "--start", "2024-05-01", "--end", "2024-05-01T01:00Z", "--format", "csv", "-q"]  # fmt: skip


def test_a_large_answer_arrives_whole_through_a_pipe(tmp_path: Path) -> None:
    root = _logs(tmp_path / "logs")
    done = subprocess.run([*flowsql_command(), *_select_all(root)], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode())))
    assert len(rows) == ROWS
    assert sorted(int(r["bytes"]) for r in rows) == list(range(1, ROWS + 1))


def test_a_reader_that_leaves_early_is_not_an_error(tmp_path: Path) -> None:
    root = _logs(tmp_path / "logs")
    command = " ".join(f"'{a}'" for a in [*flowsql_command(), *_select_all(root)])
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command} | head -2"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.splitlines()
    assert header == "srcaddr,bytes"
    address, count = row.split(",")
    assert address.startswith("10.0.") and 1 <= int(count) <= ROWS
    assert done.stderr == ""


def test_failures_keep_their_exit_status(tmp_path: Path) -> None:
    missing = flowsql("run", "top_talkers", "--location", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert missing.returncode != 0 and missing.stderr.startswith("error: ")
    unknown = flowsql("run", "no_such_investigation", "--location", str(_logs(tmp_path / "l")), cwd=tmp_path)
    assert unknown.returncode != 0 and "no_such_investigation" in unknown.stderr


def _entry(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The entry point called after `code` has run in the same interpreter."""
    script = f"import sys\n{code}\nsys.argv = ['flowsql', *{list(args)!r}]\nfrom flowsql.cli import entry\nentry()\n"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)


def test_atexit_handlers_still_run() -> None:
    done = _entry("import atexit\natexit.register(lambda: print('handler ran', flush=True))", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "handler ran"
    assert done.stdout.startswith("flowsql, version ")


def test_a_running_thread_is_waited_for() -> None:
    """Python waits for non-daemon threads at exit; so must the quick exit (it then exits normally)."""
    code = (
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.5), print('thread finished', flush=True))).start()"
    )
    done = _entry(code, "--version")
    assert done.returncode == 0, done.stderr
    assert "thread finished" in done.stdout.splitlines()


def test_exit_status_of_sys_exit_with_a_message() -> None:
    """A SystemExit carrying text (click and Python print it, status 1) keeps that meaning."""
    done = _entry(
        "import flowsql.cli\ndef boom(argv=None):\n    raise SystemExit('stopped: because')\nflowsql.cli.main = boom",
        "--version",
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "stopped: because"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [["--version"], ["list"]], ids=" ".join)
def test_output_that_cannot_be_written_is_an_error(args: list[str], tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*flowsql_command(), *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert done.returncode == 74
    assert done.stderr.strip().splitlines()[-1] == "error: No space left on device"
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_output_still_buffered_at_exit_that_cannot_be_written_is_an_error() -> None:
    """Rows written without a flush fail only at the last flush, which the quick exit does itself."""
    script = (
        "import sys\nimport flowsql.cli\n"
        "sys.stdout = open('/dev/full', 'w', buffering=1 << 16)\n"
        "flowsql.cli.main = lambda argv=None: sys.stdout.write('a row\\n')\n"
        "sys.argv = ['flowsql']\nflowsql.cli.entry()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 74
    assert done.stderr.strip() == "error: the output could not be written: No space left on device"


def test_close_all_closes_the_shared_databases(tmp_path: Path) -> None:
    """What the quick exit calls: every database of this process closed and forgotten."""
    code = (
        "from flowsql.engines.duckdb import database\n"
        "w = database.open_workspace()\n"
        "w.close()\n"
        "roots = list(database._databases.values())\n"
        "database.close_all()\n"
        "print(len(roots), len(database._databases))\n"
        "try:\n    roots[0].execute('SELECT 1')\nexcept Exception as exc:\n    print(type(exc).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "0", "ConnectionException"]
