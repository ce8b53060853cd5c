"""Sessions in one process share one DuckDB database (flowsql/engines/duckdb/database.py), each in a
catalog of its own. Sharing must change no answer: every check here runs the same statements on
engines that share and on engines with a database of their own (shared_database=False), and the
expected counts and sums are computed in plain Python from the records the test wrote."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from test_duckdb_engine import make_records, write_logs

from flowsql.engines.duckdb.engine import DuckDBEngine
from flowsql.investigations.window import TimeWindow
from flowsql.tables.spec import TableSpec


def _two_folders(tmp_path: Path) -> list[tuple[TableSpec, list[dict]]]:
    """Two folders with different records but the same table name, so their views would collide
    in one catalog."""
    made = []
    for seed, count in ((3, 120), (4, 75)):
        spec = TableSpec(location=str(tmp_path / f"logs{seed}"))
        records = make_records(count, seed=seed)
        write_logs(spec, records)
        made.append((spec, records))
    return made


def _totals(spec: TableSpec) -> str:
    return (
        f"SELECT count(*) AS n, sum(bytes) AS b, count(DISTINCT srcaddr) AS s "
        f"FROM {spec.qualified_name} WHERE log_status = 'OK'"
    )


def _expected(records: list[dict]) -> tuple[int, int, int]:
    ok = [r for r in records if r["log-status"] == "OK"]
    return len(ok), sum(r["bytes"] for r in ok), len({r["srcaddr"] for r in ok})


def test_open_sessions_over_different_folders_see_only_their_own_files(tmp_path: Path) -> None:
    (spec_a, rec_a), (spec_b, rec_b) = _two_folders(tmp_path)
    assert spec_a.qualified_name == spec_b.qualified_name
    for shared in (True, False):
        a = DuckDBEngine(spec_a, shared_database=shared)
        b = DuckDBEngine(spec_b, shared_database=shared)
        try:
            # Interleaved: b's view is made while a's exists, then a runs again.
            first_a = tuple(a.execute(_totals(spec_a))[0])
            first_b = tuple(b.execute(_totals(spec_b))[0])
            again_a = tuple(a.execute(_totals(spec_a))[0])
        finally:
            a.close()
            b.close()
        assert first_a == again_a == _expected(rec_a), shared
        assert first_b == _expected(rec_b), shared


def test_macros_of_one_session_are_not_another_sessions(tmp_path: Path) -> None:
    """A statement that needs a macro gets it in its own catalog, even when another open session made
    the same macro first, and keeps it when that session closes."""
    (spec_a, rec_a), (spec_b, rec_b) = _two_folders(tmp_path)
    sql = (
        "SELECT count(*) AS n FROM {t} "
        "WHERE log_status = 'OK' AND contains('10.0.0.0/8', CAST(srcaddr AS IPADDRESS))"
    )
    b = DuckDBEngine(spec_b)
    try:
        with DuckDBEngine(spec_a) as a:
            got_a = a.execute(sql.format(t=spec_a.qualified_name))[0].n
            got_b = b.execute(sql.format(t=spec_b.qualified_name))[0].n
        again_b = b.execute(sql.format(t=spec_b.qualified_name))[0].n
    finally:
        b.close()
    for got, records in ((got_a, rec_a), (got_b, rec_b), (again_b, rec_b)):
        assert got == sum(1 for r in records if r["log-status"] == "OK" and r["srcaddr"].startswith("10."))


def test_a_closed_session_leaves_nothing_behind(tmp_path: Path) -> None:
    (spec_a, rec_a), (spec_b, _rec_b) = _two_folders(tmp_path)
    with DuckDBEngine(spec_b) as watcher:
        watcher.execute(_totals(spec_b))
        con = watcher._con
        assert con is not None

        def catalogs() -> set[str]:
            return {
                name for (name,) in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
            }

        before = catalogs()
        engine = DuckDBEngine(spec_a)
        assert tuple(engine.execute(_totals(spec_a))[0]) == _expected(rec_a)
        during = catalogs()
        engine.close()
        after = catalogs()
    assert len(during - before) == 1, "the session works in one catalog of its own"
    assert after == before, "closing the session detaches its catalog"


def test_each_thread_count_has_its_own_database(tmp_path: Path) -> None:
    (spec_a, rec_a), _ = _two_folders(tmp_path)
    with DuckDBEngine(spec_a, threads=1) as one, DuckDBEngine(spec_a, threads=2) as two:
        for engine, threads in ((one, 1), (two, 2)):
            assert tuple(engine.execute(_totals(spec_a))[0]) == _expected(rec_a)
            assert engine._con is not None
            assert engine._con.execute("SELECT current_setting('threads')").fetchone() == (threads,)


def test_sessions_on_threads_at_once_answer_as_alone(tmp_path: Path) -> None:
    made = _two_folders(tmp_path)
    window = TimeWindow.parse("2024-05-02T00:00:00Z", "2024-05-03T00:00:00Z")
    answers: dict[tuple[int, int], tuple[object, ...]] = {}
    errors: list[BaseException] = []

    def work(worker: int, spec: TableSpec) -> None:
        try:
            for turn in range(4):
                with DuckDBEngine(spec) as engine:
                    row = engine.execute(
                        f"{_totals(spec)} AND {spec.window_predicate(window)} "
                        f"AND start >= {window.start_epoch} AND start < {window.end_epoch}",
                        window=window,
                    )[0]
                    answers[(worker, turn)] = tuple(row)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i, made[i % 2][0])) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    for (worker, _turn), got in answers.items():
        records = [r for r in made[worker % 2][1] if window.start_epoch <= r["start"] < window.end_epoch]
        assert got == _expected(records)
    assert len(answers) == 16


def test_files_read_counts_only_its_own_session(tmp_path: Path) -> None:
    """DuckDB's log of opened files is the database's: a count taken while another session reads
    its files must not include them."""
    (spec_a, _), (spec_b, _) = _two_folders(tmp_path)
    sql_a = f"SELECT count(*) AS n FROM {spec_a.qualified_name}"
    with DuckDBEngine(spec_a, shared_database=False) as alone:
        expected = alone.files_read(sql_a)
    assert expected > 1
    stop = threading.Event()

    def busy() -> None:
        with DuckDBEngine(spec_b) as other:
            while not stop.is_set():
                other.execute(f"SELECT count(*) AS n FROM {spec_b.qualified_name}")

    reader = threading.Thread(target=busy)
    reader.start()
    try:
        with DuckDBEngine(spec_a) as engine:
            counts = [engine.files_read(sql_a) for _ in range(5)]
    finally:
        stop.set()
        reader.join(60)
    assert counts == [expected] * 5


@pytest.mark.skipif(sys.platform == "win32", reason="os.fork")
def test_a_forked_child_makes_its_own_database(tmp_path: Path) -> None:
    """DuckDB is not fork-safe: a child forked after its parent ran a session answers from a database
    of its own. Run in a fresh interpreter, so the fork copies no test runner threads."""
    (spec_a, rec_a), _ = _two_folders(tmp_path)
    script = textwrap.dedent(
        f"""
        import os, sys
        from flowsql.engines.duckdb.engine import DuckDBEngine
        from flowsql.tables.spec import TableSpec
        spec = TableSpec(location={spec_a.location!r})
        sql = {_totals(spec_a)!r}
        with DuckDBEngine(spec) as parent:
            print("parent", tuple(parent.execute(sql)[0]), flush=True)
            pid = os.fork()
            if pid == 0:
                with DuckDBEngine(spec) as child:
                    print("child", tuple(child.execute(sql)[0]), flush=True)
                from flowsql.engines.duckdb import database
                mine = [key for key in database._databases if key[0] == os.getpid()]
                print("child's own databases", len(mine), flush=True)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            print("status", os.waitstatus_to_exitcode(status), flush=True)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = str(_expected(rec_a))
    assert done.stdout.splitlines() == [
        f"parent {expected}",
        f"child {expected}",
        "child's own databases 1",
        "status 0",
    ]
