"""The columnar cache never changes an answer: every packaged investigation returns the same rows with
it off, while it is being filled, and when it is read; a file rewritten in place (even with its size
and modification time put back) or deleted is never served from it; it stays within its size bound,
evicting the least recently used entries; concurrent runs share it safely; it is off with
--no-cache, config or FLOWSQL_CACHE_DIR=''; `flowsql cache info|clear` show and free it."""

from __future__ import annotations

import gzip
import json
import os
import random
import stat
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import flowsql
from flowsql.engines.duckdb import background
from flowsql.engines.duckdb.cache import ColumnarCache, settings
from flowsql.errors import ConfigError
from flowsql.sample.generator import SampleSet, generate
from flowsql.tables import fields as flowfields

UTC = timezone.utc
END = date(2024, 5, 2)
START, STOP = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 3, tzinfo=UTC)


def _shuffled_format() -> str:
    fields = list(flowfields.CATALOGUE)
    random.Random(5).shuffle(fields)
    return flowfields.format_string(fields)


CASES = {
    # every field of versions 2-8, so every packaged investigation is available
    "aws-daily-full-2regions": {
        "log_format": flowfields.format_string(flowfields.CATALOGUE),
        "regions": ("us-east-1", "eu-west-1"),
    },
    "hive-hourly-shuffled": {"layout": "hive", "hourly": True, "log_format": _shuffled_format()},
    # transit gateway flow logs, for the tgw_* investigations
    "tgw-daily": {"transit_gateway": True},
}


def _required(sample: SampleSet) -> dict[str, dict[str, Any]]:
    inc = sample.incidents
    return {
        "ip_activity": {"ip": inc.blocked_port.source},
        "conversation": {"ip_a": inc.blocked_port.source, "ip_b": inc.blocked_port.targets[0]},
        "connectivity_check": {
            "src": inc.blocked_port.source,
            "dst": inc.blocked_port.targets[0],
            "port": inc.blocked_port.port,
        },
        "cidr_traffic": {"cidr": "10.10.0.0/20"},
        "interface_traffic": {"eni": inc.nat.interfaces[0]},
        "traffic_from_source": {"ip": inc.exfiltration.source},
        "tcp_traffic_from_source": {"ip": inc.host_scan.source},
        "traffic_to_destination": {"ip": inc.port_scan.targets[0]},
    }


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(folder))
    monkeypatch.delenv("FLOWSQL_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return folder


def _entries(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "columnar").rglob("*.parquet"))


def _connect(
    sample: SampleSet, *, config: Path | None = None, with_inventory: bool = False, **kwargs: Any
) -> flowsql.Session:
    from flowsql import config as configmod
    from flowsql.session import Session

    # the sample's inventory too, so the investigations joining it are compared as well
    inventory = getattr(sample, "inventory", None) if with_inventory else None
    return Session(
        sample.spec, config=configmod.load(config) if config else None, inventory=inventory, **kwargs
    )


def _rows(session: flowsql.Session, name: str, **params: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in session.run(name, start=START, end=STOP, **params)]


