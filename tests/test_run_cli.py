"""`flowsql run`: rows on stdout in each format, statistics and progress on stderr, errors as one
message and a non-zero exit. Athena runs go to the moto server (injected rows; nothing executes)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from athena_fakes import FaultySession, faulty_connect, inject, received, slow_queries

from flowsql.cli import run as runmod
from flowsql.engines import athena as athena_mod

UTC = timezone.utc
COLUMNS = [
    ("srcaddr", "varchar"), ("attempts", "bigint"), ("packets", "bigint"), ("bytes", "bigint"),
    ("targets", "bigint"), ("first_seen", "timestamp"), ("last_seen", "timestamp"),
]  # fmt: skip
ROWS: list[list[str | None]] = [
    ["203.0.113.9", "41", "82", "4920", "3", "2024-05-01 00:00:07.000", "2024-05-01 23:10:00.000"],
    ["198.51.100.200", "7", "14", "840", None, "2024-05-01 08:00:00.000", "2024-05-01 08:01:00.000"],
]
EXPECTED = [
    {"srcaddr": "203.0.113.9", "attempts": 41, "packets": 82, "bytes": 4920, "targets": 3,
     "first_seen": "2024-05-01T00:00:07+00:00", "last_seen": "2024-05-01T23:10:00+00:00"},
    {"srcaddr": "198.51.100.200", "attempts": 7, "packets": 14, "bytes": 840, "targets": None,
     "first_seen": "2024-05-01T08:00:00+00:00", "last_seen": "2024-05-01T08:01:00+00:00"},
]  # fmt: skip
WINDOW = ["-p", "start=2024-05-01", "-p", "end=2024-05-02"]


@pytest.fixture
def athena(moto: Any, workdir: Path) -> list[str]:
    """Flags for an Athena run against moto; the results bucket exists."""
    moto.client("s3").create_bucket(Bucket="results")
    return [
        "--engine", "athena", "--location", "s3://flow-logs-bucket/", "--database", "netlogs",
        "--region", "us-east-1", "--output-location", "s3://results/flowsql/",
    ]  # fmt: skip


def last_execution(moto: Any) -> dict[str, Any]:
    ids = moto.client("athena").list_query_executions()["QueryExecutionIds"]
    assert len(ids) == 1
    return received(moto, ids[0])


def test_json_is_one_array_with_numbers_as_numbers(moto: Any, athena: list[str], flowsql_cli: Any) -> None:
    inject(moto, COLUMNS, ROWS)
    result = flowsql_cli(
        "run", "rejected_ssh_sources", *WINDOW, "-p", "port=2222", *athena, "--format", "json"
    )
    assert result.code == 0, result
    assert json.loads(result.out) == EXPECTED  # stdout holds the JSON and nothing else
    execution = last_execution(moto)
    assert "dstport = 2222" in {
        n.sql(dialect="athena")
        for n in sqlglot.parse_one(execution["Query"], read="athena").find_all(sqlglot.exp.EQ)
    }
    stats = result.err.strip().splitlines()[-1]
    assert (
        stats.startswith("2 rows, ") and "athena" in stats and f"id {execution['QueryExecutionId']}" in stats
    )
    assert "$0.000048" in stats  # moto reports 0 bytes: the 10 MB minimum is billed


def test_csv_and_table_formats(moto: Any, athena: list[str], flowsql_cli: Any) -> None:
    inject(moto, COLUMNS, ROWS)
    result = flowsql_cli("run", "rejected_ssh_sources", *WINDOW, *athena, "--format", "csv")
    assert result.code == 0, result
    records = list(csv.reader(io.StringIO(result.out)))
    assert records[0] == [name for name, _ in COLUMNS]
    assert records[1][:5] == ["203.0.113.9", "41", "82", "4920", "3"]
    assert records[2][4] == ""  # NULL
    assert records[1][5] == "2024-05-01T00:00:07+00:00"

    inject(moto, COLUMNS, ROWS)
    result = flowsql_cli("run", "rejected_ssh_sources", *WINDOW, *athena)
    assert result.code == 0, result
    header, rule, *lines = result.out.splitlines()
    assert header.split() == [name for name, _ in COLUMNS]
    assert len(lines) == 2
    # Aligned: each column starts at the same offset on every line, the rule marks each column.
    starts = [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]
    assert len(starts) == len(COLUMNS)
    assert lines[0][starts[5] : starts[6]].strip() == "2024-05-01 00:00:07"
    assert lines[1][: starts[1]].strip() == "198.51.100.200"
    # numbers are right-aligned: they end where the rule of their column ends
    ends = [rule.index(" ", s) if " " in rule[s:] else len(rule) for s in starts]
    assert lines[1][: ends[1]].endswith("7") and lines[0][: ends[1]].endswith("41")


def test_engine_and_settings_come_from_the_config_file(moto: Any, workdir: Path, flowsql_cli: Any) -> None:
    moto.client("s3").create_bucket(Bucket="results")
    (workdir / ".flowsql.yaml").write_text(
        "engine: athena\n"
        "table: {location: 's3://flow-logs-bucket/', database: cfgdb}\n"
        "athena: {region: us-east-1, output_location: 's3://results/cfg/', workgroup: primary}\n"
    )
    result = flowsql_cli("run", "rejected_ssh_sources", *WINDOW, "-q")
    assert result.code == 0, result
    assert result.err == ""  # -q: no statistics; not a terminal: no progress
    execution = last_execution(moto)
    assert execution["QueryExecutionContext"]["Database"] == "cfgdb"
    assert execution["ResultConfiguration"]["OutputLocation"].startswith("s3://results/cfg/")
    tables = {
        (t.db, t.name)
        for t in sqlglot.parse_one(execution["Query"], read="athena").find_all(sqlglot.exp.Table)
    }
    assert tables == {("cfgdb", "flow_logs")}


def test_user_mistakes_are_one_message(workdir: Path, flowsql_cli: Any) -> None:
    base = ["--location", "./logs"]
    result = flowsql_cli("run", "rejected_ssh", *base)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("error: no investigation named 'rejected_ssh'")
    assert "Traceback" not in result.err

    result = flowsql_cli("run", "rejected_ssh_sources", "-p", "port=ssh", *base)
    assert result.code == 2 and result.err.startswith("error: port must be 0–65535, got ssh")

    result = flowsql_cli("run", "rejected_ssh_sources", "-p", "port", *base)
    assert result.code == 2 and result.err.startswith("error: -p expects NAME=VALUE, got port")

    result = flowsql_cli(
        "run", "rejected_ssh_sources", "-p", "start=2024-01-01", "-p", "end=2024-06-01", *base
    )
    assert result.code == 2 and "spans 152 days, more than the maximum of 31 days" in result.err

    result = flowsql_cli("run", "rejected_ssh_sources", "--engine", "athena", "--timeout", "0", *base)
    assert result.code == 2 and "--timeout" in result.err


def test_failed_athena_query_prints_one_readable_block(
    moto: Any, athena: list[str], flowsql_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = "TABLE_NOT_FOUND: line 8:6: Table 'awsdatacatalog.netlogs.flow_logs' does not exist"

    def fail(real: Any, kwargs: dict[str, Any]) -> Any:
        response = real(**kwargs)
        response["QueryExecution"]["Status"].update({"State": "FAILED", "StateChangeReason": reason})
        return response

    session = FaultySession({"get_query_execution": fail})
    monkeypatch.setattr(athena_mod, "_pyathena_connect", faulty_connect(session))
    result = flowsql_cli("run", "rejected_ssh_sources", *WINDOW, *athena)
    assert result.code == 1 and result.out == ""
    lines = result.err.splitlines()
    execution = last_execution(moto)
    assert lines[0] == f"error: the Athena query failed: {reason}"
    assert "  state: FAILED" in lines
    assert f"  query execution id: {execution['QueryExecutionId']}" in lines
    statement = lines[lines.index("  statement:") + 1 :]
    assert statement == ["    " + line for line in execution["Query"].splitlines()]
    assert "Traceback" not in result.err


def test_timeout_flag_stops_the_query(moto: Any, athena: list[str], flowsql_cli: Any) -> None:
    with slow_queries(moto, 10_000):
        result = flowsql_cli("run", "rejected_ssh_sources", *WINDOW, *athena, "--timeout", "0.5")
    assert result.code == 1
    assert result.err.startswith("error: the Athena query did not finish within 0.5 s; flowsql stopped it")
    assert last_execution(moto)["Status"]["State"] == "CANCELLED"


def test_progress_on_a_terminal_only(
    moto: Any, athena: list[str], flowsql_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with slow_queries(moto, 2):
        inject(moto, COLUMNS, ROWS)
        monkeypatch.setattr(runmod, "_stderr_is_terminal", lambda: True)
        shown = flowsql_cli("run", "rejected_ssh_sources", *WINDOW, *athena, "--format", "json")
        monkeypatch.setattr(runmod, "_stderr_is_terminal", lambda: False)
        inject(moto, COLUMNS, ROWS)
        piped = flowsql_cli("run", "rejected_ssh_sources", *WINDOW, *athena, "--format", "json")
    assert shown.code == 0 and piped.code == 0
    assert json.loads(shown.out) == json.loads(piped.out) == EXPECTED  # progress never reaches stdout
    assert re.search(r"\rathena: queued \d+\.\d", shown.err) and "\rathena: running " in shown.err
    summary = shown.err.rpartition("\r")[2]
    assert summary.startswith("2 rows, ")  # the status line was erased before the summary
    assert "\r" not in piped.err and "athena: queued" not in piped.err


def test_terminal_progress_rewrites_one_line() -> None:
    from flowsql.engines.athena import AthenaProgress

    stream = io.StringIO()
    progress = runmod.TerminalProgress(stream)
    progress(AthenaProgress("id", "RUNNING", 1.25, None))
    progress(AthenaProgress("id", "RUNNING", 2.5, 3 * 10**9))
    progress(AthenaProgress("id", "SUCCEEDED", 3.0, 3 * 10**9))
    progress.clear()
    frames = stream.getvalue().split("\r")
    assert frames[1] == "athena: running 1.2s"
    assert frames[2] == "athena: running 2.5s, 3.0 GB scanned"
    assert frames[3].rstrip() == "athena: succeeded 3.0s, 3.0 GB scanned"
    assert frames[-2].strip() == "" and frames[-1] == ""  # erased, cursor back at the line start


# --- DuckDB, end to end --------------------------------------------------------------------------


def test_run_on_duckdb_end_to_end(workdir: Path, flowsql_cli: Any) -> None:
    from test_session import expected_ssh, ssh_records, write_day

    records = ssh_records()
    write_day(workdir / "logs", datetime(2024, 5, 1, tzinfo=UTC), records)
    result = flowsql_cli(
        "run", "rejected_ssh_sources", *WINDOW, "--location", str(workdir / "logs"), "--format", "json"
    )
    assert result.code == 0, result
    expected = [
        dict(zip([n for n, _ in COLUMNS], (*r[:5], r[5].isoformat(), r[6].isoformat()), strict=True))
        for r in expected_ssh(records)
    ]
    assert json.loads(result.out) == expected
    assert "duckdb" in result.err.splitlines()[-1]


def test_bad_files_stop_the_run_or_are_listed_when_skipped(workdir: Path, flowsql_cli: Any) -> None:
    from test_session import expected_ssh, ssh_records, write_day

    records = ssh_records()
    logs = workdir / "logs"
    write_day(logs, datetime(2024, 5, 1, tzinfo=UTC), records)
    (good,) = logs.rglob("*.log.gz")
    bad = good.with_name(good.name.replace("a1b2c3d4", "deadbeef"))
    bad.write_bytes(good.read_bytes()[:40])  # a truncated gzip in the same partition
    args = ["run", "rejected_ssh_sources", *WINDOW, "--location", str(logs), "--format", "json"]

    stopped = flowsql_cli(*args)
    assert stopped.code != 0 and stopped.out == ""
    assert stopped.err.startswith("error: ") and bad.name in stopped.err

    skipped = flowsql_cli(*args, "--skip-bad-files")
    assert skipped.code == 0, skipped
    assert [r["srcaddr"] for r in json.loads(skipped.out)] == [r[0] for r in expected_ssh(records)]
    warnings = [line for line in skipped.err.splitlines() if line.startswith("warning: skipped ")]
    assert len(warnings) == 1 and bad.name in warnings[0]
    assert skipped.err.splitlines()[-1].endswith("1 bad file(s) skipped")
