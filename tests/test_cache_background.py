"""The background fill of the columnar cache: the answering run returns before the entries exist and
starts one detached, low-priority filler; the filler writes what the text holds (read back here with
DuckDB and compared with the gzip text parsed in plain Python), the same entries as the inline fill;
a file rewritten before the filler reads it is not cached under its old key; one filler per folder;
nothing is started for a failed or interrupted run; spawning that fails falls back to the inline
fill; bad settings are refused by name. (The every-investigation comparison in
test_columnar_cache.py runs with both fill modes.)"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

import flowsql
from flowsql.engines.duckdb import background
from flowsql.errors import ConfigError
from flowsql.sample.generator import SampleSet, generate

UTC = timezone.utc
START, STOP = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 3, tzinfo=UTC)
# The default (v2) format's columns and which hold numbers ('-' in those is NULL; in text it stays '-').
V2 = [
    "version",
    "account_id",
    "interface_id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log_status",
]
NUMERIC = {"version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end"}


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(folder))
    monkeypatch.setenv("FLOWSQL_CACHE_FILL", "background")
    monkeypatch.delenv("FLOWSQL_CONFIG", raising=False)
    monkeypatch.delenv(background.GATE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    yield folder
    # never leave a filler behind: let any gated one go and wait for it
    gate = os.environ.get(background.GATE_ENV)
    if gate:
        Path(gate).touch()
    background.wait(str(folder / "columnar"), timeout=120)


@pytest.fixture
def gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A filler started while this path does not exist waits for it before writing anything."""
    path = tmp_path / "go"
    monkeypatch.setenv(background.GATE_ENV, str(path))
    return path


def _sample(tmp_path: Path) -> SampleSet:
    return generate(tmp_path / "logs", days=2, end=date(2024, 5, 2), records=2000, seed=3, files_per_day=3)


def _files(sample: SampleSet) -> list[Path]:
    return sorted(Path(sample.spec.location).rglob("*.log.gz"))


def _entries(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "columnar").rglob("*.parquet"))


def _answer(sample: SampleSet, **kwargs: Any) -> list[tuple[Any, ...]]:
    with flowsql.Session(sample.spec, **kwargs) as session:
        return [tuple(r) for r in session.run("top_talkers", start=START, end=STOP, limit=1000)]


def _columnar(cache_dir: Path) -> str:
    return str(cache_dir / "columnar")


def _until(check: Any, what: str) -> None:
    """Wait (no time limit that could make the test flaky, only a very generous bound) for `check`."""
    import time

    deadline = time.monotonic() + 120
    while not check():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)


def _filler(cache_dir: Path) -> int | None:
    """The pid of the filler at work (it holds the fill lock and has taken a job)."""
    filling = background.state(_columnar(cache_dir))
    return filling.pid if filling is not None and background.running(_columnar(cache_dir)) else None


def _text_rows(path: Path) -> list[tuple[Any, ...]]:
    """The oracle: the gzip text parsed in plain Python."""
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    header = lines[0].split(" ")
    rows = []
    for line in lines[1:]:
        record = dict(zip(header, line.split(" "), strict=True))
        values = []
        for column in V2:
            raw = record[column.replace("_", "-")]
            values.append((None if raw == "-" else int(raw)) if column in NUMERIC else raw)
        rows.append(tuple(values))
    return sorted(rows, key=repr)


