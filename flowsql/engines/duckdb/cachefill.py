"""Filling the columnar cache for the DuckDB engine: which text files already have an entry, and
writing the missing ones (one COPY per file, files in parallel on the engine's threads).

An entry holds exactly what the view's own reading of that one file produces (the engine passes the
SELECT it would run), so serving it instead of the file cannot change an answer."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from flowsql.engines.duckdb.cache import WRITE_OPTIONS, ColumnarCache

if TYPE_CHECKING:
    import duckdb


def recipe(select: str, source: str, literal: Callable[[str], str]) -> str:
    """The reading SQL with the file's own path taken out: the same for every file read alike, and
    different as soon as the view reads files differently (another release, format, layout)."""
    import duckdb

    return f"duckdb {duckdb.__version__}\n" + select.replace(literal(source), "'?'")


def fill(
    con: duckdb.DuckDBPyConnection,
    cache: ColumnarCache,
    wanted: dict[str, str],
    literal: Callable[[str], str],
    threads: int,
) -> dict[str, tuple[str, str]]:
    """Entries for the files in `wanted` (source -> the SELECT reading it): found, or written now.
    Returns source -> (entry key, entry's Parquet file) for every file that has one; a file that
    cannot be read is left out (the query then reads it as text, and reports it as it would)."""
    from flowsql.engines.duckdb.cache import private_folder
    from flowsql.errors import ConfigError

    try:
        private_folder(cache.folder)
    except (ConfigError, OSError):
        return {}  # not a folder this user can trust or write: read the text (`cache info` says why)
    found: dict[str, tuple[str, str]] = {}
    missing: list[tuple[str, str, str, str]] = []
    for source, select in wanted.items():
        how = recipe(select, source, literal)
        key = cache.key(source, how)
        if key is None:
            continue
        data = cache.lookup(key, source)
        if data is not None:
            found[source] = (key, data)
        else:
            missing.append((source, select, how, key))
    if not missing:
        return found

    def write(job: tuple[str, str, str, str]) -> tuple[str, str, str | None]:
        source, select, how, key = job
        cursor = con.cursor()
        try:

            def copy(target: str) -> None:
                cursor.execute(f"COPY ({select}) TO {literal(target)} ({WRITE_OPTIONS})")

            return source, key, cache.store(key, source, how, copy)
        finally:
            cursor.close()

    workers = max(1, min(threads, len(missing)))
    if workers == 1:
        results = [write(job) for job in missing]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(write, missing))
    for source, key, data in results:
        if data is not None:
            found[source] = (key, data)
    return found


def entries_exist(cached: dict[str, tuple[str, str]]) -> bool:
    return all(os.path.isfile(data) for _key, data in cached.values())
