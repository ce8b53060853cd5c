"""`flowsql doctor`: each fault seeded in a local folder or in moto's S3 (and Glue) is reported with
its evidence and its fix; a healthy table gets no finding and exit status 0. The files are written
here with gzip and DuckDB directly, not with flowsql's sample generator."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flowsql.tables import fields

V2 = " ".join(fields.DEFAULT_FORMAT)
V3 = V2 + " vpc-id subnet-id tcp-flags"
A1, A2 = "111122223333", "444455556666"
BUCKET = "doctor-bucket"


def key(
    day: str, *, account: str = A1, region: str = "us-east-1", layout: str = "aws", hour: int | None = None,
    suffix: str = ".log.gz", minute: int = 5,
) -> str:  # fmt: skip
    y, m, d = day.split("-")
    hh = f"{hour:02d}" if hour is not None else "00"
    if layout == "aws":
        folder = f"AWSLogs/{account}/vpcflowlogs/{region}/{y}/{m}/{d}/" + (
            f"{hh}/" if hour is not None else ""
        )
    else:
        folder = (
            f"AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/"
            f"year={y}/month={m}/day={d}/" + (f"hour={hh}/" if hour is not None else "")
        )
    return f"{folder}{account}_vpcflowlogs_{region}_fl-1_{y}{m}{d}T{hh}{minute:02d}Z_{abs(hash(folder)) % 10**8:08d}{suffix}"


def text_body(header: str, rows: int = 2) -> bytes:
    names = header.split()
    lines = [header] + [" ".join("1" if n != "log-status" else "OK" for n in names) for _ in range(rows)]
    return gzip.compress(("\n".join(lines) + "\n").encode())


def parquet_body(tmp: Path, columns: dict[str, str]) -> bytes:
    path = tmp / f"p{len(list(tmp.glob('*.parquet')))}.parquet"
    select = ", ".join(f"CAST(1 AS {kind}) AS {name}" for name, kind in columns.items())
    duckdb.sql(f"COPY (SELECT {select}) TO '{path}' (FORMAT parquet)")
    return path.read_bytes()


def put_local(root: Path, rel: str, body: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def doctor(flowsql_cli: Any, *args: str) -> tuple[int, dict[str, Any]]:
    result = flowsql_cli("doctor", *args, "--format", "json")
    assert "Traceback" not in result.err, result
    assert result.code in (0, 1), result
    return result.code, json.loads(result.out)


def codes(report: dict[str, Any]) -> list[str]:
    return [f["code"] for f in report["findings"]]


def only(report: dict[str, Any], code: str) -> dict[str, Any]:
    found = [f for f in report["findings"] if f["code"] == code]
    assert len(found) == 1, report["findings"]
    return found[0]


@pytest.fixture(autouse=True)
def _results(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where Athena writes results (init asks for one on S3; tests/test_first_contact.py checks that)."""
    monkeypatch.setenv("AWS_ATHENA_S3_STAGING_DIR", f"s3://{BUCKET}/athena-results/")


DAYS = ("2024-05-01", "2024-05-02", "2024-05-03")
LOCAL_OPTS = ("--accounts", A1, "--regions", "us-east-1", "--start-date", "2024-05-01")


@pytest.fixture
def healthy(tmp_path: Path, workdir: Path) -> Path:
    root = tmp_path / "logs"
    for day in DAYS:
        put_local(root, key(day), text_body(V2))
    return root


def test_a_healthy_local_table_has_no_finding(healthy: Path, flowsql_cli: Any) -> None:
    code, report = doctor(flowsql_cli, "--location", str(healthy), *LOCAL_OPTS)
    assert (code, report["findings"], report["healthy"], report["objects"]) == (0, [], True, 3)
    text = flowsql_cli("doctor", "--location", str(healthy), *LOCAL_OPTS)
    assert text.code == 0 and "healthy: the table matches its objects" in text.out


