"""Parquet compaction. Locally: the copy read back with DuckDB holds exactly the records of the text
files (read independently here with gzip and split), with the Parquet types of the reference, in
AWS's Parquet layout; reruns skip complete partitions, redo missing or changed ones, and a write that
dies leaves no file under a final name. On Athena: what crosses the wire to moto parses with sqlglot
into CTAS/INSERT statements of the expected shape (moto runs none of it)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from flowsql.config import AthenaSettings
from flowsql.cost import compact, compact_athena, compact_local
from flowsql.errors import BadFile, ConfigError, LocationError
from flowsql.tables.fields import BY_NAME
from flowsql.tables.spec import TableSpec

V5 = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} "
    "${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${tcp-flags} ${type} "
    "${flow-direction} ${traffic-path}"
)
ACCOUNTS = ("111122223333", "444455556666")


@pytest.fixture(scope="module")
def text_set(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from flowsql.sample.generator import generate

    out = tmp_path_factory.mktemp("text")
    return generate(
        out / "logs",
        days=3,
        end="2024-05-03",
        log_format=V5,
        records=6_000,
        accounts=ACCOUNTS,
        files_per_day=3,
    )


@pytest.fixture
def source(text_set: Any, tmp_path: Path) -> TableSpec:
    """A private copy of the text set, so tests may add, damage or remove files."""
    import shutil

    shutil.copytree(text_set.spec.location, tmp_path / "logs")
    return _spec(tmp_path / "logs")


def _spec(location: Path) -> TableSpec:
    from flowsql.tables.fields import parse_log_format

    return TableSpec(location=str(location), fields=parse_log_format(V5))


# --- independent readers --------------------------------------------------------------------------


def _text_rows(paths: list[Path]) -> Counter[tuple[Any, ...]]:
    """Records of gzip text files as Athena's text table reads them: int columns are ints, '-' is
    None in them; a string column keeps '-'."""
    out: Counter[tuple[Any, ...]] = Counter()
    for path in paths:
        with gzip.open(path, "rt") as fh:
            header = fh.readline().split()
            kinds = [BY_NAME[name].text_type for name in header]
            for line in fh:
                values = line.split()
                assert len(values) == len(header)
                out[
                    tuple(
                        v if k == "string" else None if v == "-" else int(v)
                        for v, k in zip(values, kinds, strict=True)
                    )
                ] += 1
    return out


def _text_by_partition(location: Path) -> dict[tuple[str, str, str], Counter[tuple[Any, ...]]]:
    groups: dict[tuple[str, str, str], list[Path]] = {}
    for path in sorted(location.glob("AWSLogs/*/vpcflowlogs/*/*/*/*/*.log.gz")):
        parts = path.relative_to(location).parts  # AWSLogs, account, vpcflowlogs, region, y, m, d, name
        groups.setdefault((parts[1], parts[3], "-".join(parts[4:7])), []).append(path)
    return {key: _text_rows(paths) for key, paths in groups.items()}


def _parquet_by_partition(dest: Path) -> dict[tuple[str, str, str], Counter[tuple[Any, ...]]]:
    import duckdb

    out: dict[tuple[str, str, str], Counter[tuple[Any, ...]]] = {}
    con = duckdb.connect()
    files = sorted(dest.glob("AWSLogs/*/*/*/*/*/*/*.log.parquet"))
    assert files
    columns = [t[2:-1].replace("-", "_") for t in V5.split()]
    select = ", ".join(f'"{c}"' for c in columns)
    for path in files:
        parts = path.relative_to(dest).parts
        assert parts[0] == "AWSLogs" and parts[2] == "aws-service=vpcflowlogs"
        key = (
            parts[1].removeprefix("aws-account-id="),
            parts[3].removeprefix("aws-region="),
            "-".join(p.split("=")[1] for p in parts[4:7]),
        )
        assert [p.split("=")[0] for p in parts[4:7]] == ["year", "month", "day"]
        rows = con.execute(f"SELECT {select} FROM read_parquet(?)", [str(path)]).fetchall()
        out.setdefault(key, Counter()).update(rows)
    return out


def _final_files(dest: Path) -> list[Path]:
    return sorted(p for p in dest.rglob("*.log.parquet") if not p.name.startswith("."))


# --- local compaction -------------------------------------------------------------------------------


def test_copy_holds_every_record_of_every_partition(source: TableSpec, tmp_path: Path) -> None:
    report = compact_local.compact_local(source, str(tmp_path / "pq"))
    expected = _text_by_partition(Path(source.location))
    assert _parquet_by_partition(tmp_path / "pq") == expected
    assert len(expected) == 2 * 4  # two accounts; three days plus the records that end after midnight
    assert report.rows == sum(sum(c.values()) for c in expected.values())
    assert report.count("written") == len(expected) and report.count("skipped") == 0
    for path in _final_files(tmp_path / "pq"):
        name = path.name
        account = path.parts[-7].removeprefix("aws-account-id=")
        assert name.startswith(f"{account}_vpcflowlogs_us-east-1_fl-") and name.endswith(".log.parquet")


def test_parquet_physical_types_follow_the_reference(source: TableSpec, tmp_path: Path) -> None:
    import duckdb

    compact_local.compact_local(source, str(tmp_path / "pq"))
    path = _final_files(tmp_path / "pq")[0]
    schema = {
        name: (kind, converted)
        for name, kind, converted in duckdb.connect()
        .execute(
            "SELECT name, type, converted_type FROM parquet_schema(?) WHERE type IS NOT NULL", [str(path)]
        )
        .fetchall()
    }
    int32 = {"version", "srcport", "dstport", "protocol", "tcp_flags", "traffic_path"}
    int64 = {"packets", "bytes", "start", "end"}
    strings = {
        "account_id",
        "interface_id",
        "srcaddr",
        "dstaddr",
        "action",
        "log_status",
        "vpc_id",
        "type",
        "flow_direction",
    }
    assert set(schema) == int32 | int64 | strings
    assert {n for n, (k, _) in schema.items() if k == "INT32"} == int32
    assert {n for n, (k, _) in schema.items() if k == "INT64"} == int64
    assert all(schema[n] == ("BYTE_ARRAY", "UTF8") for n in strings)


def test_rerun_skips_complete_partitions_and_redoes_a_missing_one(source: TableSpec, tmp_path: Path) -> None:
    dest = tmp_path / "pq"
    compact_local.compact_local(source, str(dest))
    files = _final_files(dest)
    before = {p: p.stat().st_ino for p in files}
    files[2].unlink()
    report = compact_local.compact_local(source, str(dest))
    assert report.count("written", "rewritten") == 1 and report.count("skipped") == len(files) - 1
    assert [r.partition.label for r in report.results if r.status != "skipped"] == [
        r.partition.label for r in report.results if files[2].as_posix() in r.files
    ]
    after = _final_files(dest)
    assert after == files
    assert all(p.stat().st_ino == before[p] for p in after if p != files[2])
    assert _parquet_by_partition(dest) == _text_by_partition(Path(source.location))


def test_a_file_whose_row_count_disagrees_is_rewritten(source: TableSpec, tmp_path: Path) -> None:
    import duckdb

    dest = tmp_path / "pq"
    compact_local.compact_local(source, str(dest))
    victim = _final_files(dest)[0]
    # Same name, fewer rows: what a copy damaged by hand would look like.
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_parquet('{victim}') LIMIT 5) TO '{victim}.x' (FORMAT parquet)")
    os.replace(f"{victim}.x", victim)
    report = compact_local.compact_local(source, str(dest))
    assert report.count("rewritten") == 1
    assert _parquet_by_partition(dest) == _text_by_partition(Path(source.location))


def test_a_partition_that_gained_files_is_rewritten(source: TableSpec, tmp_path: Path) -> None:
    dest = tmp_path / "pq"
    compact_local.compact_local(source, str(dest))
    old = set(_final_files(dest))
    text = sorted(Path(source.location).rglob("*.log.gz"))[0]
    newcomer = text.with_name(text.name.replace("T00", "T23"))
    newcomer.write_bytes(text.read_bytes())
    report = compact_local.compact_local(source, str(dest))
    assert report.count("rewritten") == 1
    new = set(_final_files(dest))
    assert len(new - old) == 1 and len(old - new) == 1  # the stale file is gone, not left beside
    assert _parquet_by_partition(dest) == _text_by_partition(Path(source.location))


def test_a_bad_text_file_stops_with_its_name_and_leaves_no_final_file(
    source: TableSpec, tmp_path: Path
) -> None:
    text = sorted(Path(source.location).rglob("*.log.gz"))
    victim = text[-1]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    with pytest.raises(BadFile) as info:
        compact_local.compact_local(source, str(tmp_path / "pq"))
    assert str(victim) in str(info.value)
    account, region, year, month, day = victim.parts[-7], *victim.parts[-5:-1]
    partition = (
        tmp_path / "pq" / "AWSLogs" / f"aws-account-id={account}" / "aws-service=vpcflowlogs"
        / f"aws-region={region}" / f"year={year}" / f"month={month}" / f"day={day}"
    )  # fmt: skip
    assert partition.is_dir()  # the write had begun there
    assert not [p.name for p in partition.iterdir()]


_KILLER = """
import os, signal, sys
from flowsql.cost import compact, compact_athena, compact_local
from flowsql.tables.fields import parse_log_format
from flowsql.tables.spec import TableSpec