@pytest.mark.parametrize("fill", ["inline", "background"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_investigation_same_rows_with_the_cache_off_filling_and_read(
    tmp_path: Path, cache_dir: Path, case: str, fill: str
) -> None:
    options = dict(CASES[case])
    sample: Any
    if options.pop("transit_gateway", False):
        from flowsql.sample.transit import generate as generate_transit

        sample = generate_transit(tmp_path / "logs", days=2, end=END, records=3000, seed=13, files_per_day=4)
        required: dict[str, dict[str, Any]] = {}
    else:
        sample = generate(
            tmp_path / "logs", days=2, end=END, records=3000, seed=13, files_per_day=4, **options
        )
        required = _required(sample)
    files = sorted(Path(sample.spec.location).rglob("*.log.gz"))
    off = _connect(sample, cache=False, with_inventory=True)
    filling = _connect(sample, with_inventory=True, cache_fill=fill)
    reading = _connect(sample, with_inventory=True, cache_fill=fill)
    names = [i.name for i in off.investigations(available_only=True)]
    assert set(names) == _available(off.spec)
    try:
        expected = {n: _rows(off, n, **required.get(n, {})) for n in names}
        assert not _entries(cache_dir), "cache=False must write no entry"
        for name in names:
            assert _rows(filling, name, **required.get(name, {})) == expected[name], (
                f"{name}: filling run differs"
            )
        if fill == "background":  # the entries are written by a detached filler: wait for it
            assert background.wait(str(cache_dir / "columnar"), timeout=300)
            assert background.last(str(cache_dir / "columnar")).get("error") is None
        assert len(_entries(cache_dir)) == len(files), "one entry per text file read"
        for name in names:
            assert _rows(reading, name, **required.get(name, {})) == expected[name], (
                f"{name}: cached run differs"
            )
        assert sorted(reading.engine.cached_files) == sorted(str(f) for f in files)
    finally:
        for s in (off, filling, reading):
            s.close()
    assert sum(bool(rows) for rows in expected.values()) >= 0.7 * len(names)


def _available(spec: Any) -> set[str]:
    from flowsql.investigations import library

    found = library.load()
    return {n for n in found.names() if not found.get(n).available(spec)}


def test_the_cases_cover_every_packaged_investigation() -> None:
    from flowsql.investigations import library
    from flowsql.tables.spec import TableSpec

    formats = [c.get("log_format") for c in CASES.values() if not c.get("transit_gateway")]
    formats.append(" ".join("${" + name + "}" for name in flowfields.TGW_DEFAULT_FORMAT))
    specs = [TableSpec.from_dict({"location": "/x", "log_format": f}) for f in formats]
    covered = set().union(*(_available(spec) for spec in specs))
    assert covered == set(library.load().names()), sorted(set(library.load().names()) - covered)


def _sample(tmp_path: Path, **options: Any) -> SampleSet:
    return generate(tmp_path / "logs", days=2, end=END, records=2000, seed=3, files_per_day=3, **options)


def _answer(sample: SampleSet, name: str = "top_talkers", **kwargs: Any) -> list[tuple[Any, ...]]:
    with _connect(sample, **kwargs) as session:
        return _rows(session, name, limit=1000) if name == "top_talkers" else _rows(session, name)


def _stored_gzip(text: bytes) -> bytes:
    """gzip without compression: same-length text gives a file of the same size."""
    return gzip.compress(text, compresslevel=0, mtime=0)


def _rewrite_same_size(path: Path) -> None:
    """Other bytes values (as many digits each) in the same file size, the old mtime put back."""
    before = path.stat()
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    rng = random.Random(1)
    for i in range(1, len(lines)):
        fields = lines[i].split(" ")
        if fields[9].isdigit():  # bytes (v2 format: field 10)
            fields[9] = str(rng.randint(10 ** (len(fields[9]) - 1), 10 ** len(fields[9]) - 1))
            lines[i] = " ".join(fields)
    path.write_bytes(_stored_gzip(("\n".join(lines) + "\n").encode()))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_a_file_rewritten_in_place_is_read_again(tmp_path: Path, cache_dir: Path) -> None:
    sample = _sample(tmp_path)
    biggest = max(Path(sample.spec.location).rglob("*.log.gz"), key=lambda p: p.stat().st_size)
    biggest.write_bytes(_stored_gzip(gzip.decompress(biggest.read_bytes())))
    first = _answer(sample)
    assert _entries(cache_dir)
    assert _answer(sample) == first
    _rewrite_same_size(biggest)
    after_off = _answer(sample, cache=False)
    assert after_off != first, "the rewrite must change the answer, or this test proves nothing"
    assert _answer(sample) == after_off
    assert _answer(sample) == after_off  # and the fresh entry is right too


def test_a_deleted_file_is_never_served(tmp_path: Path, cache_dir: Path) -> None:
    sample = _sample(tmp_path)
    first = _answer(sample)
    victim = max(Path(sample.spec.location).rglob("*.log.gz"), key=lambda p: p.stat().st_size)
    victim.unlink()
    after_off = _answer(sample, cache=False)
    assert after_off != first
    assert _answer(sample) == after_off


def test_the_size_bound_evicts_the_least_recently_used(tmp_path: Path, cache_dir: Path) -> None:
    sample = _sample(tmp_path)
    day1 = {"start": START, "end": START + timedelta(days=1)}
    day2 = {"start": START + timedelta(days=1), "end": STOP}
    with _connect(sample, cache=False) as off:
        expected1, expected2 = off.run("top_talkers", **day1), off.run("top_talkers", **day2)
    with _connect(sample) as on:
        on.run("top_talkers", **day1)
    day1_entries = {p.name for p in _entries(cache_dir)}
    day1_bytes = sum(p.stat().st_size for p in _entries(cache_dir))
    # room for about one day's entries: filling day 2 must push day 1's out
    config = tmp_path / "bounded.yaml"
    config.write_text(f"cache: {{max_size: {int(day1_bytes * 1.3)}}}\n")
    with _connect(sample, config=config) as on:
        assert list(on.run("top_talkers", **day2)) == list(expected2)
    left = _entries(cache_dir)
    assert sum(p.stat().st_size for p in left) <= day1_bytes * 1.3
    assert {p.name for p in left} - day1_entries, "day 2's entries are kept"
    assert not day1_entries <= {p.name for p in left}, "least recently used (day 1) evicted"
    with _connect(sample, config=config) as on:
        assert list(on.run("top_talkers", **day1)) == list(expected1)


def test_concurrent_runs_share_the_cache(tmp_path: Path, cache_dir: Path) -> None:
    sample = _sample(tmp_path, regions=("us-east-1", "eu-west-1"))
    expected = _answer(sample, cache=False)
    script = (
        "import json, sys, flowsql\n"
        f"s = flowsql.connect(location={sample.spec.location!r})\n"
        f"rows = s.run('top_talkers', start='{START:%Y-%m-%d}', end='{STOP:%Y-%m-%d}', limit=1000)\n"
        "print(json.dumps([list(r) for r in rows]))\n"
        "s.close()\n"
    )
    env = {**os.environ, "FLOWSQL_CACHE_DIR": str(cache_dir)}
    runs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, cwd=tmp_path)
        for _ in range(4)
    ]
    outputs = [r.communicate(timeout=300)[0] for r in runs]
    assert all(r.returncode == 0 for r in runs)
    for out in outputs:
        assert [tuple(r) for r in json.loads(out)] == expected
    files = list(Path(sample.spec.location).rglob("*.log.gz"))
    assert len(_entries(cache_dir)) == len(files)
    assert not [p for p in (cache_dir / "columnar").iterdir() if p.name.endswith(".tmp")]
    assert _answer(sample) == expected


