"""Answers of pure text-to-text steps (validating a statement, translating it for DuckDB) remembered on
disk across runs: importing sqlglot and walking its trees costs more than many local queries take.

A key covers the inputs, the installed versions of the libraries involved and the source files of the
code that computes the answer (path, size and modification time), so a stale answer cannot be
served. FLOWSQL_CACHE_DIR moves the cache; FLOWSQL_CACHE_DIR='' turns it off.

What the cache holds is run as SQL, so it is kept where only the user can write, as ssh keeps its keys:
the folders are created 0700, and a cache folder that is not owned by the user or is writable by group
or others (or whose parent others can rename it in) is not used at all: flowsql runs uncached and says
so once on stderr. Each entry carries a digest of its key and its value; an entry that does not match
(replaced, truncated, copied from another key) is ignored and computed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

_KEEP = 2000  # answers kept per namespace; the oldest half goes when there are more
_MAGIC = "flowsql-cache 1"
_warned: set[str] = set()


def root() -> str | None:
    """The cache folder, or None when caching is turned off."""
    configured = os.environ.get("FLOWSQL_CACHE_DIR")
    if configured is not None:
        return os.path.abspath(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(os.path.abspath(base), "flowsql")


def folder(namespace: str) -> str | None:
    where = root()
    return os.path.join(where, namespace) if where is not None else None


@lru_cache(maxsize=8)
def code_version(sources: tuple[str, ...], packages: tuple[str, ...] = ("sqlglot",)) -> str:
    """A digest of the given source files and of the installed `packages` (see package_fingerprint).
    A source counts by its path, size and modification time, as Python's own bytecode cache judges
    a module: reading and hashing every file would cost a cached run a good part of what it saves."""
    digest = hashlib.sha256()
    for name in packages:
        digest.update(package_fingerprint(name).encode())
    for name in sources:
        info = os.stat(name)
        digest.update(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@lru_cache(maxsize=8)
def package_fingerprint(name: str) -> str:
    """What identifies the installed version of a package, without importing it: the bytes of its
    `__init__.py` and `_version.py`, where packages keep their version. (importlib.metadata costs
    more start-up time than a cached statement saves.)"""
    from importlib.util import find_spec

    spec = find_spec(name)
    origin = getattr(spec, "origin", None)
    if not origin or not os.path.isfile(origin):
        return f"{name}: not installed"
    digest = hashlib.sha256(origin.encode())
    for path in (origin, os.path.join(os.path.dirname(origin), "_version.py")):
        with contextlib.suppress(OSError):
            digest.update(Path(path).read_bytes())
    return f"{name}: {digest.hexdigest()}"


def remember(
    namespace: str,
    sources: Sequence[str],
    material: Any,
    compute: Callable[[], str],
    *,
    packages: tuple[str, ...] = ("sqlglot",),
) -> str:
    """compute()'s answer for `material` (JSON-able inputs), from disk when it was computed before.
    An exception from compute() propagates and nothing is stored."""
    stored = recall(namespace, sources, material, packages=packages)
    if stored is not None:
        return stored
    answer = compute()
    store(namespace, sources, material, answer, packages=packages)
    return answer


def recall(
    namespace: str, sources: Sequence[str], material: Any, *, packages: tuple[str, ...] = ("sqlglot",)
) -> str | None:
    """The answer stored for `material`, or None (none stored, not matching, or caching off)."""
    located = _locate(namespace, sources, material, packages)
    return None if located is None else _read(*located)


def store(
    namespace: str,
    sources: Sequence[str],
    material: Any,
    answer: str,
    *,
    packages: tuple[str, ...] = ("sqlglot",),
) -> None:
    located = _locate(namespace, sources, material, packages)
    if located is None:
        return
    path, key = located
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        _write(path, key, answer)
        _trim(os.path.dirname(path))


def _locate(
    namespace: str, sources: Sequence[str], material: Any, packages: tuple[str, ...]
) -> tuple[str, str] | None:
    """The entry's file and its full key, or None when caching is off or the folder is unsafe."""
    where = _usable_folder(namespace)
    if where is None:
        return None
    key = json.dumps([code_version(tuple(sources), packages), material], sort_keys=True, default=str)
    return os.path.join(where, hashlib.sha256(key.encode()).hexdigest() + ".txt"), key


def _digest(key: str, value: str) -> str:
    return hashlib.sha256(f"{len(key)}:{key}{value}".encode()).hexdigest()


def _read(path: str, key: str) -> str | None:
    """The value stored for `key`, or None when there is none or it does not match its key."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            return None
        with os.fdopen(fd, encoding="utf-8", closefd=False) as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        os.close(fd)
    magic, _, rest = text.partition("\n")
    digest, _, value = rest.partition("\n")
    if magic != _MAGIC or digest != _digest(key, value):
        return None
    return value


def _write(path: str, key: str, value: str) -> None:
    temporary = f"{path}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        os.remove(temporary)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"{_MAGIC}\n{_digest(key, value)}\n{value}")
    os.replace(temporary, path)  # a reader never sees half an answer


def _usable_folder(namespace: str) -> str | None:
    """The namespace's folder, created 0700, or None (with one warning) when it is not safe."""
    base = root()
    if base is None:
        return None
    where = os.path.join(base, namespace)
    try:
        for directory in (base, where):
            with contextlib.suppress(FileExistsError):
                os.makedirs(directory, mode=0o700)
    except OSError:
        return None  # cannot be created (read-only home): run uncached, silently as before
    problem = unsafe_reason(base) or unsafe_reason(where)
    if problem is None:
        return where
    if base not in _warned:
        _warned.add(base)
        sys.stderr.write(f"warning: not using the cache folder {base}: {problem}; running uncached\n")
    return None


def unsafe_reason(directory: str) -> str | None:
    """Why `directory` could hold entries someone else wrote, or None when only the user can write it."""
    me = os.geteuid()
    try:
        info = os.lstat(directory)
    except OSError as exc:
        return f"cannot inspect {directory}: {exc.strerror}"
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        return f"{directory} is not a plain folder"
    if info.st_uid != me:
        return f"{directory} is owned by uid {info.st_uid}, not by you (uid {me})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{directory} is writable by group or others (chmod 700 {directory})"
    # Whoever can write a parent can swap the folder for another; a sticky parent (/tmp) forbids it.
    parent = os.path.dirname(directory)
    while parent and parent != directory:
        try:
            up = os.stat(parent)
        except OSError:
            break
        writable = up.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        if up.st_uid not in (me, 0) or (writable and not up.st_mode & stat.S_ISVTX):
            return f"its parent {parent} can be changed by other users"
        directory, parent = parent, os.path.dirname(parent)
    return None


def _trim(where: str) -> None:
    entries = [e for e in os.scandir(where) if e.name.endswith(".txt")]
    if len(entries) <= _KEEP:
        return
    entries.sort(key=lambda e: e.stat().st_mtime)
    for entry in entries[: len(entries) - _KEEP // 2]:
        with contextlib.suppress(OSError):
            os.remove(entry.path)
