"""The progress line of `flowsql sample` and `flowsql compact`, through the real entry point with
stderr on a pseudo-terminal (stdout a pipe, as when rows are redirected): it appears on a terminal
only, never with -q, never on stdout, with numbers that match what was written, and is erased
before the summary. Off a terminal, compact writes one line per partition instead.

FLOWSQL_PROGRESS_DELAY=0 shows the line at once, so no test depends on how long a run takes.
"""

from __future__ import annotations

import gzip
import os
import pty
import re
import subprocess
import threading
from pathlib import Path

import pytest
from cli_process import flowsql, flowsql_command, read_terminal

STATUS = re.compile(r"^(sample|compact) (\d+)s: (.*)$")


def on_terminal(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run flowsql with stderr on a pseudo-terminal and stdout a pipe: (exit code, stdout, stderr)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "FLOWSQL_CONFIG")}
    environ.update(env or {})
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*flowsql_command(), *args],
        cwd=cwd,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(read_terminal(master)))
    reader.start()
    out, _ = proc.communicate(timeout=300)
    reader.join(timeout=60)
    os.close(master)
    # the terminal turns "\n" into "\r\n"; the status line's own "\r"s are what remains
    err = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    return proc.returncode, out.decode("utf-8"), err


def frames(err: str, label: str) -> list[tuple[int, str]]:
    """The status lines drawn: (seconds, text) of every '\\r'-started frame of `label`."""
    found = []
    for piece in err.split("\r"):
        match = STATUS.match(piece.rstrip(" "))
        if match and match.group(1) == label:
            found.append((int(match.group(2)), match.group(3)))
    return found


def check_erased(err: str) -> str:
    """The line was erased: the last frame is followed by '\\r', blanks as wide as the widest
    frame, '\\r'. Returns what stderr holds after that."""
    drawn = [piece for piece in err.split("\r") if STATUS.match(piece.rstrip(" "))]
    assert drawn, err
    widest = max(len(piece.rstrip(" ")) for piece in drawn)
    last = err.rindex("\r" + drawn[-1])
    rest = err[last + 1 + len(drawn[-1]) :]
    match = re.match(r"\r( +)\r", rest)
    assert match and len(match.group(1)) >= widest, repr(rest[:200])
    after = rest[match.end() :]
    assert "\r" not in after
    return after


def text_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.log.gz"))


def records_in(path: Path) -> int:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return sum(1 for _ in handle) - 1  # the header line


