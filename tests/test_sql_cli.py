"""Ad-hoc SQL from the shell (`flowsql sql`), `run --limit`, `--output FILE`, and `run` without a name.
Answers are checked against plain-Python counts over the records read back from the files."""

from __future__ import annotations

import collections
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from athena_fakes import inject
from cli_process import flowsql, start_bounds
from sqlglot import exp

from flowsql.sample import generator as sample

UTC = timezone.utc
BY_ACTION = (
    "SELECT action, count(*) AS flows, sum(bytes) AS bytes FROM flow_logs GROUP BY action ORDER BY action"
)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleSet:
    return sample.generate(tmp_path_factory.mktemp("sql"), days=2, end="2024-05-02", records=3000)


def by_action(
    records: list[dict[str, Any]], low: int | None = None, high: int | None = None
) -> list[dict[str, Any]]:
    """The oracle: flows and bytes per action over the records whose start is in [low, high). The
    text table reads a '-' action (NODATA/SKIPDATA) as the string '-' (the records hold None)."""
    flows: collections.Counter[Any] = collections.Counter()
    size: dict[Any, int | None] = {}
    for r in records:
        if low is not None and not (low <= r["start"] < (high or 0)):
            continue
        action = "-" if r["action"] is None else r["action"]
        flows[action] += 1
        if r["bytes"] is not None:
            size[action] = (size.get(action) or 0) + r["bytes"]
        else:
            size.setdefault(action, None)
    order = sorted(flows, key=lambda a: (a is None, a))
    return [{"action": a, "flows": flows[a], "bytes": size[a]} for a in order]


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_sql_with_a_window_answers_for_that_window(logs: sample.SampleSet, tmp_path: Path) -> None:
    done = flowsql(
        "sql", BY_ACTION, "--location", str(logs.spec.location), "--start", "2024-05-02", "--format", "json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    expected = by_action(logs.records, epoch("2024-05-02"), epoch("2024-05-03"))
    assert json.loads(done.stdout) == expected
    assert sum(r["flows"] for r in expected) < len(logs.records)  # the window really cut something
    assert "window 2024-05-02 00:00 → 2024-05-03 00:00 UTC" in done.stderr


def test_sql_without_a_window_says_it_is_unbounded(logs: sample.SampleSet, tmp_path: Path) -> None:
    query = tmp_path / "by_action.sql"
    query.write_text(BY_ACTION + "\n")
    done = flowsql(
        "sql", "-f", str(query), "--location", str(logs.spec.location), "--format", "json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == by_action(logs.records)
    assert "unbounded" in done.stderr


def test_sql_is_checked_like_an_investigation(logs: sample.SampleSet, tmp_path: Path) -> None:
    location = ["--location", str(logs.spec.location)]
    typo = flowsql("sql", "SELECT srcadr FROM flow_logs", *location, "--last", "1h", cwd=tmp_path)
    assert typo.returncode == 1 and "srcadr" in typo.stderr and "Traceback" not in typo.stderr
    write = flowsql("sql", "DROP TABLE flow_logs", *location, cwd=tmp_path)
    assert write.returncode == 1 and "only a read-only SELECT" in write.stderr
    neither = flowsql("sql", *location, cwd=tmp_path)
    assert neither.returncode == 2 and "sql needs a statement" in neither.stderr


@pytest.fixture
def athena(moto: Any, workdir: Path) -> list[str]:
    moto.client("s3").create_bucket(Bucket="results")
    return [
        "--engine", "athena", "--location", "s3://flow-logs-bucket/", "--accounts", "111122223333",
        "--regions", "us-east-1", "--region", "us-east-1", "--output-location", "s3://results/flowsql/",
    ]  # fmt: skip


def test_sql_on_athena_sends_the_window_as_the_statements_bounds(
    moto: Any, athena: list[str], workdir: Path
) -> None:
    inject(moto, [("action", "varchar"), ("flows", "bigint")], [["ACCEPT", "5"]])
    query = "SELECT f.action, count(*) AS flows FROM flow_logs AS f GROUP BY f.action"
    done = flowsql("sql", query, *athena, "--start", "2024-05-01", "--end", "2024-05-03", cwd=workdir)
    assert done.returncode == 0, done.stderr
    ids = moto.client("athena").list_query_executions()["QueryExecutionIds"]
    sent = moto.client("athena").get_query_execution(QueryExecutionId=ids[0])["QueryExecution"]["Query"]
    assert start_bounds(sent) == [(epoch("2024-05-01"), epoch("2024-05-03"))]
    tree = sqlglot.parse_one(sent, read="athena")
    subquery = next(tree.find_all(exp.Subquery))
    assert subquery.alias == "f" and subquery.find(exp.Table).name == "flow_logs"
    between = next(tree.find_all(exp.Between))
    assert between.this.name == "date_partition"
    assert (between.args["low"].this, between.args["high"].this) == ("2024/05/01", "2024/05/03")


def test_unbounded_sql_on_athena_needs_max_scan_or_yes(moto: Any, athena: list[str], workdir: Path) -> None:
    refused = flowsql("sql", "SELECT count(*) AS n FROM flow_logs", *athena, cwd=workdir)
    assert refused.returncode == 3
    assert "unbounded" in refused.stderr and "--yes" in refused.stderr and "--max-scan" in refused.stderr
    assert moto.client("athena").list_query_executions()["QueryExecutionIds"] == []
    inject(moto, [("n", "bigint")], [["7"]])
    done = flowsql(
        "sql", "SELECT count(*) AS n FROM flow_logs", *athena, "--yes", "--format", "json", cwd=workdir
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"n": 7}]
    # --max-scan counts every object under the location: an empty bucket is within any limit
    moto.client("s3").create_bucket(Bucket="flow-logs-bucket")
    moto.client("s3").put_object(Bucket="flow-logs-bucket", Key="AWSLogs/x.log.gz", Body=b"x" * 2000)
    capped = flowsql("sql", "SELECT count(*) AS n FROM flow_logs", *athena, "--max-scan", "1KB", cwd=workdir)
    assert capped.returncode == 3 and "2,000 bytes" in capped.stderr


def test_run_limit_and_output_file(logs: sample.SampleSet, tmp_path: Path) -> None:
    location = ["--location", str(logs.spec.location), "--start", "2024-05-01", "--last", "2d"]
    out = tmp_path / "top.json"
    done = flowsql(
        "run",
        "top_talkers",
        *location,
        "--limit",
        "2",
        "--format",
        "json",
        "--output",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    rows = json.loads(out.read_text())
    full = json.loads(flowsql("run", "top_talkers", *location, "--format", "json", cwd=tmp_path).stdout)
    assert len(rows) == 2 and rows == full[:2]


def test_limit_on_an_investigation_without_one(logs: sample.SampleSet, tmp_path: Path) -> None:
    done = flowsql(
        "run", "traffic_by_hour", "--location", str(logs.spec.location), "--limit", "5", cwd=tmp_path
    )
    assert done.returncode == 2
    assert "traffic_by_hour has no limit parameter" in done.stderr and "Traceback" not in done.stderr


def test_run_without_a_name_points_to_list(tmp_path: Path) -> None:
    done = flowsql("run", cwd=tmp_path)
    assert done.returncode == 2
    assert "flowsql list" in done.stderr