def test_layout_and_hourly_of_the_objects_differ(tmp_path: Path, workdir: Path, flowsql_cli: Any) -> None:
    root = tmp_path / "logs"
    for day in DAYS:
        put_local(root, key(day, layout="hive", hour=7), text_body(V2))
    code, report = doctor(flowsql_cli, "--location", str(root), *LOCAL_OPTS)
    assert code == 1 and codes(report) == ["layout"]
    finding = only(report, "layout")
    assert "Hive-compatible prefixes (the table reads AWS default prefixes)" in finding["message"]
    assert "hourly folders (the table reads daily)" in finding["message"]
    assert finding["fix"] == "flowsql init --layout hive --hourly"
    assert (
        "aws-account-id=111122223333" in finding["evidence"][0]
        and "day=03/hour=07/" in finding["evidence"][0]
    )
    # the fix works: with those options the doctor has nothing to say
    fixed = doctor(flowsql_cli, "--location", str(root), *LOCAL_OPTS, "--layout", "hive", "--hourly")
    assert fixed == (0, fixed[1]) and fixed[1]["findings"] == []


def test_file_format_of_the_objects_differs(tmp_path: Path, workdir: Path, flowsql_cli: Any) -> None:
    root = tmp_path / "logs"
    columns = {f.column: {"int": "INTEGER", "bigint": "BIGINT"}.get(f.parquet_type, "VARCHAR")
               for f in map(fields.lookup, fields.DEFAULT_FORMAT)}  # fmt: skip
    for day in DAYS:
        put_local(root, key(day, suffix=".log.parquet"), parquet_body(tmp_path, columns))
    code, report = doctor(flowsql_cli, "--location", str(root), *LOCAL_OPTS)
    assert code == 1 and only(report, "layout")["fix"] == "flowsql init --file-format parquet"
    assert "parquet files (the table reads text)" in only(report, "layout")["message"]
    fixed = doctor(flowsql_cli, "--location", str(root), *LOCAL_OPTS, "--file-format", "parquet")
    assert fixed[0] == 0 and fixed[1]["findings"] == []


def test_header_lines_differ_from_the_columns(tmp_path: Path, workdir: Path, flowsql_cli: Any) -> None:
    root = tmp_path / "logs"
    for day in DAYS:
        put_local(root, key(day), text_body(V3))
    code, report = doctor(flowsql_cli, "--location", str(root), *LOCAL_OPTS)
    finding = only(report, "header")
    assert code == 1 and codes(report) == ["header"]
    v3_format = fields.format_string(map(fields.lookup, V3.split()))
    assert finding["fix"] == f"flowsql init --log-format '{v3_format}'"
    assert finding["evidence"][0] == f"the table's columns, in order: {V2}"
    assert (
        finding["evidence"][1].endswith("\n" + V3) and str(root / key("2024-05-01")) in finding["evidence"][1]
    )


def test_two_formats_under_one_prefix_and_where_they_change(
    tmp_path: Path, workdir: Path, flowsql_cli: Any
) -> None:
    root = tmp_path / "logs"
    days = [f"2024-05-{d:02d}" for d in range(1, 21)]
    for day in days:
        put_local(root, key(day), text_body(V2 if day < "2024-05-14" else V3))
    code, report = doctor(flowsql_cli, "--location", str(root), *LOCAL_OPTS)
    finding = only(report, "formats")
    assert code == 1 and "the files hold 2 log formats" in finding["message"]
    matches = next(e for e in finding["evidence"] if e.startswith("matches:"))
    differs = next(e for e in finding["evidence"] if e.startswith("differs:"))
    # the bisection found the last file of the old format and the first of the new one
    assert "… 2024/05/13" in matches and matches.endswith("\n" + V2)
    assert str(root / key("2024-05-14")) in differs and "2024/05/14 … 2024/05/20" in differs
    assert "one table per format" in finding["fix"] and "Parquet" in finding["fix"]


def test_a_file_that_is_not_a_flow_log(tmp_path: Path, workdir: Path, flowsql_cli: Any) -> None:
    root = tmp_path / "logs"
    put_local(root, key("2024-05-01"), text_body(V2))
    put_local(root, key("2024-05-02"), gzip.compress(b"<html>not a log</html>\n"))
    code, report = doctor(flowsql_cli, "--location", str(root), *LOCAL_OPTS)
    assert code == 1 and "not a flow-log header" in only(report, "header")["message"]
    assert "'<html>not a log</html>'" in only(report, "header")["evidence"][0]


