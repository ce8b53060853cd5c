"""Filling the columnar cache after the answer, in a detached low-priority process.

Writing a file's Parquet entry costs about as much CPU as reading its gzip text, so filling the cache
while answering makes the first run cost about twice a plain scan. With `cache: {fill: background}`
(the default) the run answers from the text, then, before returning, queues a job naming the files
it read that have no entry (with the exact SELECT the view read each with) and starts one detached
process, `python -m flowsql.engines.duckdb.background FOLDER`, in its own session, at the lowest
priority, with no terminal and no AWS settings, which waits for the run to exit (at most a second)
and then writes the entries with the same code as the inline fill (cachefill.write: the key the run
found, the same COPY, a temporary name renamed into place, the key checked again after reading).

The queue lives in `<cache>/.fill/`: one `*.json` job per answering run and a lock file. A filler
holds that lock exclusively while it works, so there is at most one per cache folder: a run that finds
it held only queues its job, and the running filler takes it before it stops (it looks at the queue
again after letting the lock go, so no job is stranded). While it writes, the filler holds the cache's
shared lock like any reader (eviction and `cache clear` wait for it) and afterwards evicts down to the
size bound. A job is deleted when a filler takes it: a filler that dies loses its job, never serves a
half entry (temporary names are never looked up, and the next filler removes those of dead
processes), and the next run that reads those files queues them again.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flowsql.engines.duckdb.cache import DEFAULT_MAX_BYTES, ColumnarCache, _lock, fcntl
from flowsql.engines.duckdb.cachefill import Job

FILL_DIR = ".fill"
STATUS = "status.json"  # the running filler: pid, when it started, files taken and written
LAST = "last.json"  # the last filler that finished: seconds, CPU seconds, files written
SPAWNED = "spawned.json"  # the pid of the filler a run started last
# Test hook: a filler waits (up to two minutes) for this path to exist before it writes anything, so a
# test can see the answering run return while its fill has not happened yet.
GATE_ENV = "FLOWSQL_TEST_FILL_GATE"
MODULE = "flowsql.engines.duckdb.background"
_children: list[Any] = []  # Popen objects of started fillers, polled so none stays a zombie


def supported() -> bool:
    """Whether this platform can run a detached filler with a cross-process lock (POSIX)."""
    return os.name == "posix" and fcntl is not None


def fill_dir(folder: str) -> str:
    return os.path.join(folder, FILL_DIR)


# --- the answering run's side ------------------------------------------------------------------------


def hand_off(cache: ColumnarCache, files: list[Job], threads: int) -> bool:
    """Queue the entries of `files` (source, the SELECT the view read it with, recipe, and the key
    of the file as the run found it) and start a filler unless one is running (it takes the job).
    False when no filler could be started: the job is withdrawn and the caller writes the entries."""
    if not files:
        return True
    from flowsql.errors import ConfigError

    try:
        job = _queue(cache, files, threads)
        if running(cache.folder):
            return True
    except (OSError, ConfigError):
        return False
    try:
        spawn(cache.folder)
    except Exception:  # whatever stops a process from starting, the run itself writes the entries
        with contextlib.suppress(OSError):
            os.remove(job)
        return False
    return True


def spawn(folder: str) -> None:
    """Start a detached filler for the queue of `folder` (raises OSError if it cannot)."""
    import subprocess

    for child in list(_children):
        if child.poll() is not None:
            _children.remove(child)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = _import_path(env.get("PYTHONPATH"))
    child = subprocess.Popen(
        [sys.executable, "-m", MODULE, os.path.abspath(folder)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=True,  # not in the terminal's process group: Ctrl-C of the run misses it
        cwd=folder,  # `-m` puts the working folder on sys.path: our own private folder, not the user's
        env=env,
    )
    _children.append(child)
    with contextlib.suppress(OSError):
        _write(os.path.join(fill_dir(folder), SPAWNED), {"pid": child.pid})


def _import_path(current: str | None) -> str:
    """PYTHONPATH for the filler: the folder this flowsql was imported from goes first unless it is
    an installed package's (a checkout run with `python -m flowsql` must start the same code)."""
    import site

    import flowsql

    root = os.path.dirname(os.path.dirname(os.path.abspath(flowsql.__file__)))
    installed = {os.path.abspath(p) for p in [*site.getsitepackages(), site.getusersitepackages()]}
    parts = [p for p in (current or "").split(os.pathsep) if p]
    if root not in installed and root not in parts:
        parts.insert(0, root)
    return os.pathsep.join(parts)


