"""Answers of pure text-to-text steps (validating a statement, translating it for DuckDB) remembered on
disk across runs: importing sqlglot and walking its trees costs more than many local queries take.

A key covers the inputs, sqlglot's version and the source of the code that computes the answer, so a
stale answer cannot be served. FLOWSQL_CACHE_DIR moves the cache; FLOWSQL_CACHE_DIR='' turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

_KEEP = 2000  # answers kept per namespace; the oldest half goes when there are more


def folder(namespace: str) -> str | None:
    configured = os.environ.get("FLOWSQL_CACHE_DIR")
    if configured is not None:
        return os.path.join(configured, namespace) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "flowsql", namespace)


@lru_cache(maxsize=8)
def code_version(sources: tuple[str, ...]) -> str:
    """A digest of sqlglot's version and the given source files."""
    sqlglot = sys.modules.get("sqlglot")
    version = getattr(sqlglot, "__version__", None)
    if version is None:
        from importlib.metadata import version as installed

        version = installed("sqlglot")
    digest = hashlib.sha256(version.encode())
    for name in sources:
        digest.update(Path(name).read_bytes())
    return digest.hexdigest()


def remember(namespace: str, sources: Sequence[str], material: Any, compute: Callable[[], str]) -> str:
    """compute()'s answer for `material` (JSON-able inputs), from disk when it was computed before.
    An exception from compute() propagates and nothing is stored."""
    where = folder(namespace)
    if where is None:
        return compute()
    key = json.dumps([code_version(tuple(sources)), material], sort_keys=True, default=str)
    path = os.path.join(where, hashlib.sha256(key.encode()).hexdigest() + ".txt")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        pass
    answer = compute()
    try:
        os.makedirs(where, exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(answer)
        os.replace(temporary, path)  # a reader never sees half an answer
        _trim(where)
    except OSError:
        pass  # a cache that cannot be written only costs time
    return answer


def _trim(where: str) -> None:
    entries = [e for e in os.scandir(where) if e.name.endswith(".txt")]
    if len(entries) <= _KEEP:
        return
    entries.sort(key=lambda e: e.stat().st_mtime)
    for entry in entries[: len(entries) - _KEEP // 2]:
        with contextlib.suppress(OSError):
            os.remove(entry.path)