def decimal(size: int) -> str:
    """Bytes in decimal units with one decimal, as flowsql prints every size."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


NO_DELAY = {"FLOWSQL_PROGRESS_DELAY": "0", "FLOWSQL_CACHE_DIR": ""}
SAMPLE = ("--records", "30000", "--days", "3", "--end", "2024-05-03")


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("progress") / "logs"
    made = flowsql("sample", str(folder), *SAMPLE, env=NO_DELAY)
    assert made.returncode == 0, made.stderr
    return folder


# --- sample -------------------------------------------------------------------------------------------


def test_sample_draws_a_progress_line_on_a_terminal_that_matches_the_files(tmp_path: Path) -> None:
    # NO_COLOR is about colour only: the line still appears
    code, out, err = on_terminal("sample", "logs", *SAMPLE, cwd=tmp_path, env={**NO_DELAY, "NO_COLOR": "1"})
    assert code == 0, err
    written = text_files(tmp_path / "logs")
    shown = [text for _, text in frames(err, "sample")]
    assert any(text.startswith("drawing 30,000 records over 3 days") for text in shown), shown
    counts = [
        tuple(int(n.replace(",", "")) for n in m.groups())
        for text in shown
        if (m := re.fullmatch(r"([\d,]+) of ([\d,]+) files written \(day (\d) of (\d)\), ([\d,]+) of ([\d,]+) records", text))
    ]  # fmt: skip
    assert counts, shown
    assert {c[1] for c in counts} == {len(written)}  # files of the total: the files on disk
    assert {c[3] for c in counts} == {3} and all(1 <= c[2] <= 3 for c in counts)
    assert {c[5] for c in counts} == {sum(records_in(p) for p in written)}
    done = [c[0] for c in counts]
    assert done == sorted(done) and all(c[4] <= c[5] for c in counts)
    assert check_erased(err) == ""  # nothing else on stderr
    # stdout (the summary, for pipes and people) never carries the line
    assert "\r" not in out and "files written" not in out and out.startswith("wrote 30,")


def test_transit_gateway_sample_draws_the_same_line(tmp_path: Path) -> None:
    code, out, err = on_terminal(
        "sample",
        "tgw",
        "--transit-gateway",
        "--records",
        "3000",
        "--end",
        "2024-05-02",
        cwd=tmp_path,
        env=NO_DELAY,
    )
    assert code == 0, err
    written = text_files(tmp_path / "tgw")
    shown = [text for _, text in frames(err, "sample")]
    last = re.fullmatch(
        r"([\d,]+) of ([\d,]+) files written \(day \d of 2\), ([\d,]+) of ([\d,]+) records", shown[-1]
    )
    assert last, shown
    total = sum(records_in(p) for p in written)
    assert last.groups() == (f"{len(written):,}", f"{len(written):,}", f"{total:,}", f"{total:,}")
    assert check_erased(err) == "" and out.startswith("wrote ")


def test_sample_quiet_or_not_on_a_terminal_draws_nothing(tmp_path: Path) -> None:
    code, out, err = on_terminal("sample", "quiet", *SAMPLE, "-q", cwd=tmp_path, env=NO_DELAY)
    assert code == 0 and err == "" and out.startswith("wrote ")
    piped = flowsql("sample", str(tmp_path / "piped"), *SAMPLE, env=NO_DELAY)
    assert piped.returncode == 0 and piped.stderr == "" and "\r" not in piped.stdout


def test_the_line_waits_before_it_appears(tmp_path: Path) -> None:
    """A run shorter than the delay shows nothing (the delay is a second; here an hour)."""
    code, out, err = on_terminal(
        "sample", "logs", *SAMPLE, cwd=tmp_path, env={**NO_DELAY, "FLOWSQL_PROGRESS_DELAY": "3600"}
    )
    assert code == 0 and err == "" and out.startswith("wrote ")


def test_the_delay_is_about_a_second_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from flowsql.cli import terminal

    monkeypatch.delenv("FLOWSQL_PROGRESS_DELAY", raising=False)
    assert terminal.progress_delay() == 1.0
    monkeypatch.setenv("FLOWSQL_PROGRESS_DELAY", "not a number")
    assert terminal.progress_delay() == 1.0
    monkeypatch.setenv("FLOWSQL_PROGRESS_DELAY", "0")
    assert terminal.progress_delay() == 0.0


# --- compact ------------------------------------------------------------------------------------------


def test_compact_on_a_terminal_draws_partitions_and_bytes_then_the_summary(
    logs: Path, tmp_path: Path
) -> None:
    code, out, err = on_terminal(
        "compact", "--location", str(logs), "--to", str(tmp_path / "pq"), cwd=tmp_path, env=NO_DELAY
    )
    assert code == 0, err
    days = sorted({p.parent for p in text_files(logs)})
    total = sum(p.stat().st_size for p in text_files(logs))
    shown = [text for _, text in frames(err, "compact")]
    progress = [
        m.groups()
        for text in shown
        if (m := re.match(r"(\d+)/(\d+) partitions, read ([\d.]+ [KMG]?B) of ([\d.]+ [KMG]?B) → wrote ([\d.]+ [KMG]?B)", text))
    ]  # fmt: skip
    assert progress, shown
    assert {int(p[1]) for p in progress} == {len(days)}
    assert {p[3] for p in progress} == {decimal(total)}
    done = [int(p[0]) for p in progress]
    assert done == sorted(done) and done[0] == 0 and max(done) <= len(days)
    assert any(", now 2024-05-0" in text for text in shown)  # the partition being written
    after = check_erased(err)
    # the summary replaces the line; no line per partition on a terminal
    assert after.startswith(f"{len(days)} partitions: {len(days)} written"), after
    assert ": written," not in err
    assert "\r" not in out and "--layout hive" in out


def test_compact_off_a_terminal_logs_one_line_per_partition(logs: Path, tmp_path: Path) -> None:
    got = flowsql("compact", "--location", str(logs), "--to", str(tmp_path / "pq"), env=NO_DELAY)
    assert got.returncode == 0, got.stderr
    days = sorted({p.parent for p in text_files(logs)})
    lines = [line for line in got.stderr.splitlines() if ": written, " in line]
    assert len(lines) == len(days) and "\r" not in got.stderr


def test_compact_quiet_draws_nothing_but_the_summary(logs: Path, tmp_path: Path) -> None:
    code, _out, err = on_terminal(
        "compact", "--location", str(logs), "--to", str(tmp_path / "pq"), "-q", cwd=tmp_path, env=NO_DELAY
    )
    assert code == 0, err
    assert "\r" not in err and ": written, " not in err
    assert [line for line in err.splitlines() if line] == [err.strip()]
    assert "partitions: " in err


def test_compact_on_athena_draws_the_statement_running_of_how_many(moto, tmp_path: Path) -> None:
    s3 = moto.client("s3")
    for bucket in ("results", "dest-bucket"):
        s3.create_bucket(Bucket=bucket)
    args = (
        "compact", "--engine", "athena", "--location", "s3://logs-bucket/flows",
        "--accounts", "111122223333,444455556666,777788889999", "--regions", "us-east-1,eu-west-1",
        "--output-location", "s3://results/out/", "--start", "2024-04-01", "--end", "2024-05-11",
    )  # fmt: skip
    code, out, err = on_terminal(*args, "--to", "s3://dest-bucket/pq", cwd=tmp_path, env=NO_DELAY)
    assert code == 0, err
    sent = moto.client("athena").list_query_executions()["QueryExecutionIds"]
    shown = [text for _, text in frames(err, "compact")]
    running = [
        m.groups() for text in shown if (m := re.match(r"statement (\d+) of (\d+) \((CTAS|INSERT), ", text))
    ]
    assert running, err
    assert {int(r[1]) for r in running} == {len(sent)} and len(sent) > 1
    assert running[0][::2] == ("1", "CTAS") and all(r[2] == "INSERT" for r in running if r[0] != "1")
    assert check_erased(err).startswith(f"{len(sent)} statement(s) on Athena")
    assert "INSERT 2024" not in err and "\r" not in out
    # off a terminal: one line per statement, as a log has them
    for bucket in ("dest-bucket-2",):
        s3.create_bucket(Bucket=bucket)
    piped = flowsql(*args, "--to", "s3://dest-bucket-2/pq", "--target-table", "again", env=NO_DELAY)
    assert piped.returncode == 0, piped.stderr
    assert len([line for line in piped.stderr.splitlines() if " scanned, id " in line]) == len(sent)
    assert "\r" not in piped.stderr


def test_compact_local_reports_progress_to_its_callback(logs: Path, tmp_path: Path) -> None:
    """The library side: a CompactProgress before and after every partition, the totals exact."""
    from flowsql.cost.compact_local import compact_local
    from flowsql.tables.spec import TableSpec

    states = []
    report = compact_local(TableSpec(location=str(logs)), str(tmp_path / "pq"), on_progress=states.append)
    days = sorted({p.parent for p in text_files(logs)})
    total = sum(p.stat().st_size for p in text_files(logs))
    assert {s.partitions_total for s in states} == {len(days)} and {s.source_bytes_total for s in states} == {
        total
    }
    between = [s for s in states if s.current is None]
    assert [s.partitions for s in between] == list(range(1, len(days) + 1))
    assert between[-1].source_bytes == total and between[-1].rows == report.rows
    assert between[-1].output_bytes == sum(p.stat().st_size for p in (tmp_path / "pq").rglob("*.parquet"))
    assert all(0 <= s.percent <= 100 for s in states if s.percent is not None)