def test_projection_start_and_missing_accounts_and_regions(
    tmp_path: Path, workdir: Path, flowsql_cli: Any
) -> None:
    root = tmp_path / "logs"
    for day in DAYS:
        put_local(root, key(day), text_body(V2))
    put_local(root, key("2024-05-02", account=A2, region="eu-west-1"), text_body(V2))
    code, report = doctor(
        flowsql_cli, "--location", str(root), "--accounts", A1, "--regions", "us-east-1",
        "--start-date", "2024-05-02",
    )  # fmt: skip
    assert code == 1 and sorted(codes(report)) == [
        "projection-accounts",
        "projection-regions",
        "projection-start",
    ]
    assert only(report, "projection-accounts")["fix"] == f"flowsql init --accounts {A1},{A2}"
    assert only(report, "projection-regions")["fix"] == "flowsql init --regions eu-west-1,us-east-1"
    assert f"account {A2}: {root}/AWSLogs/{A2}/" in only(report, "projection-accounts")["evidence"][0]
    start = only(report, "projection-start")
    assert start["fix"] == "flowsql init --start-date 2024-05-01"
    assert start["evidence"][0].startswith("date_partition 2024/05/01: ")


def test_empty_location_and_flow_logs_elsewhere(tmp_path: Path, workdir: Path, flowsql_cli: Any) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, report = doctor(flowsql_cli, "--location", str(empty), *LOCAL_OPTS)
    assert code == 1 and codes(report) == ["empty-location"]
    nested = tmp_path / "synced" / "vpc"
    put_local(nested, key("2024-05-01"), text_body(V2))
    code, report = doctor(flowsql_cli, "--location", str(tmp_path / "synced"), *LOCAL_OPTS)
    finding = only(report, "location")
    assert code == 1 and finding["fix"] == f"flowsql init --location {nested}"


def test_recent_objects_are_a_note_that_does_not_fail(
    tmp_path: Path, workdir: Path, flowsql_cli: Any
) -> None:
    root = tmp_path / "logs"
    now = datetime.now(timezone.utc) - timedelta(minutes=10)
    day = now.strftime("%Y-%m-%d")
    put_local(root, key(day, hour=None, minute=0).replace("T0000Z", now.strftime("T%H%MZ")), text_body(V2))
    code, report = doctor(flowsql_cli, "--location", str(root), *LOCAL_OPTS)
    finding = only(report, "delivery-lag")
    assert code == 0 and finding["severity"] == "note" and "-p end=" in finding["fix"]


def test_parquet_types_against_the_table_and_between_files(
    tmp_path: Path, workdir: Path, flowsql_cli: Any
) -> None:
    root = tmp_path / "logs"
    right = {f.column: {"int": "INTEGER", "bigint": "BIGINT"}.get(f.parquet_type, "VARCHAR")
             for f in map(fields.lookup, fields.DEFAULT_FORMAT)}  # fmt: skip
    wide_protocol = {**right, "protocol": "BIGINT"}  # the text DDL's type, wrong for Parquet
    opts = ("--location", str(root), *LOCAL_OPTS, "--file-format", "parquet")
    for day in DAYS:
        put_local(root, key(day, suffix=".log.parquet"), parquet_body(tmp_path, wide_protocol))
    code, report = doctor(flowsql_cli, *opts)
    finding = only(report, "parquet-type")
    assert code == 1 and "protocol is declared int but the files hold bigint" in finding["message"]
    assert finding["evidence"][0].endswith(": protocol bigint")
    # one file with another type for bytes: the files disagree
    put_local(
        root,
        key("2024-05-02", suffix=".log.parquet"),
        parquet_body(tmp_path, {**wide_protocol, "bytes": "INTEGER"}),
    )
    code, report = doctor(flowsql_cli, *opts)
    assert (
        "column bytes has different types in different files: bigint, int"
        in only(report, "parquet-files-differ")["message"]
    )