real_replace = os.replace
renamed = []

def replace(src, dst):
    if dst.endswith(".log.parquet"):
        if len(renamed) == 2:
            os.kill(os.getpid(), signal.SIGKILL)  # the worst moment: a whole file, not yet renamed
        renamed.append(dst)
    return real_replace(src, dst)

compact_local.os.replace = replace
spec = TableSpec(location=sys.argv[1], fields=parse_log_format(sys.argv[3]))
compact_local.compact_local(spec, sys.argv[2])
"""


def test_a_killed_run_leaves_no_half_file_and_the_rerun_finishes(source: TableSpec, tmp_path: Path) -> None:
    dest = tmp_path / "pq"
    done = subprocess.run(
        [sys.executable, "-c", _KILLER, source.location, str(dest), V5], capture_output=True, timeout=120
    )
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    finals = _final_files(dest)
    hidden = [p for p in dest.rglob(".*") if p.is_file()]
    assert len(finals) == 2 and len(hidden) == 1
    assert hidden[0].name.startswith(".") and compact.TMP_MARK in hidden[0].name
    assert not (hidden[0].parent / hidden[0].name[1:].split(compact.TMP_MARK)[0]).exists()
    report = compact_local.compact_local(source, str(dest))
    assert report.count("skipped") == 2
    assert not [p for p in dest.rglob(".*") if p.is_file()]
    assert _parquet_by_partition(dest) == _text_by_partition(Path(source.location))


def test_days_limit_the_partitions(source: TableSpec, tmp_path: Path) -> None:
    report = compact_local.compact_local(
        source, str(tmp_path / "pq"), days=(date(2024, 5, 2), date(2024, 5, 3))
    )
    assert sorted({r.partition.day for r in report.results}) == [date(2024, 5, 2), date(2024, 5, 3)]
    assert len(report.results) == 4


def test_local_refusals(source: TableSpec, tmp_path: Path) -> None:
    with pytest.raises(LocationError, match="s3://"):
        compact_local.compact_local(source, "s3://bucket/pq")
    with pytest.raises(ConfigError, match="differ"):
        compact_local.compact_local(source, source.location)
    (tmp_path / "empty" / "AWSLogs").mkdir(parents=True)
    with pytest.raises(LocationError, match="no text flow-log files"):
        compact_local.compact_local(_spec(tmp_path / "empty"), str(tmp_path / "pq"))
    with pytest.raises(ConfigError, match="compression"):
        compact_local.compact_local(source, str(tmp_path / "pq"), compression="brotli")


def test_cli_compact_prints_the_table_options_of_the_copy(
    source: TableSpec, tmp_path: Path, flowsql_cli, workdir
) -> None:
    dest = tmp_path / "pq"
    got = flowsql_cli("compact", "--location", source.location, "--log-format", V5, "--to", str(dest))
    assert got.code == 0, got
    assert "--layout hive --file-format parquet" in got.out
    again = flowsql_cli("compact", "--location", source.location, "--log-format", V5, "--to", str(dest))
    assert again.code == 0 and "0 written, 8 already complete" in again.err + again.out


# --- Athena -------------------------------------------------------------------------------------------


def _athena_spec(hourly: bool = False, accounts: tuple[str, ...] = (*ACCOUNTS, "777788889999")) -> TableSpec:
    from flowsql.tables.fields import parse_log_format

    return TableSpec(
        location="s3://logs-bucket/flows",
        fields=parse_log_format(V5),
        accounts=accounts,
        regions=("us-east-1", "eu-west-1"),
        hourly=hourly,
    )


def _parse(sql: str) -> Any:
    import sqlglot

    trees = sqlglot.parse(sql, read="athena")
    assert len(trees) == 1
    return trees[0]


def _in_values(tree: Any, column: str) -> list[str]:
    from sqlglot import exp

    found = [n for n in tree.find_all(exp.In) if n.this.name == column]
    assert len(found) == 1, column
    return [e.name for e in found[0].expressions]


def _check_shape(sql: str, kind: str, spec: TableSpec) -> tuple[list[str], list[str], list[str]]:
    from sqlglot import exp

    tree = _parse(sql)
    select = tree.expression
    if kind == "ctas":
        assert isinstance(tree, exp.Create) and tree.kind == "TABLE"
        assert tree.this.sql("athena") == '"vpc_flow_logs"."flow_logs_parquet"'
        props = {
            p.name if not isinstance(p, exp.Property) else p.this.name: p
            for p in tree.find(exp.Properties).expressions
        }
        fmt = tree.find(exp.FileFormatProperty)
        assert fmt is not None and fmt.this.name.upper() == "PARQUET"
        assert props["external_location"].args["value"].name == "s3://dest-bucket/pq/AWSLogs/"
        part = tree.find(exp.PartitionedByProperty)
        assert [e.name for e in part.this.expressions] == list(spec.partition_columns)
    else:
        assert isinstance(tree, exp.Insert)
        assert tree.this.sql("athena") == '"vpc_flow_logs"."flow_logs_parquet"'
    assert isinstance(select, exp.Select)
    assert select.find(exp.From).this.sql("athena") == '"vpc_flow_logs"."flow_logs"'
    names = [e.alias_or_name for e in select.expressions]
    assert names == [*spec.columns, *spec.partition_columns]
    casts = {
        e.alias_or_name: e.this.to.sql("athena")
        for e in select.expressions
        if isinstance(e, exp.Alias) and isinstance(e.this, exp.Cast)
    }
    assert casts == {"protocol": "INTEGER"}
    return (
        _in_values(select, "date_partition"),
        _in_values(select, "account_partition"),
        _in_values(select, "region_partition"),
    )


@pytest.mark.parametrize("hourly", [False, True])
def test_athena_batches_cover_every_partition_once_within_the_limit(hourly: bool) -> None:
    spec = _athena_spec(hourly)
    target, batches = compact_athena.athena_batches(
        spec, "s3://dest-bucket/pq", date(2024, 4, 1), date(2024, 5, 10)
    )
    assert target.file_format.value == "parquet" and target.table == "flow_logs_parquet"
    assert [b.kind for b in batches] == ["ctas"] + ["insert"] * (len(batches) - 1)
    seen: Counter[tuple[str, str, str]] = Counter()
    for batch in batches:
        days, accounts, regions = _check_shape(batch.sql, batch.kind, spec)
        assert len(days) * len(accounts) * len(regions) * (24 if hourly else 1) <= 100
        seen.update((d, a, r) for d in days for a in accounts for r in regions)
    every = {
        (f"2024/{m:02d}/{d:02d}", a, r)
        for m, d in [(4, d) for d in range(1, 31)] + [(5, d) for d in range(1, 11)]
        for a in spec.accounts
        for r in spec.regions
    }
    assert set(seen) == every and set(seen.values()) == {1}
    if not hourly:
        assert len(batches) == 3  # 6 partitions a day: 16 days per statement
    else:
        assert len(batches) == 40 * 2  # 3 accounts × 2 regions × 24 hours a day: two statements a day


def test_athena_compaction_sends_the_statements_to_athena(moto) -> None:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="results")
    s3.create_bucket(Bucket="dest-bucket")
    settings = AthenaSettings(region="us-east-1", output_location="s3://results/out/")
    spec = _athena_spec()
    target, done = compact_athena.compact_athena(
        spec, "s3://dest-bucket/pq", settings, date(2024, 5, 1), date(2024, 5, 20)
    )
    assert len(done) == 2
    athena = moto.client("athena")
    spans = []
    for batch, rows in done:
        sent = athena.get_query_execution(QueryExecutionId=rows.stats.execution_id)["QueryExecution"]["Query"]
        days, _, _ = _check_shape(sent, batch.kind, spec)
        spans.append(days)
    assert [d for span in spans for d in span] == [f"2024/05/{d:02d}" for d in range(1, 21)]
    # the options of the table the CTAS made
    assert compact.table_options_text(target).startswith(
        "--location s3://dest-bucket/pq/ --table flow_logs_parquet"
    )


def test_athena_compaction_refuses_a_location_that_is_not_empty(moto) -> None:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="results")
    s3.create_bucket(Bucket="dest-bucket")
    s3.put_object(Bucket="dest-bucket", Key="pq/AWSLogs/old.parquet", Body=b"x")
    settings = AthenaSettings(region="us-east-1", output_location="s3://results/out/")
    with pytest.raises(LocationError, match="not empty"):
        compact_athena.compact_athena(
            _athena_spec(), "s3://dest-bucket/pq", settings, date(2024, 5, 1), date(2024, 5, 2)
        )
    assert not moto.client("athena").list_query_executions()["QueryExecutionIds"]


def test_cli_athena_dry_run_prints_validated_statements(flowsql_cli, workdir) -> None:
    got = flowsql_cli(
        "compact", "--engine", "athena", "--location", "s3://logs-bucket/flows", "--accounts", "111122223333",
        "--regions", "us-east-1", "--to", "s3://dest-bucket/pq", "--start", "2024-05-01", "--end", "2024-05-04",
        "--dry-run",
    )  # fmt: skip
    assert got.code == 0, got
    assert "compacting days 2024-05-01 … 2024-05-03 (UTC)" in got.err  # --end is exclusive, as on run
    import sqlglot
    from sqlglot import exp

    parsed = sqlglot.parse(got.out, read="athena")
    statements = [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]
    assert [type(s).__name__ for s in statements] == ["Create"]
    assert json.dumps(_in_values(statements[0].expression, "date_partition")) == json.dumps(
        ["2024/05/01", "2024/05/02", "2024/05/03"]
    )
