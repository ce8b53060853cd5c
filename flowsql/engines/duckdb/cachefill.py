"""Filling the columnar cache for the DuckDB engine: which text files already have an entry, and
writing the missing ones (one COPY per file, files in parallel on the engine's threads).

An entry holds exactly what the view's own reading of that one file produces (the engine passes the
SELECT it would run), so serving it instead of the file cannot change an answer."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flowsql.engines.duckdb import files
from flowsql.engines.duckdb.cache import WRITE_OPTIONS, ColumnarCache

if TYPE_CHECKING:
    import duckdb


def recipe(select: str, source: str, literal: Callable[[str], str]) -> str:
    """The reading SQL with the file's own path taken out: the same for every file read alike, and
    different as soon as the view reads files differently (another release, format, layout)."""
    from flowsql.duckdb_driver import duckdb

    return f"duckdb {duckdb.__version__}\n" + select.replace(literal(source), "'?'")


Job = tuple[str, str, str, str]  # source, the SELECT reading it, its recipe, its entry key


def fill(
    con: duckdb.DuckDBPyConnection,
    cache: ColumnarCache,
    wanted: dict[str, str],
    literal: Callable[[str], str],
    threads: int,
    on_entry: Callable[[], None] | None = None,
) -> dict[str, tuple[str, str]]:
    """Entries for the files in `wanted` (source -> the SELECT reading it): found, or written now.
    Returns source -> (entry key, entry's Parquet file) for every file that has one; a file that
    cannot be read is left out (the query then reads it as text, and reports it as it would).
    The inline fill, and the background filler's (flowsql.engines.duckdb.background)."""
    found, missing = lookup(cache, wanted, literal)
    found.update(write(con, cache, missing, literal, threads, on_entry))
    return found


def lookup(
    cache: ColumnarCache, wanted: dict[str, str], literal: Callable[[str], str]
) -> tuple[dict[str, tuple[str, str]], list[Job]]:
    """The entries that exist for `wanted` (as fill returns them), and the files that have none."""
    from flowsql.engines.duckdb.cache import private_folder
    from flowsql.errors import ConfigError

    try:
        private_folder(cache.folder)
    except (ConfigError, OSError):
        return {}, []  # not a folder this user can trust or write: read the text (`cache info` says why)
    found: dict[str, tuple[str, str]] = {}
    missing: list[Job] = []
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
    return found, missing


def write(
    con: duckdb.DuckDBPyConnection,
    cache: ColumnarCache,
    missing: list[Job],
    literal: Callable[[str], str],
    threads: int,
    on_entry: Callable[[], None] | None = None,
) -> dict[str, tuple[str, str]]:
    """Write the entries of `missing` (one COPY per file, files in parallel); those made.
    `on_entry` is called (from the writing thread) after each entry written."""
    if not missing:
        return {}

    def one(job: Job) -> tuple[str, str, str | None]:
        source, select, how, key = job
        done = cache.lookup(key, source)  # another run may have written it meanwhile
        if done is not None:
            return source, key, done
        cursor = con.cursor()
        try:

            def copy(target: str) -> None:
                cursor.execute(f"COPY ({select}) TO {literal(target)} ({WRITE_OPTIONS})")

            made = cache.store(key, source, how, copy)
            if made is not None and on_entry is not None:
                on_entry()
            return source, key, made
        finally:
            cursor.close()

    workers = max(1, min(threads, len(missing)))
    if workers == 1:
        results = [one(job) for job in missing]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(one, missing))
    return {source: (key, data) for source, key, data in results if data is not None}


def entries_exist(cached: dict[str, tuple[str, str]]) -> bool:
    return all(os.path.isfile(data) for _key, data in cached.values())