def _queue(cache: ColumnarCache, files: list[Job], threads: int) -> str:
    where = fill_dir(cache.folder)
    from flowsql.engines.duckdb.cache import private_folder

    private_folder(where)
    job = {
        "cwd": os.getcwd(),  # the SELECTs and the keys name the files as the run did (maybe relative)
        "max_bytes": cache.max_bytes,
        "threads": threads,
        # The key of each file as the run read it: a file changed since is not written (store()
        # checks the key again after reading), and the next run reading it queues it afresh.
        "files": {source: [select, key] for source, select, _recipe, key in files},
    }
    name = os.path.join(where, f"{time.time_ns()}.{os.getpid()}")
    with open(name + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(job, handle)
    os.replace(name + ".tmp", name + ".json")
    return name + ".json"


# --- what others see: `cache info`, `cache clear`, waiting -------------------------------------------


@dataclass(frozen=True)
class FillState:
    """A filler at work (pid, files it took, files written so far) and files queued for it."""

    pid: int | None
    taken: int
    written: int
    queued: int
    started: float | None


def running(folder: str) -> bool:
    """Whether a filler holds the queue's lock (probed with a shared lock, never blocking)."""
    if not os.path.isdir(fill_dir(folder)):
        return False
    handle = _lock(fill_dir(folder), exclusive=False, wait=False)
    if handle is None:
        return True
    handle.close()
    return False


def state(folder: str) -> FillState | None:
    """The fill in progress or queued, or None when there is none."""
    queued = _jobs(fill_dir(folder))
    active = running(folder)
    if not active and not queued:
        return None
    files = sum(len(_read(job).get("files", {})) for job in queued)
    status = _read(os.path.join(fill_dir(folder), STATUS)) if active else {}
    return FillState(
        status.get("pid"),
        int(status.get("taken", 0)),
        int(status.get("written", 0)),
        files,
        status.get("started"),
    )


def last(folder: str) -> dict[str, Any]:
    """What the last filler to finish recorded: seconds, cpu_seconds, written, finished (epoch)."""
    return _read(os.path.join(fill_dir(folder), LAST))


def wait(folder: str, timeout: float = 600.0) -> bool:
    """Wait until no fill is running or queued for the cache in `folder`; False if `timeout` seconds
    passed first, or jobs are queued and the filler started for them is gone (it could not start)."""
    deadline = time.monotonic() + timeout
    while (found := state(folder)) is not None:
        if time.monotonic() > deadline:
            return False
        if found.pid is None and not _alive(_read(os.path.join(fill_dir(folder), SPAWNED)).get("pid")):
            time.sleep(0.5)  # it may have just let the lock go to look at the queue again
            if state(folder) == found and not running(folder):
                return False
        time.sleep(0.05)
    return True


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int):
        return False
    for child in list(_children):  # our own child: reap it, or it stays a zombie that looks alive
        if child.pid == pid and child.poll() is not None:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def drop_queued(folder: str) -> int:
    """Remove the jobs no filler has taken yet (`cache clear`); how many files they named."""
    count = 0
    for job in _jobs(fill_dir(folder)):
        count += len(_read(job).get("files", {}))
        with contextlib.suppress(OSError):
            os.remove(job)
    return count


def _jobs(where: str) -> list[str]:
    try:
        names = sorted(
            n for n in os.listdir(where) if n.endswith(".json") and n not in (STATUS, LAST, SPAWNED)
        )
    except OSError:
        return []
    return [os.path.join(where, n) for n in names]


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            found = json.load(handle)
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _write(path: str, data: dict[str, Any]) -> None:
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(path + ".tmp", path)


# --- the filler ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def _holding(where: str, attempts: int) -> Iterator[bool]:
    """The queue's lock, exclusively; a few tries, since runs and `cache info` probe it briefly."""
    handle = None
    for attempt in range(attempts):
        handle = _lock(where, exclusive=True, wait=False)
        if handle is not None or attempt == attempts - 1:
            break
        time.sleep(0.05)
    try:
        yield handle is not None
    finally:
        if handle is not None:
            handle.close()