def test_off_with_no_cache_config_or_empty_cache_dir(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, flowsql_cli: Any
) -> None:
    sample = _sample(tmp_path)
    args = [
        "run",
        "top_talkers",
        "--location",
        sample.spec.location,
        "-p",
        "start=2024-05-01",
        "--format",
        "json",
    ]
    assert flowsql_cli(*args, "--no-cache").code == 0
    assert not _entries(cache_dir)
    (tmp_path / ".flowsql.yaml").write_text("cache: {enabled: false}\n")
    assert flowsql_cli(*args).code == 0
    assert not _entries(cache_dir)
    (tmp_path / ".flowsql.yaml").unlink()
    monkeypatch.setenv("FLOWSQL_CACHE_DIR", "")
    assert flowsql_cli(*args).code == 0
    assert not _entries(cache_dir)
    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(cache_dir))
    plain = flowsql_cli(*args)
    assert plain.code == 0 and _entries(cache_dir)
    assert json.loads(flowsql_cli(*args).out) == json.loads(plain.out)
    mode = stat.S_IMODE((cache_dir / "columnar").stat().st_mode)
    assert mode == 0o700, oct(mode)


@pytest.mark.parametrize("damage", ["cut short", "scrambled inside", "scrambled footer"])
def test_a_damaged_entry_is_read_from_the_text_instead(tmp_path: Path, cache_dir: Path, damage: str) -> None:
    sample = _sample(tmp_path)
    first = _answer(sample)
    for entry in _entries(cache_dir):
        data = bytearray(entry.read_bytes())
        if damage == "cut short":
            data = data[:100]
        elif damage == "scrambled inside":
            data[8 : len(data) // 2] = bytes(len(data) // 2 - 8)
        else:
            data[-200:-8] = bytes(192)
        entry.write_bytes(bytes(data))
    assert _answer(sample) == first
    assert _answer(sample) == first


def test_bad_files_are_reported_alike_with_and_without_the_cache(tmp_path: Path, cache_dir: Path) -> None:
    sample = _sample(tmp_path)
    victim = sorted(Path(sample.spec.location).rglob("*.log.gz"))[2]
    victim.write_bytes(victim.read_bytes()[:-40])
    reports = []
    for cache in (False, True, True):
        with _connect(sample, cache=cache, skip_bad_files=True) as session:
            rows = session.run("top_talkers", start=START, end=STOP, limit=1000)
            reports.append((list(rows), rows.stats.files_skipped))
    assert reports[0] == reports[1] == reports[2]
    assert [p for p, _ in reports[0][1]] == [str(victim)]
    with pytest.raises(flowsql.errors.BadFile), _connect(sample) as session:
        session.run("top_talkers", start=START, end=STOP)


def test_cache_info_and_clear(tmp_path: Path, cache_dir: Path, flowsql_cli: Any) -> None:
    sample = _sample(tmp_path)
    _answer(sample)
    count = len(_entries(cache_dir))
    info = flowsql_cli("cache", "info")
    assert info.code == 0, info
    assert str(cache_dir / "columnar") in info.out and f"{count} file(s)" in info.out
    cleared = flowsql_cli("cache", "clear")
    assert cleared.code == 0 and f"removed {count} file(s)" in cleared.out
    assert not _entries(cache_dir)
    assert "0 file(s)" in flowsql_cli("cache", "info").out


def test_clear_waits_for_a_run_holding_the_cache(tmp_path: Path) -> None:
    cache = ColumnarCache(str(tmp_path / "c"))
    cache.share()
    try:
        with pytest.raises(ConfigError, match="in use by another flowsql run"):
            ColumnarCache(str(tmp_path / "c")).clear(wait_seconds=0.2)
    finally:
        cache.release()
    assert ColumnarCache(str(tmp_path / "c")).clear() == (0, 0)


def test_cache_settings_are_checked() -> None:
    assert settings({"max_size": "500MB"}).max_bytes == 500_000_000
    assert settings(None).enabled
    with pytest.raises(ConfigError, match=r"cache\.max_size must be a size"):
        settings({"max_size": "lots"})
    with pytest.raises(ConfigError, match="unknown key"):
        settings({"size": "1GB"})
    with pytest.raises(ConfigError, match=r"cache\.enabled must be true or false"):
        settings({"enabled": "yes"})
    assert settings({"fill": "inline"}).fill == "inline" and settings(None).fill == "background"
    with pytest.raises(ConfigError, match=r"cache\.fill must be background or inline, got 'later'"):
        settings({"fill": "later"})


def test_a_failing_statement_fails_alike_and_keeps_the_entries(tmp_path: Path, cache_dir: Path) -> None:
    sample = _sample(tmp_path)
    _answer(sample)
    before = {p: p.stat().st_mtime_ns for p in _entries(cache_dir)}
    statement = 'SELECT CAST(action AS INTEGER) AS n FROM "vpc_flow_logs"."flow_logs"'
    messages = []
    for cache in (False, True):
        with pytest.raises(flowsql.errors.QueryFailed) as failed, _connect(sample, cache=cache) as session:
            session.sql(statement)
        messages.append(failed.value.message)
    assert messages[0] == messages[1]
    assert {p: p.stat().st_mtime_ns for p in _entries(cache_dir)} == before, "entries kept"