class CachedViews:
    """The DuckDB engine's side of the cache: which files its view reads from entries, and what
    happens when an entry turns out damaged. Mixed into DuckDBEngine, whose state it uses."""

    _cache: ColumnarCache | None
    _cached: dict[str, tuple[str, str]]
    _unfilled: dict[str, Job]  # background fill: files the view reads as text, without an entry yet
    _handed: set[str]  # background fill: files already handed to a filler
    _skipped: dict[str, str]
    _suspects: dict[str, tuple[str, str]]
    _subset: frozenset[str] | None
    _inventory: Any
    _con: Any
    spec: Any
    threads: int | None

    def _fill_cache(self, subset: frozenset[str] | None) -> bool:
        """Entries of the columnar cache for the files the view will read (written for the ones that
        have none yet); True when the view must change to read them."""
        from flowsql.engines.duckdb.engine import _ident, _literal

        assert self._cache is not None and self._inventory is not None and self._con is not None
        wanted = {}
        for group in self._inventory.groups:
            for path in group.paths:
                if subset is None or path in subset:
                    one = files.FileGroup(group.columns, (path,), group.source_names)
                    columns = ", ".join(_ident(c) for c in self.spec.columns)
                    wanted[path] = f"SELECT {columns} FROM ({self._branch(one)})"
        self._cache.share()
        self._suspects = {}
        if self._cache.fill == "background":
            cached, missing = lookup(self._cache, wanted, _literal)
            self._unfilled = {job[0]: job for job in missing}
        else:
            cached = fill(self._con, self._cache, wanted, _literal, self._threads())
        known = {p: e for p, e in self._cached.items() if p not in wanted}
        known.update(cached)
        if known == self._cached:
            return False
        self._cached = known
        return True

    def _threads(self) -> int:
        assert self._con is not None
        return int(self.threads or self._con.execute("SELECT current_setting('threads')").fetchone()[0])

    def _answered(self) -> None:
        """Called with a statement's answer in hand: with the background fill, the files it read as
        text get their entries from a detached filler (or, if none can be started, now)."""
        if self._cache is None or self._cache.fill != "background" or self._con is None:
            return
        todo = [
            job
            for source, job in self._unfilled.items()
            if source not in self._handed and source not in self._skipped
        ]
        if not todo:
            return
        from flowsql.engines.duckdb import background
        from flowsql.engines.duckdb.engine import _literal

        self._handed.update(job[0] for job in todo)
        threads = self._threads()
        if not background.hand_off(self._cache, todo, threads):
            write(self._con, self._cache, todo, _literal, threads)

    def _cached_branch(self, entries: tuple[str, ...]) -> str:
        """Cache entries hold the data columns as the text branch produced them; each entry's path
        ends like its source's, so the same expressions give the partition columns (and prune)."""
        from flowsql.engines.duckdb.engine import _ident, _path_list

        select = [_ident(c) for c in self.spec.columns] + self._partition_exprs()
        return f"SELECT {', '.join(select)} FROM read_parquet({_path_list(entries)}, filename = true)"

    def _forget_entries(self, message: str, otherwise: str | None = None) -> bool:
        """Cache entries a DuckDB error names (else the entry `otherwise`) are dropped from the view
        and deleted, and the view is made again; True if there were any."""
        named = [p for p, (_key, entry) in self._cached.items() if entry in message]
        if not named and otherwise is not None:
            named = [p for p, (_key, entry) in self._cached.items() if entry == otherwise]
        for path in named:
            key, _entry = self._cached.pop(path)
            if self._cache is not None:
                self._cache.remove(key)
        if named:
            self._create_view()
        return bool(named)

    def _suspect_entries(self, message: str) -> bool:
        """An error naming no file while the view reads cache entries (a damaged page says only
        'Invalid data'): run on the text instead; if that succeeds the entries were at fault."""
        in_view = {p: e for p, e in self._cached.items() if self._subset is None or p in self._subset}
        if not in_view or self._culprit(message) is not None:
            return False
        self._suspects.update(in_view)
        self._cached = {p: e for p, e in self._cached.items() if p not in in_view}
        self._create_view()
        return True

    def _forget_suspects(self) -> None:
        for key, _entry in self._suspects.values():
            if self._cache is not None:
                self._cache.remove(key)
        self._suspects = {}