def main(argv: list[str] | None = None) -> int:
    """The filler: take queued jobs until there are none, one filler per cache folder."""
    with contextlib.suppress(OSError):
        os.nice(19)
    _let_the_run_finish()
    began = time.time()
    folder = (argv if argv is not None else sys.argv[1:])[0]
    where = fill_dir(folder)
    written = 0
    error = None
    while True:
        with _holding(where, attempts=20) as held:
            if not held:
                return 0  # another filler runs; it takes whatever is queued
            try:
                written += _work(folder, where, began)
            except Exception as exc:  # recorded for `cache info`: the filler has no terminal
                error = f"{type(exc).__name__}: {exc}"
            _record(where, began, written, error)  # before letting go: a waiter then finds it
            with contextlib.suppress(OSError):
                os.remove(os.path.join(where, STATUS))
        if error is not None:
            break
        # Let go, then look again: a job queued while this filler was finishing is not stranded.
        if not _jobs(where):
            break
    return 0 if error is None else 1


PARENT_GRACE = 1.0  # seconds the filler gives the run that started it to print its answer and exit


def _let_the_run_finish() -> None:
    """Wait until the answering run has exited (the filler is then adopted by another process), at
    most PARENT_GRACE seconds: a CLI run's last steps (printing, closing DuckDB, exiting) then never
    share the CPU with the filler's DuckDB; a long-lived process (a notebook) only delays the fill."""
    parent = os.getppid()
    deadline = time.monotonic() + PARENT_GRACE
    while os.getppid() == parent and time.monotonic() < deadline:
        time.sleep(0.02)


def _record(where: str, began: float, written: int, error: str | None) -> None:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    now = time.time()
    with contextlib.suppress(OSError):
        _write(
            os.path.join(where, LAST),
            {
                "pid": os.getpid(),
                "started": began,
                "finished": now,
                "seconds": now - began,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "written": written,
                "error": error,
            },
        )


def _work(folder: str, where: str, began: float) -> int:
    """Every queued job, oldest first; entries written."""
    import threading

    from flowsql.duckdb_driver import duckdb
    from flowsql.engines.duckdb.cachefill import recipe, write
    from flowsql.engines.duckdb.engine import _literal

    _remove_stale_temporaries(folder)
    status = {"pid": os.getpid(), "started": began, "taken": 0, "written": 0}
    progress = threading.Lock()  # entries are written on several threads
    con = None
    written = 0
    try:
        while jobs := _jobs(where):
            for path in jobs:
                job = _read(path)
                with contextlib.suppress(OSError):
                    os.remove(path)  # taken: from here a crash loses the job, not an entry
                files = job.get("files")
                if not isinstance(files, dict) or not files:
                    continue
                threads = max(1, int(job.get("threads") or 1))
                if con is None:
                    con = duckdb.connect(":memory:", config={"threads": threads})
                    # as the engine's own connection (engine._connection)
                    con.execute("SET TimeZone = 'UTC'")
                    con.execute("SET enable_progress_bar = false")
                status["taken"] += len(files)
                _write(os.path.join(where, STATUS), status)
                _gate()
                try:
                    os.chdir(str(job.get("cwd") or folder))
                except OSError:
                    continue
                cache = ColumnarCache(folder, int(job.get("max_bytes") or DEFAULT_MAX_BYTES))

                def one_more() -> None:
                    with progress:
                        status["written"] += 1
                        _write(os.path.join(where, STATUS), status)

                cache.share()
                try:
                    todo = [
                        (str(source), str(select), recipe(str(select), str(source), _literal), str(key))
                        for source, (select, key) in files.items()
                    ]
                    write(con, cache, todo, _literal, threads, one_more)
                finally:
                    cache.release()
                if cache.written:
                    cache.evict()
                written += cache.written
    finally:
        if con is not None:
            con.close()
    return written


def _gate() -> None:
    gate = os.environ.get(GATE_ENV)
    if gate:
        deadline = time.monotonic() + 120
        while not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.05)


def _remove_stale_temporaries(folder: str) -> None:
    """Temporary entries (`<key>.<pid>.<ns>.tmp`) of processes that no longer run."""
    import shutil

    try:
        names = [n for n in os.listdir(folder) if n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        parts = name.split(".")
        try:
            pid = int(parts[-3])
        except (IndexError, ValueError):
            continue
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
        except OSError:
            continue


if __name__ == "__main__":
    sys.exit(main())
