"""No file is left out of a local run without a word: a .log.gz that is not a flow log is a bad file
(named; --skip-bad-files leaves it out and reports it), a file of another log format is read with a
warning saying what Athena would do, files the engine does not read are counted and named in one
warning line, a FIFO is never opened, and a Parquet column of the wrong type names its file."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flowsql.engines.duckdb.engine import DuckDBEngine
from flowsql.errors import BadFile
from flowsql.tables.fields import parse_header
from flowsql.tables.spec import TableSpec

ACCOUNT, REGION = "123456789010", "us-east-1"
DEFAULT = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
T = 1714564800  # 2024-05-01T12:00Z
RECORD = f"2 {ACCOUNT} eni-0a1 10.0.0.1 10.0.0.2 443 51000 6 10 1000 {T} {T + 60} ACCEPT OK"
COUNT = "SELECT count(*) AS n FROM vpc_flow_logs.flow_logs"


def _folder(spec: TableSpec) -> Path:
    folder = Path(spec.partition_path(ACCOUNT, REGION, date(2024, 5, 1)))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _name(n: int, suffix: str = ".log.gz") -> str:
    return f"{ACCOUNT}_vpcflowlogs_{REGION}_fl-0123456789abcdef0_20240501T12{n:02d}Z_abcd{n:04d}{suffix}"


def _text(spec: TableSpec, n: int, body: str) -> Path:
    path = _folder(spec) / _name(n)
    path.write_bytes(gzip.compress(body.encode()))
    return path


def _good(tmp_path: Path) -> TableSpec:
    spec = TableSpec(location=str(tmp_path))
    _text(spec, 0, f"{DEFAULT}\n{RECORD}\n{RECORD}\n")
    return spec


@pytest.mark.parametrize(
    "body",
    ["hello world\n", "hello world\nfoo bar\n", "timestamp message level\n1 two three\n"],
    ids=["one-line", "two-lines", "a-log-of-another-kind"],
)
def test_a_gz_that_is_not_a_flow_log_is_a_bad_file(tmp_path: Path, body: str) -> None:
    spec = _good(tmp_path)
    bad = _text(spec, 5, body)
    with DuckDBEngine(spec) as engine, pytest.raises(BadFile) as caught:
        engine.execute(COUNT)
    assert caught.value.path == str(bad) and "not a flow-log header" in caught.value.reason
    with DuckDBEngine(spec, skip_bad_files=True) as engine:
        rows = engine.execute(COUNT)
    assert list(rows) == [(2,)]
    assert [p for p, _ in rows.stats.files_skipped] == [str(bad)]


def test_a_file_of_another_format_is_read_with_a_warning_naming_it(tmp_path: Path) -> None:
    v3 = "version vpc-id account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    spec = TableSpec(location=str(tmp_path), fields=parse_header(v3))
    record = f"3 vpc-1 {ACCOUNT} eni-0a1 10.0.0.1 10.0.0.2 443 51000 6 10 1000 {T} {T + 60} ACCEPT OK"
    _text(spec, 0, f"{v3}\n{record}\n")
    older = _text(spec, 5, f"{DEFAULT}\n{RECORD}\n")
    with DuckDBEngine(spec) as engine:
        rows = engine.execute("SELECT vpc_id, srcaddr FROM vpc_flow_logs.flow_logs ORDER BY vpc_id")
    assert [tuple(r) for r in rows] == [("vpc-1", "10.0.0.1"), (None, "10.0.0.1")]
    (warning,) = rows.stats.warnings
    assert str(older) in warning and "1 file(s) hold another log format" in warning
    assert "lacks vpc_id" in warning and "by position" in warning and "shift" in warning


def test_the_table_format_gives_no_warning(tmp_path: Path) -> None:
    with DuckDBEngine(_good(tmp_path)) as engine:
        assert engine.execute(COUNT).stats.warnings == []


def test_files_not_read_are_counted_and_named_in_one_line(tmp_path: Path) -> None:
    spec = _good(tmp_path)
    folder = _folder(spec)
    notes = folder / "notes.txt"
    notes.write_text("hello")
    nested = folder / "extra" / _name(7)
    nested.parent.mkdir()
    nested.write_bytes(gzip.compress(f"{DEFAULT}\n{RECORD}\n".encode()))
    parquet = folder / _name(8, ".log.parquet")
    parquet.write_bytes(b"PAR1")
    (folder / "_flowsql_compact.json").write_text("{}")  # '_' and '.' files: skipped as Athena does
    with DuckDBEngine(spec) as engine:
        rows = engine.execute(COUNT)
    assert list(rows) == [(2,)]
    (warning,) = rows.stats.warnings
    assert warning.startswith("3 file(s) under AWSLogs/ not read")
    for path in (notes, nested, parquet):
        assert str(path) in warning


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX feature")
def test_a_fifo_is_never_opened_and_the_cli_says_so(tmp_path: Path) -> None:
    spec = _good(tmp_path)
    fifo = _folder(spec) / _name(9)
    os.mkfifo(fifo)
    env = {**os.environ, "FLOWSQL_CACHE_DIR": ""}
    command = [sys.executable, "-m", "flowsql", "run", "total_bytes", "--location", str(tmp_path)]
    command += ["-p", "start=2024-05-01", "-p", "end=2024-05-02", "--format", "csv"]
    # the timeout only keeps a regression (open() on a FIFO waits forever) from hanging the suite
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith("2,")
    assert "warning: 1 file(s) under AWSLogs/ not read" in done.stderr and str(fifo) in done.stderr


def _parquet(spec: TableSpec, n: int, bytes_type: str) -> Path:
    path = _folder(spec) / _name(n, ".log.parquet")
    duckdb.connect().execute(
        f"COPY (SELECT 2 AS version, '{ACCOUNT}' AS account_id, 'eni-1' AS interface_id, '10.0.0.1' AS srcaddr, "
        f"'10.0.0.2' AS dstaddr, 443 AS srcport, 51000 AS dstport, 6 AS protocol, 10::BIGINT AS packets, "
        f'CAST(1000 AS {bytes_type}) AS bytes, {T}::BIGINT AS start, {T + 60}::BIGINT AS "end", '
        f"'ACCEPT' AS action, 'OK' AS log_status) TO '{path}' (FORMAT parquet)"
    )
    return path


def test_a_parquet_column_of_the_wrong_type_names_the_file(tmp_path: Path) -> None:
    spec = TableSpec(location=str(tmp_path), layout="hive", file_format="parquet")
    _parquet(spec, 0, "BIGINT")
    wrong = _parquet(spec, 5, "VARCHAR")
    with DuckDBEngine(spec) as engine, pytest.raises(BadFile) as caught:
        engine.execute(COUNT)
    assert caught.value.path == str(wrong) and "bytes is BYTE_ARRAY" in caught.value.reason
    with DuckDBEngine(spec, skip_bad_files=True) as engine:
        rows = engine.execute(COUNT)
    assert list(rows) == [(1,)] and [p for p, _ in rows.stats.files_skipped] == [str(wrong)]