# --- S3 and Glue (moto) -------------------------------------------------------------------------


@pytest.fixture
def bucket(moto: Any) -> Any:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for day in DAYS:
        for region in ("us-east-1", "eu-west-1"):
            s3.put_object(Bucket=BUCKET, Key="logs/" + key(day, region=region), Body=text_body(V2))
    return s3


def test_a_healthy_s3_table_made_by_init(bucket: Any, workdir: Path, flowsql_cli: Any) -> None:
    made = flowsql_cli("init", "--location", f"s3://{BUCKET}/logs/", "--start-date", "2024-05-01")
    assert made.code == 0, made
    code, report = doctor(flowsql_cli)
    assert (code, report["findings"], report["objects"]) == (0, [], 6)
    glue = doctor(flowsql_cli, "--database", "vpc_flow_logs", "--table", "flow_logs")
    assert glue[0] == 0 and glue[1]["source"] == "Glue table vpc_flow_logs.flow_logs"


def test_s3_location_points_beside_the_objects(bucket: Any, workdir: Path, flowsql_cli: Any) -> None:
    code, report = doctor(flowsql_cli, "--location", f"s3://{BUCKET}/elsewhere/", *LOCAL_OPTS)
    finding = only(report, "location")
    assert code == 1 and finding["fix"] == f"flowsql init --location s3://{BUCKET}/logs --replace"
    assert finding["evidence"][0].startswith(f"s3://{BUCKET}/logs/AWSLogs/{A1}/vpcflowlogs/")


def test_s3_layout_mismatch(bucket: Any, workdir: Path, flowsql_cli: Any) -> None:
    code, report = doctor(
        flowsql_cli, "--location", f"s3://{BUCKET}/logs/", "--layout", "hive", "--accounts", A1,
        "--regions", "us-east-1,eu-west-1", "--start-date", "2024-05-01",
    )  # fmt: skip
    assert code == 1 and codes(report) == ["layout"]
    assert only(report, "layout")["fix"] == "flowsql init --layout aws --replace"


def test_classic_partitions_missing_and_pointing_at_nothing(
    bucket: Any, moto: Any, workdir: Path, flowsql_cli: Any
) -> None:
    base = ("--location", f"s3://{BUCKET}/logs/", "--partitioning", "partitions")
    assert flowsql_cli("init", *base, "--accounts", A1, "--regions", "us-east-1,eu-west-1").code == 0
    added = flowsql_cli("partitions", "add", "--start", "2024-05-01", "--end", "2024-05-01")
    assert added.code == 0, added
    glue = moto.client("glue")
    sd = glue.get_table(DatabaseName="vpc_flow_logs", Name="flow_logs")["Table"]["StorageDescriptor"]
    ghost = f"s3://{BUCKET}/logs/AWSLogs/{A1}/vpcflowlogs/us-east-1/2024/04/30/"
    glue.create_partition(
        DatabaseName="vpc_flow_logs",
        TableName="flow_logs",
        PartitionInput={
            "Values": [A1, "us-east-1", "2024/04/30"],
            "StorageDescriptor": {**sd, "Location": ghost},
        },
    )
    code, report = doctor(flowsql_cli)
    assert code == 1 and sorted(codes(report)) == ["partitions-empty", "partitions-missing"]
    missing = only(report, "partitions-missing")
    assert "4 folder(s) with objects have no partition" in missing["message"]
    assert missing["fix"] == "flowsql partitions add --start 2024-05-02 --end 2024-05-03"
    empty = only(report, "partitions-empty")
    assert empty["evidence"] == [f"partition ({A1}, us-east-1, 2024/04/30) -> {ghost}"]
    assert "batch-delete-partition --database-name vpc_flow_logs --table-name flow_logs" in empty["fix"]
    # after the fix, only the ghost partition is left
    assert flowsql_cli("partitions", "add", "--start", "2024-05-02", "--end", "2024-05-03").code == 0
    assert codes(doctor(flowsql_cli)[1]) == ["partitions-empty"]


