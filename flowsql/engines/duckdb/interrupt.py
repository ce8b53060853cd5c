"""Ctrl-C during a DuckDB call: the call runs on a worker thread while the main thread waits, so
the KeyboardInterrupt arrives at once (a Python signal handler cannot run while the main thread is
inside DuckDB), interrupts the connection, and is raised again once DuckDB has stopped; nothing the
call was writing is still being written when the caller cleans up."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import duckdb

T = TypeVar("T")
_POLL_SECONDS = 0.1


def interruptible(con: duckdb.DuckDBPyConnection, call: Callable[[], T]) -> T:
    """call() (which uses `con`), stopped by Ctrl-C: raises KeyboardInterrupt after DuckDB stops."""
    if threading.current_thread() is not threading.main_thread():
        return call()  # signals reach the main thread only; another thread's caller handles them
    outcome: dict[str, object] = {}
    # Its own flag rather than Thread.is_alive(): a join() cut short by KeyboardInterrupt can leave
    # is_alive() False while the thread still runs.
    done = threading.Event()

    def work() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the waiting thread
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="flowsql-duckdb", daemon=True).start()
    try:
        while not done.wait(_POLL_SECONDS):
            pass
    except KeyboardInterrupt:
        con.interrupt()
        while True:
            try:
                if done.wait(_POLL_SECONDS):
                    break
            except KeyboardInterrupt:
                con.interrupt()
        raise
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
