"""Ctrl-C during a DuckDB run or a compact ends with exit 130 and "interrupted", leaving no file
half-written; compact's write failures name the destination (not a source); `--to` an existing file is
refused; a source rewritten in place with the same size is noticed. The Ctrl-C tests run flowsql in a
child process and send it SIGINT once it is inside DuckDB (each child's query would run for minutes)."""

from __future__ import annotations

import gzip
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flowsql.cost import compact_local
from flowsql.errors import ConfigError
from flowsql.sample.files import GZIP_LEVEL
from flowsql.sample.generator import generate
from flowsql.tables.spec import TableSpec

SLOW_QUERY = """-- name: slow_count
-- title: A deliberately slow count
-- description: Counts every record a hundred million times over.
-- category: troubleshooting
-- fields: [start]
-- columns: [n]
SELECT count(*) AS n
FROM {{ table }}
CROSS JOIN UNNEST(sequence(1, 10000)) AS t (x)
CROSS JOIN UNNEST(sequence(1, 10000)) AS u (y)
WHERE {{ in_window() }}
"""

# Runs the CLI in-process after announcing itself on stdout. For compact, the statement that reads
# the sources is made slow (a scalar subquery counting 10^10 pairs) but still writes the copy.
_CHILD = r"""
import sys
from flowsql.cost import compact_local
real = compact_local.select_sql
def slow(*args, **kwargs):
    print("copying", flush=True)
    return ("SELECT * FROM (" + real(*args, **kwargs) + ") WHERE "
            "(SELECT count(*) FROM range(100000) a(i), range(100000) b(j) WHERE i + j = 7) >= 0")
compact_local.select_sql = slow
print("started", flush=True)
from flowsql.cli import main
main(sys.argv[1:])
"""


def _interrupt(args: list[str], marker: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLOWSQL_CACHE_DIR": str(tmp_path / "cache")}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == marker:
            break
    else:
        raise AssertionError(f"the child never printed {marker!r}: {child.communicate()[1]}")
    if marker == "started":  # the run: give it the moment it needs to render and reach DuckDB
        import time

        time.sleep(1.5)
    child.send_signal(signal.SIGINT)
    # the timeout only keeps a regression (a query that is not interrupted) from hanging the suite
    out, err = child.communicate(timeout=120)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return generate(tmp_path_factory.mktemp("logs"), days=1, end="2024-05-01", records=2000, files_per_day=6)


def test_ctrl_c_during_a_duckdb_run_is_interrupted_exit_130(logs: Any, tmp_path: Path) -> None:
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "slow_count.sql").write_text(SLOW_QUERY)
    done = _interrupt(
        ["run", "slow_count", "--queries", str(tmp_path / "q"), "--location", logs.spec.location,
         "-p", "start=2024-05-01", "-p", "end=2024-05-02"],
        "started",
        tmp_path,
    )  # fmt: skip
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "interrupted"
    assert "internal error" not in done.stderr


def test_ctrl_c_during_compact_is_interrupted_and_leaves_nothing_half_written(
    logs: Any, tmp_path: Path
) -> None:
    dest = tmp_path / "copy"
    done = _interrupt(["compact", "--location", logs.spec.location, "--to", str(dest)], "copying", tmp_path)
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "interrupted"
    assert [p for p in dest.rglob("*") if p.is_file()] == []


def test_compact_to_an_existing_file_is_refused(logs: Any, tmp_path: Path, flowsql_cli: Any) -> None:
    existing = tmp_path / "a-file"
    existing.write_text("keep me")
    for target in (str(existing), os.devnull):
        with pytest.raises(ConfigError, match="is an existing file, not a folder"):
            compact_local.compact_local(logs.spec, target)
        got = flowsql_cli("compact", "--location", logs.spec.location, "--to", target)
        assert got.code == 2 and "is an existing file, not a folder" in got.err, got
    assert existing.read_text() == "keep me"


def test_a_write_that_fails_names_the_destination(logs: Any, tmp_path: Path) -> None:
    """Writes beyond a file size limit fail as a full disk does: the error is the copy's."""
    dest = tmp_path / "copy"

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write instead of a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    env = {**os.environ, "FLOWSQL_CACHE_DIR": ""}
    command = [
        sys.executable,
        "-m",
        "flowsql",
        "compact",
        "--location",
        logs.spec.location,
        "--to",
        str(dest),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, preexec_fn=limited, timeout=300, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "error: cannot write the Parquet copy " + str(dest) in done.stderr
    assert "cannot read" not in done.stderr and ".log.gz" not in done.stderr
    assert not [p for p in dest.rglob("*.log.parquet") if p.is_file()]


def test_a_source_rewritten_in_place_with_the_same_size_is_noticed(logs: Any, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(logs.spec.location, tmp_path / "logs")
    spec = TableSpec(location=str(tmp_path / "logs"))
    dest = tmp_path / "copy"
    compact_local.compact_local(spec, str(dest))
    path = sorted((tmp_path / "logs").rglob("*.log.gz"))[0]
    before = path.stat()
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    # one record's bytes changed by a digit, chosen so the file keeps its exact size
    for index in range(1, len(lines)):
        cells = lines[index].split(" ")
        if not cells[9].isdigit():
            continue
        digit = "1" if cells[9][-1] != "1" else "2"
        cells[9] = cells[9][:-1] + digit
        edited = [*lines[:index], " ".join(cells), *lines[index + 1 :]]
        rewritten = gzip.compress(("\n".join(edited) + "\n").encode(), GZIP_LEVEL, mtime=0)
        if len(rewritten) == before.st_size:
            break
    else:
        pytest.fail("no same-size edit found")
    path.write_bytes(rewritten)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    assert path.stat().st_size == before.st_size
    report = compact_local.compact_local(spec, str(dest))
    assert report.count("rewritten") == 1
    con = duckdb.connect()
    copied = con.execute(
        "SELECT bytes FROM read_parquet(?) WHERE start = ? AND srcaddr = ? AND dstaddr = ? AND srcport = ?",
        [[str(p) for p in dest.rglob("*.log.parquet")], int(cells[10]), cells[3], cells[4], int(cells[5])],
    ).fetchall()
    assert (int(cells[9]),) in copied


def test_compact_never_opens_a_fifo_and_warns_about_another_format(logs: Any, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(logs.spec.location, tmp_path / "logs")
    spec = TableSpec(location=str(tmp_path / "logs"))
    first = sorted((tmp_path / "logs").rglob("*.log.gz"))[0]
    fifo = first.with_name(first.name.replace(".log.gz", "-pipe.log.gz"))
    os.mkfifo(fifo)
    lines = gzip.decompress(first.read_bytes()).decode().splitlines()
    # the same records with the first two fields swapped in the header and in every line
    swapped = [" ".join([c[1], c[0], *c[2:]]) for c in (line.split(" ") for line in lines)]
    first.write_bytes(gzip.compress(("\n".join(swapped) + "\n").encode()))
    env = {**os.environ, "FLOWSQL_CACHE_DIR": ""}
    command = [
        sys.executable,
        "-m",
        "flowsql",
        "compact",
        "--location",
        spec.location,
        "--to",
        str(tmp_path / "c"),
    ]
    # the timeout only keeps a regression (opening the FIFO waits forever) from hanging the suite
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert str(fifo) in done.stderr and "not a regular file" in done.stderr
    assert "hold another log format" in done.stderr and str(first) in done.stderr and "shift" in done.stderr