def _entry_rows(entry: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    try:
        names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{entry}')").fetchall()]
        assert names == V2
        return sorted(con.execute(f"SELECT * FROM read_parquet('{entry}')").fetchall(), key=repr)
    finally:
        con.close()


def test_the_filler_writes_what_the_text_holds_as_the_inline_fill_does(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = _sample(tmp_path)
    expected = _answer(sample, cache=False)
    assert _answer(sample) == expected
    assert background.wait(_columnar(cache_dir))
    assert background.last(_columnar(cache_dir))["error"] is None
    entries = _entries(cache_dir)
    assert len(entries) == len(_files(sample))
    biggest = max(_files(sample), key=lambda p: p.stat().st_size)
    mine = [e for e in entries if e.name == biggest.name + ".parquet"]
    assert len(mine) == 1 and _entry_rows(mine[0]) == _text_rows(biggest)
    # the inline fill makes the same entries: same keys (folder names) and the same rows
    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(tmp_path / "inline-cache"))
    assert _answer(sample, cache_fill="inline") == expected
    inline = _entries(tmp_path / "inline-cache")
    relative = [e.relative_to(cache_dir / "columnar") for e in entries]
    assert [e.relative_to(tmp_path / "inline-cache" / "columnar") for e in inline] == relative
    for a, b in zip(entries, inline, strict=True):
        assert _entry_rows(a) == _entry_rows(b)
    # and a later run reads every file from the entries, with the same answer
    with flowsql.Session(sample.spec) as session:
        rows = [tuple(r) for r in session.run("top_talkers", start=START, end=STOP, limit=1000)]
        assert rows == expected and session.engine.cached_files == [str(f) for f in _files(sample)]


def test_the_answering_run_returns_before_the_fill_and_leaves_a_detached_filler(
    tmp_path: Path, cache_dir: Path, gate: Path, flowsql_cli: Any
) -> None:
    sample = _sample(tmp_path)
    args = [
        sys.executable, "-m", "flowsql", "run", "top_talkers", "--location", sample.spec.location,
        "-p", "start=2024-05-01", "-p", "end=2024-05-03", "--format", "json",
    ]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert done.returncode == 0, done.stderr
    # The answering process has exited; its filler waits at the gate, holding the fill lock.
    assert not _entries(cache_dir)
    _until(lambda: _filler(cache_dir) is not None, "the filler holds the fill lock")
    pid = _filler(cache_dir)
    assert pid is not None and pid != os.getpid()
    assert os.getsid(pid) == pid, "its own session: a Ctrl-C at the terminal does not reach it"
    assert os.getpriority(os.PRIO_PROCESS, pid) > os.getpriority(os.PRIO_PROCESS, 0)
    if Path(f"/proc/{pid}/fd").is_dir():
        assert {os.readlink(f"/proc/{pid}/fd/{n}") for n in (0, 1, 2)} == {os.devnull}
    info = flowsql_cli("cache", "info")
    assert f"background fill in progress: pid {pid}" in info.out, info.out
    gate.touch()
    assert background.wait(_columnar(cache_dir))
    assert len(_entries(cache_dir)) == len(_files(sample))
    info = flowsql_cli("cache", "info")
    assert f"last background fill: {len(_files(sample))} file(s)" in info.out, info.out
    assert "in progress" not in info.out
    cached = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert json.loads(cached.stdout) == json.loads(done.stdout)
    assert not background.state(_columnar(cache_dir)), "everything cached: no fill queued"


def test_a_file_rewritten_before_the_filler_reads_it_is_not_cached_stale(
    tmp_path: Path, cache_dir: Path, gate: Path
) -> None:
    sample = _sample(tmp_path)
    first = _answer(sample)  # its filler waits at the gate
    biggest = max(_files(sample), key=lambda p: p.stat().st_size)
    before = biggest.stat()
    lines = gzip.decompress(biggest.read_bytes()).decode().splitlines()
    at = next(i for i in range(1, len(lines)) if lines[i].split(" ")[9].isdigit())
    fields = lines[at].split(" ")
    fields[9] = str(int(fields[9]) * 10**6 + 7)  # bytes of one record: a new top talker row
    lines[at] = " ".join(fields)
    biggest.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    os.utime(biggest, ns=(before.st_atime_ns, before.st_mtime_ns))  # even with the mtime put back
    after_off = _answer(sample, cache=False)
    assert after_off != first, "the rewrite must change the answer, or this test proves nothing"
    gate.touch()
    assert background.wait(_columnar(cache_dir))
    names = [e.name for e in _entries(cache_dir)]
    assert biggest.name + ".parquet" not in names, "written from the new text under the old key"
    assert len(names) == len(_files(sample)) - 1
    assert _answer(sample) == after_off
    assert background.wait(_columnar(cache_dir))
    assert _answer(sample) == after_off  # and the entry made for the new text is right


def test_one_filler_per_folder_takes_the_jobs_of_later_runs(
    tmp_path: Path, cache_dir: Path, gate: Path
) -> None:
    sample = _sample(tmp_path)
    day1 = {"start": START, "end": START + timedelta(days=1)}
    day2 = {"start": START + timedelta(days=1), "end": STOP}
    with flowsql.Session(sample.spec) as session:
        session.run("top_talkers", **day1)
    _until(lambda: _filler(cache_dir) is not None, "the first filler took its job")
    started = list(background._children)
    with flowsql.Session(sample.spec) as session:
        session.run("top_talkers", **day2)
    assert background._children == started, "no second filler while one runs"
    filling = background.state(_columnar(cache_dir))
    assert filling is not None and filling.queued > 0, "the second run's job waits in the queue"
    gate.touch()
    assert background.wait(_columnar(cache_dir))
    assert len(_entries(cache_dir)) == len(_files(sample))


def test_a_failed_or_interrupted_run_starts_no_filler(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = _sample(tmp_path)
    started = list(background._children)
    with pytest.raises(flowsql.errors.QueryFailed), flowsql.Session(sample.spec) as session:
        session.sql('SELECT CAST(action AS INTEGER) AS n FROM "vpc_flow_logs"."flow_logs"')
    from flowsql.engines.duckdb import engine as enginemod

    def interrupted(con: Any, run: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(enginemod, "interruptible", interrupted)
    with pytest.raises(KeyboardInterrupt), flowsql.Session(sample.spec) as session:
        session.run("top_talkers", start=START, end=STOP)
    assert background._children == started
    assert background.state(_columnar(cache_dir)) is None
    assert not _entries(cache_dir)


def test_spawning_that_fails_falls_back_to_the_inline_fill(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = _sample(tmp_path)
    expected = _answer(sample, cache=False)

    def no_process(folder: str) -> None:
        raise OSError("no processes left")

    monkeypatch.setattr(background, "spawn", no_process)
    with flowsql.Session(sample.spec) as session:
        rows = [tuple(r) for r in session.run("top_talkers", start=START, end=STOP, limit=1000)]
        assert len(_entries(cache_dir)) == len(_files(sample)), "written by the run itself"
    assert rows == expected
    assert background.state(_columnar(cache_dir)) is None, "the job was withdrawn"
    assert _answer(sample) == expected


def test_a_killed_filler_leaves_nothing_served_and_the_next_run_fills_again(
    tmp_path: Path, cache_dir: Path, gate: Path
) -> None:
    sample = _sample(tmp_path)
    expected = _answer(sample, cache=False)
    assert _answer(sample) == expected
    _until(lambda: _filler(cache_dir) is not None, "the filler took its job")
    child = background._children[-1]
    child.kill()  # the filler this test's run started
    child.wait()
    # a half-written entry of a process that is gone, as a crash mid-write leaves it
    half = cache_dir / "columnar" / f"{'0' * 64}.{child.pid}.1.tmp" / "AWSLogs" / "x.log.gz.parquet"
    half.parent.mkdir(parents=True)
    half.write_bytes(b"PAR1 cut short")
    assert background.wait(_columnar(cache_dir)), "a dead filler is not waited for"
    assert not _entries(cache_dir) or all(".tmp" in str(e) for e in _entries(cache_dir))
    gate.touch()
    assert _answer(sample) == expected
    assert background.wait(_columnar(cache_dir))
    assert len(_entries(cache_dir)) == len(_files(sample))
    assert not half.exists(), "the next filler removed the dead process's temporary entry"
    with flowsql.Session(sample.spec) as session:
        rows = [tuple(r) for r in session.run("top_talkers", start=START, end=STOP, limit=1000)]
        assert rows == expected and len(session.engine.cached_files) == len(_files(sample))


def test_cache_clear_drops_queued_jobs(tmp_path: Path, cache_dir: Path, flowsql_cli: Any) -> None:
    sample = _sample(tmp_path)
    from flowsql.engines.duckdb.cache import for_config

    cache = for_config(None)
    assert cache is not None and cache.fill == "background"
    jobs = [(str(f), "SELECT 1", "recipe", "0" * 64) for f in _files(sample)]
    background._queue(cache, jobs, 1)  # queued, no filler started
    filling = background.state(cache.folder)
    assert filling is not None and filling.queued == len(jobs) and filling.pid is None
    assert "background fill queued" in flowsql_cli("cache", "info").out
    assert flowsql_cli("cache", "clear").code == 0
    assert background.state(cache.folder) is None


def test_bad_fill_settings_are_refused_by_name(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, flowsql_cli: Any
) -> None:
    from flowsql import config as configmod
    from flowsql.engines.duckdb.cache import for_config

    sample = _sample(tmp_path)
    config = tmp_path / ".flowsql.yaml"
    config.write_text("cache:\n  fill: later\n")
    with pytest.raises(ConfigError, match=r"cache\.fill must be one of background, inline, got 'later'"):
        configmod.load(config)
    done = flowsql_cli("run", "top_talkers", "--location", sample.spec.location, "-p", "start=2024-05-01")
    assert done.code != 0 and "cache.fill" in done.err and "Traceback" not in done.err
    config.write_text("cache:\n  fill: inline\n")
    assert configmod.load(config).cache == {"fill": "inline"}
    with pytest.raises(ConfigError, match="cache_fill must be background or inline, got 'soon'"):
        flowsql.Session(sample.spec, cache_fill="soon")
    with pytest.raises(ConfigError, match="cache_fill must be background or inline"):
        flowsql.connect(location=sample.spec.location, cache_fill=True)
    monkeypatch.setenv("FLOWSQL_CACHE_FILL", "eventually")
    with pytest.raises(ConfigError, match="FLOWSQL_CACHE_FILL must be background or inline"):
        for_config(None)
    monkeypatch.delenv("FLOWSQL_CACHE_FILL")
    # precedence: the argument, then the environment, then the config file
    assert for_config({"fill": "inline"}).fill == "inline"  # type: ignore[union-attr]
    assert for_config({"fill": "inline"}, fill="background").fill == "background"  # type: ignore[union-attr]
    monkeypatch.setenv("FLOWSQL_CACHE_FILL", "background")
    assert for_config({"fill": "inline"}).fill == "background"  # type: ignore[union-attr]
    monkeypatch.setattr(background, "supported", lambda: False)
    assert for_config(None).fill == "inline", "no detached process on this platform: inline"  # type: ignore[union-attr]


def test_the_filler_starts_once_the_run_that_started_it_has_exited(monkeypatch):
    """The filler first waits for its parent (the answering run) to go, so the run's last steps never
    share the CPU with it; a parent that stays (a notebook) delays it by PARENT_GRACE only."""
    from flowsql.engines.duckdb import background as filler

    parents = iter([4242, 4242, 4242, 1])
    monkeypatch.setattr(filler.os, "getppid", lambda: next(parents))
    monkeypatch.setattr(filler, "PARENT_GRACE", 60.0)
    filler._let_the_run_finish()  # returns when adopted (ppid 1), not after a minute
    assert next(parents, None) is None

    monkeypatch.setattr(filler.os, "getppid", lambda: 4242)
    monkeypatch.setattr(filler, "PARENT_GRACE", 0.05)
    filler._let_the_run_finish()  # a parent that stays: after the grace period
