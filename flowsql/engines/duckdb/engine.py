"""The local engine: validated Athena SQL, translated, run by DuckDB over a folder of flow-log files.

The table is a view built from the TableSpec (never from DDL): one read_csv (or read_parquet) per group
of files that share a header, UNION ALL, each exposing exactly the spec's columns with Athena's types
plus the partition columns cut out of the file path, so filters on partition columns skip files the
way partition projection does on Athena."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowsql.engines.duckdb import files as localfiles
from flowsql.engines.duckdb.cachefill import CachedViews
from flowsql.engines.duckdb.files import FileGroup, Inventory
from flowsql.engines.duckdb.interrupt import interruptible
from flowsql.engines.duckdb.progress import watching
from flowsql.errors import BadFile, LocationError, QueryFailed
from flowsql.investigations.window import TimeWindow
from flowsql.results import Rows, Stats
from flowsql.tables.spec import PARTITION_PAD, FileFormat, TableSpec

if TYPE_CHECKING:
    import duckdb

    from flowsql.engines.duckdb.cache import ColumnarCache
    from flowsql.engines.duckdb.database import Workspace

_TYPES = {"int": "INTEGER", "bigint": "BIGINT", "string": "VARCHAR", "double": "DOUBLE", "boolean": "BOOLEAN"}

# How DuckDB words the failures of a file it reads, turned into a reason a person can act on.
_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Unexpected end of GZIP stream"), "truncated gzip (the stream ends early)"),
    (re.compile(r"not a GZIP stream"), "not a gzip file"),
    (re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)"), "a record has {1} fields, expected {0}"),
    (
        re.compile(r'Could not convert string "(.*?)" to \'(\w+)\''),
        "a value does not fit its column type: {0!r} is not {1}",
    ),
    (re.compile(r"too small to be a Parquet file|No magic bytes found"), "not a Parquet file"),
)


# AWS names each text file after the 5-minute window holding its records' end times. Only a name of
# exactly AWS's shape is taken as that evidence: a file named otherwise (a user's copy, a compaction)
# can hold any time range, and Parquet files are judged by their footers' statistics instead.
_AWS_TEXT_NAME = re.compile(
    r"(?:^|/)[^/_]+_vpcflowlogs_[a-z0-9-]+_fl-[0-9A-Za-z]+_(?P<stamp>\d{8}T\d{4})Z_[0-9A-Za-z]+\.log\.gz$"
)
_FILE_SLOT = timedelta(minutes=5)


def duckdb_type(athena_type: str) -> str:
    return _TYPES.get(athena_type.lower(), "VARCHAR")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _path_list(paths: tuple[str, ...]) -> str:
    return "[" + ", ".join(_literal(p) for p in paths) + "]"


class DuckDBEngine(CachedViews):
    """Runs Athena SQL on DuckDB over spec.location; views are made once per engine, on first use."""

    name = "duckdb"
    # Called with (percent, seconds) while a statement runs longer than a second (see progress.py).
    progress: Any = None

    def __init__(
        self,
        spec: TableSpec,
        *,
        skip_bad_files: bool = False,
        threads: int | None = None,
        prune: bool = True,
        shared_database: bool = True,
        cache: ColumnarCache | None = None,
        inventory: str | Path | None = None,
    ) -> None:
        if spec.is_s3:
            raise LocationError(
                f"the duckdb engine reads a local folder, not {spec.location}",
                hint="copy the logs locally (aws s3 sync) or use --engine athena",
            )
        self.spec = spec
        self.skip_bad_files = skip_bad_files
        self.threads = threads
        # prune=False reads every file whatever the window (the reference the pruning is tested against).
        self.prune = prune
        # shared_database=False: a DuckDB database of this engine's own (database.py says why not).
        self.shared_database = shared_database
        # A folder of inventory Parquet files (flowsql.inventory.store), read as views beside the table.
        self.inventory = Path(inventory) if inventory is not None else None
        self._workspace: Workspace | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._inventory: Inventory | None = None
        self._skipped: dict[str, str] = {}
        self._warnings: list[str] = []
        self._translated: dict[str, str] = {}
        self._macros: set[str] = set()
        # The files the view reads: all of them, or those a query's time window can need.
        self._subset: frozenset[str] | None = None
        self._view_made = False  # the view is made by the first statement, for its window's files
        # Text only: the columnar cache, and the files the view reads from it (source -> key, entry).
        self._cache = cache if spec.file_format is FileFormat.TEXT else None
        self._cached: dict[str, tuple[str, str]] = {}
        self._suspects: dict[str, tuple[str, str]] = {}  # entries taken out after an unexplained error
        self._unfilled: dict[str, Any] = {}  # background fill: files read as text, with no entry yet
        self._handed: set[str] = set()

    # --- public -----------------------------------------------------------------------------

    def execute(self, sql: str, *, window: TimeWindow | None = None) -> Rows:
        """Run one validated Athena statement; rows come back as plain Python values.

        `window` is the time window every read of the table in `sql` is bounded to (as rendered
        investigations are): then only files whose name's time can hold such records are read. With
        daily partitions that saves reading a whole extra day for a window's last 15 minutes."""
        started = time.perf_counter()
        statement = self.translate(sql)
        description, rows = self._run(statement, window)
        self._answered()  # the background fill of the cache starts once the answer is in hand
        columns = [d[0] for d in description]
        rows = _utc_timestamps(rows, [str(d[1]) for d in description])
        stats = Stats(
            engine=self.name,
            elapsed_seconds=time.perf_counter() - started,
            files_skipped=sorted(self._skipped.items()),
            warnings=list(self._warnings),
            statement=statement,
        )
        return Rows(columns, rows, stats)

    def files_read(self, sql: str, *, window: TimeWindow | None = None) -> int:
        """How many data files DuckDB opens to answer `sql` (pruned files are never opened)."""
        from flowsql.engines.duckdb.database import log_lock

        statement = self.translate(sql)
        con = self._connection()
        # The log is the database's: one session at a time, and only this connection's opens.
        with log_lock:
            con.execute("CALL truncate_duckdb_logs()")
            con.execute("CALL enable_logging('FileSystem')")
            try:
                self._run(statement, window)
                opened = con.execute(
                    "SELECT DISTINCT json_extract_string(message, '$.path') FROM duckdb_logs "
                    "WHERE type = 'FileSystem' AND json_extract_string(message, '$.op') = 'OPEN' "
                    "AND connection_id = current_connection_id()"
                ).fetchall()
            finally:
                con.execute("CALL disable_logging()")
                con.execute("CALL truncate_duckdb_logs()")
        data = set(self._inventory.paths) if self._inventory else set()
        data |= {entry for _key, entry in self._cached.values()}
        return sum(1 for (path,) in opened if path in data)

    def translate(self, sql: str) -> str:
        """The DuckDB statement for `sql` (cached: a statement is parsed once per engine)."""
        statement = self._translated.get(sql)
        if statement is None:
            from flowsql.engines.duckdb.translate import cached_to_duckdb
            from flowsql.inventory.tables import full_schema

            statement = cached_to_duckdb(sql, schema=full_schema(self.spec))
            self._translated[sql] = statement
        return statement

    @property
    def cached_files(self) -> list[str]:
        """The text files the view reads from the columnar cache instead."""
        return sorted(self._cached)

    @property
    def files_skipped(self) -> list[tuple[str, str]]:
        return sorted(self._skipped.items())

    @property
    def warnings(self) -> list[str]:
        return list(self._warnings)

    def close(self) -> None:
        if self._workspace is not None:
            self._workspace.close()
            self._workspace = None
            self._con = None
            self._inventory = None
            self._macros = set()
            self._subset = None
            self._view_made = False
            self._cached = {}
        if self._cache is not None:
            self._cache.release()
            if self._cache.written:
                self._cache.evict()

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- connection and views ---------------------------------------------------------------

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            from flowsql.engines.duckdb.database import open_workspace

            self._workspace = open_workspace(self.threads, shared=self.shared_database)
            self._con = self._workspace.connection
        if self._inventory is None:
            self._build_views()
        return self._con

    def _build_views(self) -> None:
        spec = self.spec
        paths, ignored = localfiles.scan_location(spec)
        self._warnings = [w for w in [localfiles.ignored_warning(ignored, spec)] if w]
        if spec.file_format is FileFormat.PARQUET:
            from flowsql.engines.duckdb.parquet_files import group_parquet

            assert self._con is not None
            inventory = group_parquet(self._con, spec, paths)
        else:
            inventory = localfiles.group_text_files(paths)
            self._warnings += localfiles.format_warnings(inventory.groups, tuple(spec.columns))
        for path, reason in inventory.bad.items():
            self._reject(path, reason)
        self._inventory = inventory
        if self.inventory is not None:
            self._create_inventory_views(self.inventory)

    def _create_inventory_views(self, folder: Path) -> None:
        """One view per inventory table over its Parquet file, with the declared column types."""
        assert self._con is not None
        from flowsql.inventory import store
        from flowsql.inventory.tables import TABLES, table_name

        if not store.exists(folder):
            raise LocationError(
                f"no inventory in {folder}", hint="run `flowsql inventory refresh` to take a snapshot"
            )
        schema = _ident(self.spec.database)
        self._con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for name, columns in TABLES.items():
            select = ", ".join(
                f"CAST({_ident(c)} AS {store.duckdb_type(t)}) AS {_ident(c)}" for c, t in columns.items()
            )
            path = _literal(str(store.table_path(folder, name)))
            view = f"{schema}.{_ident(table_name(name))}"
            self._con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {select} FROM read_parquet({path})")

    def _window_files(self, window: TimeWindow | None) -> frozenset[str] | None:
        """The files that can hold records starting in the window. A Parquet file whose footer has
        statistics on `start` is judged by them (its records' start times lie in [min, max]). A text
        file named by AWS is judged by its name: time T covers end times [T, T+5 min), and a record
        ends at most 10 minutes after it starts. Any other file is always kept."""
        if window is None or self._inventory is None or not self.prune:
            return None
        low = (window.start - _FILE_SLOT).strftime("%Y%m%dT%H%M")
        high = (window.end + PARTITION_PAD).strftime("%Y%m%dT%H%M")
        first, last = window.start_epoch, window.end_epoch
        ranges = self._inventory.start_ranges
        keep = []
        for path in self._inventory.paths:
            held = ranges.get(path)
            if held is not None:
                if held[1] >= first and held[0] < last:
                    keep.append(path)
                continue
            stamp = _AWS_TEXT_NAME.search(path) if self.spec.file_format is FileFormat.TEXT else None
            if stamp is None or low <= stamp.group("stamp") <= high:
                keep.append(path)
        return frozenset(keep)

    def _use_files(self, subset: frozenset[str] | None) -> None:
        changed = self._cache is not None and self._fill_cache(subset)
        if subset != self._subset or changed or not self._view_made:
            self._subset = subset
            self._create_view()

    def _create_view(self) -> None:
        assert self._con is not None and self._inventory is not None
        spec = self.spec
        groups = self._inventory.groups
        if self._subset is not None:
            chosen = self._subset
            groups = [
                FileGroup(g.columns, tuple(p for p in g.paths if p in chosen), g.source_names) for g in groups
            ]
        # Files with a columnar cache entry are read from it, in one branch of their own.
        cached = tuple(self._cached[p][1] for g in groups for p in g.paths if p in self._cached)
        if cached:
            groups = [
                FileGroup(g.columns, tuple(p for p in g.paths if p not in self._cached), g.source_names)
                for g in groups
            ]
        branches = [self._branch(g) for g in groups if g.paths]
        if cached:
            branches.append(self._cached_branch(cached))
        if not branches:
            types = spec.column_types()
            empty = [f"CAST(NULL AS {duckdb_type(types[c])}) AS {_ident(c)}" for c in spec.columns]
            empty += [f"CAST(NULL AS VARCHAR) AS {_ident(c)}" for c in spec.partition_columns]
            branches = [f"SELECT {', '.join(empty)} WHERE false"]
        body = "\nUNION ALL\n".join(branches)
        self._con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(spec.database)}")
        create = f"CREATE OR REPLACE VIEW {_ident(spec.database)}.{_ident(spec.table)} AS\n{body}"
        if not cached:
            self._con.execute(create)
            self._view_made = True
            return
        from flowsql.duckdb_driver import duckdb

        try:
            self._con.execute(create)
            self._view_made = True
        except duckdb.Error as err:
            # Binding reads the first entry's footer: a damaged one fails here, named or not.
            if not self._forget_entries(str(err), otherwise=cached[0]):
                raise

    def _partition_exprs(self) -> list[str]:
        """One regexp_extract over the file path per partition column: the form DuckDB prunes files on."""
        pattern = self.spec.path_regex()
        exprs = []
        for column in self.spec.partition_columns:
            own = pattern
            for other in self.spec.partition_columns:
                own = own.replace(f"(?P<{other}>", "(" if other == column else "(?:")
            exprs.append(f"regexp_extract(filename, {_literal(own)}, 1) AS {_ident(column)}")
        return exprs

    def _branch(self, group: FileGroup) -> str:
        types = self.spec.column_types()
        present = dict(zip(group.columns, group.source_names or group.columns, strict=True))
        select = []
        for column in self.spec.columns:
            kind = duckdb_type(types[column])
            if column not in present:
                select.append(f"CAST(NULL AS {kind}) AS {_ident(column)}")
            elif self.spec.file_format is FileFormat.PARQUET:
                select.append(f"CAST({_ident(present[column])} AS {kind}) AS {_ident(column)}")
            elif types[column] == "string":
                # Athena's text SerDe has no null marker here: '-' in a string column is the string
                # '-' (NULL only in a numeric column). nullstr='-' made it NULL: put it back.
                select.append(f"coalesce({_ident(column)}, '-') AS {_ident(column)}")
            else:
                select.append(_ident(column))
        select += self._partition_exprs()
        if self.spec.file_format is FileFormat.PARQUET:
            source = f"read_parquet({_path_list(group.paths)}, filename = true)"
        else:
            declared = ", ".join(
                f"{_literal(c)}: {_literal(duckdb_type(types[c]) if c in types else 'VARCHAR')}"
                for c in group.columns
            )
            # Everything explicit: no sniffing (which would open every file and type account-id as a
            # number), no quoting (flow logs have none), and a wrong field count is an error.
            source = (
                f"read_csv({_path_list(group.paths)}, delim = ' ', quote = '', escape = '', header = true, "
                f"nullstr = '-', compression = 'gzip', auto_detect = false, strict_mode = true, "
                f"null_padding = false, columns = {{{declared}}}, filename = true)"
            )
        return f"SELECT {', '.join(select)} FROM {source}"

    # --- running and bad files ---------------------------------------------------------------

    def _run(
        self, statement: str, window: TimeWindow | None = None
    ) -> tuple[list[Any], list[tuple[Any, ...]]]:
        """Description and rows of `statement`; a file DuckDB cannot read stops it (BadFile) or, with
        skip_bad_files, is taken out of the view and the statement runs again."""
        from flowsql.duckdb_driver import duckdb
        from flowsql.engines.duckdb.macros import macros_needed

        con = self._connection()
        self._use_files(self._window_files(window))
        # Only the macros this statement calls: creating all of them costs more than most queries' setup.
        for name, create in macros_needed(statement).items():
            if name not in self._macros:
                con.execute(create)
                self._macros.add(name)
        while True:
            try:
                with watching(con, self.progress):
                    answer = interruptible(con, lambda: _described(con.execute(statement)))
                self._forget_suspects()
                return answer
            except duckdb.Error as err:
                message = str(err)
                if self._forget_entries(message) or self._suspect_entries(message):
                    continue  # a damaged cache entry: read those files as text instead
                path = self._culprit(message)
                if path is None:
                    raise QueryFailed(
                        f"DuckDB could not run the query: {_first_line(message)}", statement=statement
                    ) from None
                self._reject(path, reason_for(message, path))
                self._drop_from_groups(path)
                self._create_view()

    def _culprit(self, message: str) -> str | None:
        """The data file a DuckDB error names, if any (it names the file for every read failure)."""
        if self._inventory is None:
            return None
        hits = [p for p in self._inventory.paths if p in message]
        return max(hits, key=len) if hits else None

    def _reject(self, path: str, reason: str) -> None:
        if not self.skip_bad_files:
            raise BadFile(
                path,
                reason,
                hint="fix or remove the file, or pass --skip-bad-files to run without it (it is reported)",
            )
        self._skipped[path] = reason

    def _drop_from_groups(self, path: str) -> None:
        assert self._inventory is not None
        self._inventory.groups = [
            FileGroup(g.columns, tuple(p for p in g.paths if p != path), g.source_names)
            for g in self._inventory.groups
        ]


def _described(cursor: duckdb.DuckDBPyConnection) -> tuple[list[Any], list[tuple[Any, ...]]]:
    return list(cursor.description or []), cursor.fetchall()


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message


def reason_for(message: str, path: str) -> str:
    line = re.search(r"CSV Error on Line: (\d+)", message)
    where = f"line {line.group(1)}: " if line else ""
    for pattern, text in _REASONS:
        found = pattern.search(message)
        if found:
            return where + text.format(*found.groups())
    first = _first_line(message).replace(path, "<file>")
    return where + first


def _utc_timestamps(rows: list[tuple[Any, ...]], types: list[str]) -> list[tuple[Any, ...]]:
    """TIMESTAMP values as aware UTC datetimes (Athena's session zone), like TIMESTAMP WITH TIME ZONE."""
    stamp = [i for i, t in enumerate(types) if t.upper().startswith("TIMESTAMP")]
    if not stamp or not rows:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i in stamp:
            value = values[i]
            if isinstance(value, datetime):
                values[i] = (
                    value.replace(tzinfo=timezone.utc)
                    if value.tzinfo is None
                    else value.astimezone(timezone.utc)
                )
        out.append(tuple(values))
    return out
