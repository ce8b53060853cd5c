"""The on-disk cache holds SQL that is run: only the user can write where it lives, and an entry that
does not match its key is never used."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

import flowsql
from flowsql import diskcache
from flowsql.sample.generator import generate

SOURCES = (diskcache.__file__,)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(where))
    monkeypatch.setattr(diskcache, "_warned", set(), raising=False)  # each test sees its warning
    return where


def counting(answer: str) -> tuple[list[int], object]:
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        return answer

    return calls, compute


def test_folders_are_created_private_even_with_a_loose_umask(cache: Path) -> None:
    old = os.umask(0o002)
    try:
        calls, compute = counting("SELECT 1")
        assert diskcache.remember("ns", SOURCES, ["k"], compute) == "SELECT 1"
    finally:
        os.umask(old)
    for folder in (cache, cache / "ns"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (entry,) = (cache / "ns").glob("*.txt")
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert diskcache.remember("ns", SOURCES, ["k"], compute) == "SELECT 1" and calls == [1]


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777])
def test_a_folder_others_can_write_is_not_used(
    cache: Path, mode: int, capfd: pytest.CaptureFixture[str]
) -> None:
    cache.mkdir(mode=0o700)
    cache.chmod(mode)
    calls, compute = counting("SELECT 1")
    for _ in range(2):
        assert diskcache.remember("ns", SOURCES, ["k"], compute) == "SELECT 1"
    assert calls == [1, 1], "an unsafe cache folder was used"
    assert not list(cache.rglob("*.txt"))
    err = capfd.readouterr().err
    assert err.count("warning: not using the cache folder") == 1 and "writable by group or others" in err
    assert f"chmod 700 {cache}" in err


def test_a_namespace_folder_others_can_write_is_not_used(
    cache: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (cache / "ns").mkdir(parents=True, mode=0o700)
    (cache / "ns").chmod(0o777)
    calls, compute = counting("SELECT 1")
    diskcache.remember("ns", SOURCES, ["k"], compute)
    diskcache.remember("ns", SOURCES, ["k"], compute)
    assert calls == [1, 1] and "writable by group or others" in capfd.readouterr().err


def test_a_folder_owned_by_someone_else_is_not_used(
    cache: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    calls, compute = counting("SELECT 1")
    diskcache.remember("ns", SOURCES, ["k"], compute)  # created by us
    someone = os.geteuid() + 4242
    if os.geteuid() == 0:
        os.chown(cache, someone, -1)
    else:  # seen from another user, the folder is not theirs
        monkeypatch.setattr(os, "geteuid", lambda: someone)
    diskcache.remember("ns", SOURCES, ["k"], compute)
    assert calls == [1, 1]
    assert "is owned by uid" in capfd.readouterr().err


def test_a_folder_whose_parent_others_can_write_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = tmp_path / "shared"
    parent.mkdir()
    parent.chmod(0o777)  # not sticky: anyone may rename our folder away and put theirs in its place
    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(parent / "cache"))
    assert "parent" in (diskcache.unsafe_reason(str(_made(parent / "cache"))) or "")
    parent.chmod(0o1777)  # sticky, as /tmp is: others cannot rename what is ours
    assert diskcache.unsafe_reason(str(parent / "cache")) is None


def _made(path: Path) -> Path:
    path.mkdir(mode=0o700)
    return path


def test_an_entry_that_does_not_match_its_key_is_ignored_and_rewritten(cache: Path) -> None:
    calls, compute = counting("SELECT 1")
    diskcache.remember("ns", SOURCES, ["k"], compute)
    (entry,) = (cache / "ns").glob("*.txt")
    good = entry.read_text(encoding="utf-8")
    for forged in (
        "SELECT 2",  # a bare answer, as the cache used to store them
        good.replace("SELECT 1", "SELECT 2"),  # the right header and digest, another value
        good[:-1],  # truncated
        b"\xff\xfe".decode("latin-1"),
    ):
        entry.write_text(forged, encoding="utf-8")
        assert diskcache.remember("ns", SOURCES, ["k"], compute) == "SELECT 1"
        assert entry.read_text(encoding="utf-8") == good, "the forged entry was not rewritten"
    assert len(calls) == 5


def test_an_entry_copied_from_another_key_is_ignored(cache: Path) -> None:
    diskcache.remember("ns", SOURCES, ["a"], lambda: "SELECT 'a'")
    diskcache.remember("ns", SOURCES, ["b"], lambda: "SELECT 'b'")
    entries = sorted((cache / "ns").glob("*.txt"))
    texts = [e.read_text(encoding="utf-8") for e in entries]
    entries[0].write_text(texts[1], encoding="utf-8")
    entries[1].write_text(texts[0], encoding="utf-8")
    assert diskcache.remember("ns", SOURCES, ["a"], lambda: "SELECT 'a'") == "SELECT 'a'"
    assert diskcache.remember("ns", SOURCES, ["b"], lambda: "SELECT 'b'") == "SELECT 'b'"


def test_an_entry_that_is_a_symlink_is_ignored(cache: Path, tmp_path: Path) -> None:
    diskcache.remember("ns", SOURCES, ["k"], lambda: "SELECT 1")
    (entry,) = (cache / "ns").glob("*.txt")
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    entry.unlink()
    entry.symlink_to(elsewhere)
    calls, compute = counting("SELECT 1")
    assert diskcache.remember("ns", SOURCES, ["k"], compute) == "SELECT 1" and calls == [1]


def test_a_translation_replaced_with_copy_to_is_not_executed(cache: Path, tmp_path: Path) -> None:
    """The issue's reproduction: a DuckDB translation replaced in the cache folder ran (COPY … TO wrote
    a file). Now the replaced entry is ignored, the answer is the same and the entry is rewritten."""
    logs = tmp_path / "logs"
    generate(logs, days=1, end="2024-05-01", records=400, seed=3)
    fl = flowsql.connect(engine="duckdb", location=str(logs))
    window = {"start": "2024-05-01", "end": "2024-05-02"}
    first = fl.run("total_bytes", **window).to_dicts()
    entries = list((cache / "duckdb-sql").glob("*.txt"))
    assert entries
    written = tmp_path / "written.csv"
    payload = f"COPY (SELECT 42 AS x) TO '{written}' (HEADER)"
    originals = {e: e.read_text(encoding="utf-8") for e in entries}
    forgeries = [
        lambda _text: payload,  # the file replaced outright, as in the issue
        lambda text: "\n".join([*text.split("\n", 2)[:2], payload]),  # header and digest kept
    ]
    for forge in forgeries:
        for entry in entries:
            entry.write_text(forge(originals[entry]), encoding="utf-8")
        again = flowsql.connect(engine="duckdb", location=str(logs)).run("total_bytes", **window).to_dicts()
        assert not written.exists(), "a replaced cache entry was executed"
        assert again == first
        assert {e: e.read_text(encoding="utf-8") for e in entries} == originals


def test_an_edited_source_or_another_library_version_is_a_new_key(cache: Path, tmp_path: Path) -> None:
    """Code versions are judged by each source's size and modification time, and by the installed
    package's __init__/_version files: changing any of them computes the answer again."""
    source = tmp_path / "step.py"
    source.write_text("ANSWER = 1\n")
    calls, compute = counting("SELECT 1")
    diskcache.remember("ns", (str(source),), ["k"], compute)
    diskcache.remember("ns", (str(source),), ["k"], compute)
    assert len(calls) == 1
    diskcache.code_version.cache_clear()  # a new process, as after an upgrade
    source.write_text("ANSWER = 2\n")  # same size: the modification time tells
    os.utime(source, ns=(0, source.stat().st_mtime_ns + 1_000_000))
    diskcache.remember("ns", (str(source),), ["k"], compute)
    assert len(calls) == 2

    package = tmp_path / "lib" / "fakepkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "_version.py").write_text("__version__ = '1.0'\n")
    sys.path.insert(0, str(tmp_path / "lib"))
    try:
        before = diskcache.package_fingerprint("fakepkg")
        diskcache.package_fingerprint.cache_clear()
        (package / "_version.py").write_text("__version__ = '1.1'\n")
        after = diskcache.package_fingerprint("fakepkg")
    finally:
        sys.path.remove(str(tmp_path / "lib"))
        diskcache.package_fingerprint.cache_clear()
    assert before != after and "not installed" not in before
    assert diskcache.package_fingerprint("no_such_package_here") == "no_such_package_here: not installed"