def _foreign_table(glue: Any, template: str, regions: str) -> None:
    """A table the way AWS's Athena guide writes one: partitions region and day, its own template."""
    glue.create_database(DatabaseInput={"Name": "mine"})
    columns = [{"Name": f.column, "Type": f.text_type} for f in map(fields.lookup, fields.DEFAULT_FORMAT)]
    glue.create_table(
        DatabaseName="mine",
        TableInput={
            "Name": "vpc_logs",
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": [{"Name": "region", "Type": "string"}, {"Name": "day", "Type": "string"}],
            "Parameters": {
                "skip.header.line.count": "1",
                "projection.enabled": "true",
                "projection.region.type": "enum",
                "projection.region.values": regions,
                "projection.day.type": "date",
                "projection.day.range": "2024/05/01,NOW",
                "projection.day.format": "yyyy/MM/dd",
                "storage.location.template": template,
            },
            "StorageDescriptor": {
                "Columns": columns,
                "Location": f"s3://{BUCKET}/logs/AWSLogs/{A1}/vpcflowlogs/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"},
            },
        },
    )


def test_a_glue_table_not_made_by_flowsql(bucket: Any, moto: Any, workdir: Path, flowsql_cli: Any) -> None:
    good = f"s3://{BUCKET}/logs/AWSLogs/{A1}/vpcflowlogs/${{region}}/${{day}}"
    _foreign_table(moto.client("glue"), good, "us-east-1")
    code, report = doctor(flowsql_cli, "--database", "mine", "--table", "vpc_logs")
    assert code == 1 and codes(report) == ["projection-regions"]
    finding = only(report, "projection-regions")
    assert "(region: us-east-1)" in finding["message"]
    assert (
        finding["fix"]
        == "flowsql init --database mine --table vpc_logs --regions eu-west-1,us-east-1 --replace"
    )


def test_a_template_that_resolves_to_nothing(bucket: Any, moto: Any, workdir: Path, flowsql_cli: Any) -> None:
    wrong = f"s3://{BUCKET}/logs/AWSLogs/{A1}/${{region}}/${{day}}"  # vpcflowlogs/ left out
    _foreign_table(moto.client("glue"), wrong, "us-east-1,eu-west-1")
    code, report = doctor(flowsql_cli, "--database", "mine", "--table", "vpc_logs")
    finding = only(report, "template")
    assert code == 1 and codes(report) == ["template"]
    evidence = finding["evidence"][0].split("\n")
    assert evidence[0] == f"template {wrong}"
    assert evidence[1].startswith(f"filled for s3://{BUCKET}/logs/AWSLogs/{A1}/vpcflowlogs/")
    assert (
        evidence[2].startswith(f"s3://{BUCKET}/logs/AWSLogs/{A1}/")
        and "/2024/05/03  (no such prefix)" in evidence[2]
    )
    assert "(no such prefix)" in evidence[2]
    assert "${account_partition}/vpcflowlogs/${region_partition}/${date_partition}/" in finding["fix"]


def test_a_missing_glue_table(moto: Any, workdir: Path, flowsql_cli: Any) -> None:
    result = flowsql_cli("doctor", "--database", "nope", "--table", "none")
    assert result.code == 2 and "table nope.none does not exist in the Glue catalog" in result.err


def test_text_output_shows_evidence_and_fix(tmp_path: Path, workdir: Path, flowsql_cli: Any) -> None:
    root = tmp_path / "logs"
    put_local(root, key("2024-05-01"), text_body(V3))
    result = flowsql_cli("doctor", "--location", str(root), *LOCAL_OPTS)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith("flowsql doctor: vpc_flow_logs.flow_logs (the config) over ")
    assert any(line.startswith("error   header: ") for line in lines)
    assert any(line.strip().startswith("evidence: differs: ") for line in lines)
    assert any(line.strip().startswith("fix: flowsql init --log-format '${version}") for line in lines)
    assert lines[-1] == "1 problem(s) found"
