"""The DuckDB database a process's sessions share; each session has a connection of its own to it and
works in an in-memory catalog of its own.

A new DuckDB database costs ~30 ms (its catalog of built-in functions, types and settings is built
anew), about an eighth of a one-day investigation over local text; a connection to an existing one
and a catalog in it cost ~1 ms. A notebook or script that opens a session per question would pay the
30 ms every time. What a session makes (the flow-log view, the inventory views, the macros) lives in
its own catalog, which the session's statements resolve their names in (`USE`); another session's
objects of the same names are invisible to it. The only settings a session sets are session-scoped
(TimeZone) or the same for every session (the progress bar off); the number of threads is the
database's, so each thread count has a database of its own. User statements are validated read-only
SELECTs and cannot change the database. A forked child never uses its parent's database (DuckDB is
not fork-safe): databases are kept per process id.
"""

from __future__ import annotations

import itertools
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

_lock = threading.Lock()
_databases: dict[tuple[int, int | None], duckdb.DuckDBPyConnection] = {}
_catalogs = itertools.count(1)
# Held while a session reads DuckDB's log (files_read): the log is the database's, not a connection's.
log_lock = threading.Lock()


@dataclass
class Workspace:
    """One session's connection and the catalog its objects live in."""

    connection: duckdb.DuckDBPyConnection
    catalog: str | None  # None: a database of its own (shared=False), objects in its default catalog

    def close(self) -> None:
        from flowsql.duckdb_driver import duckdb

        con = self.connection
        if self.catalog is not None:
            try:
                con.execute("USE memory")
                con.execute(f'DETACH "{self.catalog}"')
            except duckdb.Error:
                pass  # closing the connection below still frees it; a detach failure changes no answer
        con.close()


def open_workspace(threads: int | None = None, *, shared: bool = True) -> Workspace:
    """A connection for one session, its time zone UTC (Athena's session zone) and DuckDB's progress
    bar off (it would draw on stdout, where rows go). shared=False: a database of its own."""
    from flowsql.duckdb_driver import duckdb

    config: dict[str, Any] = {"threads": int(threads)} if threads else {}
    if not shared:
        workspace = Workspace(duckdb.connect(":memory:", config=config), None)
    else:
        key = (os.getpid(), int(threads) if threads else None)
        with _lock:
            root = _databases.get(key)
            if root is None:
                root = _databases[key] = duckdb.connect(":memory:", config=config)
            con = root.cursor()
            catalog = f"flowsql_session_{next(_catalogs)}"
        workspace = Workspace(con, catalog)
        con.execute(f"ATTACH ':memory:' AS \"{catalog}\"")
        con.execute(f'USE "{catalog}"')
    con = workspace.connection
    # ICU (which knows time zones) is loaded only after connect, so this cannot go in `config`.
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return workspace


def close_all() -> None:
    """Close this process's shared databases (the CLI's quick exit: DuckDB removes a database's spill
    files when it closes). A session still open keeps its database until it closes."""
    with _lock:
        for key in list(_databases):
            root = _databases.pop(key)
            if key[0] == os.getpid():
                root.close()
