"""`flowsql init`, `ddl`, `partitions` and `describe` against the moto server's S3 and Glue."""

import gzip
from datetime import date

import pytest
import yaml

from flowsql.tables import fields

BUCKET = "flow-bucket"
V2_HEADER = " ".join(fields.DEFAULT_FORMAT)


def put_log(s3, key: str, header: str = V2_HEADER, lines: tuple[str, ...] = ()) -> None:
    body = gzip.compress(("\n".join([header, *lines]) + "\n").encode())
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)


@pytest.fixture
def bucket(moto, monkeypatch):
    # Where Athena writes results; tests/test_first_contact.py checks how init finds it otherwise.
    monkeypatch.setenv("AWS_ATHENA_S3_STAGING_DIR", f"s3://{BUCKET}/athena-results/")
    s3 = moto.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for account in ("111122223333", "444455556666"):
        for region in ("us-east-1", "eu-west-1"):
            for day in ("2024/05/01", "2024/05/02"):
                put_log(
                    s3,
                    f"logs/AWSLogs/{account}/vpcflowlogs/{region}/{day}/"
                    f"{account}_vpcflowlogs_{region}_fl-1_{day.replace('/', '')}T0005Z_abc.log.gz",
                )
    return s3


def glue_table(moto, name="flow_logs"):
    return moto.client("glue").get_table(DatabaseName="vpc_flow_logs", Name=name)["Table"]


def test_init_creates_the_table_through_glue(bucket, moto, flowsql_cli, workdir):
    result = flowsql_cli("init", "--location", f"s3://{BUCKET}/logs/")
    assert result.code == 0, result
    table = glue_table(moto)
    sd = table["StorageDescriptor"]
    assert [c["Name"] for c in sd["Columns"]] == [f.replace("-", "_") for f in fields.DEFAULT_FORMAT]
    assert sd["Location"] == f"s3://{BUCKET}/logs/AWSLogs/"
    params = table["Parameters"]
    # accounts and regions were discovered by listing the bucket's prefixes
    assert params["projection.account_partition.values"] == "111122223333,444455556666"
    assert params["projection.region_partition.values"] == "eu-west-1,us-east-1"
    assert params["skip.header.line.count"] == "1"
    assert [k["Name"] for k in table["PartitionKeys"]] == [
        "account_partition",
        "region_partition",
        "date_partition",
    ]
    saved = yaml.safe_load((workdir / ".flowsql.yaml").read_text())
    assert saved["engine"] == "athena"
    assert saved["table"]["location"] == f"s3://{BUCKET}/logs/"
    assert saved["table"]["accounts"] == ["111122223333", "444455556666"]


def test_init_twice_changes_nothing(bucket, moto, flowsql_cli, workdir):
    assert flowsql_cli("init", "--location", f"s3://{BUCKET}/logs/").code == 0
    versions = moto.client("glue").get_table_versions(DatabaseName="vpc_flow_logs", TableName="flow_logs")
    again = flowsql_cli("init")  # everything from the saved config
    assert again.code == 0, again
    assert "up to date" in again.out
    after = moto.client("glue").get_table_versions(DatabaseName="vpc_flow_logs", TableName="flow_logs")
    assert len(after["TableVersions"]) == len(versions["TableVersions"])


def test_conflict_is_refused_with_a_diff_then_replaced(bucket, moto, flowsql_cli, workdir):
    assert flowsql_cli("init", "--location", f"s3://{BUCKET}/logs/").code == 0
    fmt = (
        "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} "
        "${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
    )
    swapped = fmt.replace("${srcport} ${dstport}", "${dstport} ${srcport}")
    result = flowsql_cli(
        "init", "--location", f"s3://{BUCKET}/logs/", "--log-format", swapped, "--detect-format"
    )
    assert result.code == 2 and "exclude each other" in result.err
    result = flowsql_cli(
        "init", "--location", f"s3://{BUCKET}/other/", "--accounts", "111122223333", "--regions", "us-east-1"
    )
    assert result.code == 1, result
    assert "exists with a different definition" in result.err
    assert (
        f"location: existing s3://{BUCKET}/logs/AWSLogs/, wanted s3://{BUCKET}/other/AWSLogs/" in result.err
    )
    assert "projection.account_partition.values" in result.err
    assert "Traceback" not in result.err
    assert glue_table(moto)["StorageDescriptor"]["Location"] == f"s3://{BUCKET}/logs/AWSLogs/"
    replaced = flowsql_cli(
        "init",
        "--location",
        f"s3://{BUCKET}/other/",
        "--accounts",
        "111122223333",
        "--regions",
        "us-east-1",
        "--replace",
    )
    assert replaced.code == 0, replaced
    assert glue_table(moto)["StorageDescriptor"]["Location"] == f"s3://{BUCKET}/other/AWSLogs/"


def test_dry_run_touches_nothing(bucket, moto, flowsql_cli, workdir):
    result = flowsql_cli("init", "--location", f"s3://{BUCKET}/logs/", "--dry-run")
    assert result.code == 0, result
    assert "would create table vpc_flow_logs.flow_logs" in result.out
    assert moto.client("glue").get_databases()["DatabaseList"] == []
    assert not (workdir / ".flowsql.yaml").exists()


def test_header_disagreeing_with_log_format_is_refused(bucket, moto, flowsql_cli, workdir):
    result = flowsql_cli(
        "init", "--location", f"s3://{BUCKET}/logs/", "--log-format", "${version} ${srcaddr} ${dstaddr}"
    )
    assert result.code == 2, result
    assert "does not match the files" in result.err and "account-id interface-id" in result.err
    assert moto.client("glue").get_databases()["DatabaseList"] == []


def test_detect_format_reads_the_newest_header(moto, flowsql_cli, workdir, monkeypatch):
    monkeypatch.setenv("AWS_ATHENA_S3_STAGING_DIR", f"s3://{BUCKET}/athena-results/")
    s3 = moto.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    base = "AWSLogs/111122223333/vpcflowlogs/us-east-1"
    put_log(s3, f"{base}/2024/04/30/a.log.gz", header="version srcaddr")
    put_log(s3, f"{base}/2024/05/01/b.log.gz", header="version vpc-id srcaddr dstaddr tcp-flags future-field")
    result = flowsql_cli("init", "--location", f"s3://{BUCKET}", "--detect-format")
    assert result.code == 0, result
    columns = [c["Name"] for c in glue_table(moto)["StorageDescriptor"]["Columns"]]
    assert columns == ["version", "vpc_id", "srcaddr", "dstaddr", "tcp_flags", "future_field"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--location", "s3://Bad_Bucket/x"], "not an S3 URI with a valid bucket name"),
        (["--location", f"s3://{BUCKET}/logs", "--layout", "flat"], "Invalid value for '--layout'"),
        (["--location", f"s3://{BUCKET}/logs", "--log-format", "${version} ${srcaddr"], "without a closing"),
        (["--location", f"s3://{BUCKET}/logs", "--start-date", "2999-01-01"], "is in the future"),
        (["--location", f"s3://{BUCKET}/logs", "--start-date", "May 1st"], "must be YYYY-MM-DD"),
        (["--location", f"s3://{BUCKET}/empty/"], "holds no flow logs yet"),
        (["--location", "s3://no-such-bucket-here/"], "cannot list"),
        (["--location", f"s3://{BUCKET}/logs", "--layout", "hive"], "pass --layout aws"),
    ],
)
def test_wrong_inputs_give_one_clear_error_and_create_nothing(
    bucket, moto, flowsql_cli, workdir, args, message
):
    result = flowsql_cli("init", *args)
    assert result.code != 0
    assert message in result.err, result
    assert "Traceback" not in result.err
    assert moto.client("glue").get_databases()["DatabaseList"] == []


def put_hourly_log(s3) -> None:
    day = "hourly/AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/05/01/00"
    put_log(s3, f"{day}/111122223333_vpcflowlogs_us-east-1_fl-1_20240501T0005Z_abc.log.gz")


def test_describe_rebuilds_the_spec_from_the_catalogue(bucket, moto, flowsql_cli, workdir):
    put_hourly_log(bucket)
    assert (
        flowsql_cli(
            "init",
            "--location",
            f"s3://{BUCKET}/hourly/",
            "--hourly",
            "--layout",
            "aws",
            "--accounts",
            "111122223333",
            "--regions",
            "us-east-1",
        ).code
        == 0
    )
    (workdir / ".flowsql.yaml").unlink()
    result = flowsql_cli("describe", "--format", "json")
    assert result.code == 0, result
    import json

    described = json.loads(result.out)
    assert described["location"] == f"s3://{BUCKET}/hourly/"
    assert described["hourly"] is True
    assert described["accounts"] == ["111122223333"]


def test_partitions_add_through_glue(bucket, moto, flowsql_cli, workdir):
    opts = [
        "--location",
        f"s3://{BUCKET}/logs/",
        "--partitioning",
        "partitions",
        "--accounts",
        "111122223333",
        "--regions",
        "us-east-1,eu-west-1",
    ]
    assert flowsql_cli("init", *opts).code == 0
    result = flowsql_cli("partitions", "add", "--start", "2024-05-01", "--end", "2024-05-03")
    assert result.code == 0, result
    parts = moto.client("glue").get_partitions(DatabaseName="vpc_flow_logs", TableName="flow_logs")[
        "Partitions"
    ]
    got = sorted((tuple(p["Values"]), p["StorageDescriptor"]["Location"]) for p in parts)
    assert len(got) == 6
    assert got[0] == (
        ("111122223333", "eu-west-1", "2024/05/01"),
        f"s3://{BUCKET}/logs/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2024/05/01/",
    )
    again = flowsql_cli("partitions", "add", "--start", "2024-05-01", "--end", "2024-05-04")
    assert "added 2 partition(s)" in again.out
    refused = flowsql_cli("partitions", "add", "--start", "2024-05-03", "--end", "2024-05-01")
    assert refused.code == 2 and "is before" in refused.err


def test_init_local_folder_for_duckdb(tmp_path, flowsql_cli, workdir):
    folder = tmp_path / "flows"
    target = folder / "AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/05/01"
    target.mkdir(parents=True)
    (target / "111122223333_vpcflowlogs_us-east-1_fl-1_20240501T0005Z_x.log.gz").write_bytes(
        gzip.compress((V2_HEADER + "\n").encode())
    )
    result = flowsql_cli("init", "--location", str(folder))
    assert result.code == 0, result
    saved = yaml.safe_load((workdir / ".flowsql.yaml").read_text())
    assert saved["engine"] == "duckdb"
    assert saved["table"]["accounts"] == ["111122223333"] and saved["table"]["regions"] == ["us-east-1"]
    wrong = flowsql_cli(
        "init",
        "--location",
        str(folder),
        "--layout",
        "hive",
        "--accounts",
        "111122223333",
        "--regions",
        "us-east-1",
    )
    assert wrong.code == 2 and "do not match --layout hive" in wrong.err
    assert "pass --layout aws --daily --file-format text" in wrong.err


def test_ddl_prints_parseable_statements(bucket, flowsql_cli, workdir):
    import sqlglot

    result = flowsql_cli("ddl", "--location", f"s3://{BUCKET}/logs/", "--start-date", "2024-01-01")
    assert result.code == 0, result
    statements = [s for s in sqlglot.parse(result.out, read="athena") if s is not None]
    assert [type(s).__name__ for s in statements] == ["Create", "Create"]
    props = {p.name: p.text("value") for p in statements[1].find_all(sqlglot.exp.Property) if p.name}
    assert props["projection.date_partition.range"] == f"{date(2024, 1, 1):%Y/%m/%d},NOW"


def athena_statements(moto) -> list[str]:
    athena = moto.client("athena")
    ids = athena.list_query_executions()["QueryExecutionIds"]
    queries = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    queries.sort(key=lambda q: q["Status"]["SubmissionDateTime"])
    return [q["Query"] for q in queries]


def test_init_via_athena_sends_the_checked_ddl(bucket, moto, flowsql_cli, workdir):
    import sqlglot
    from sqlglot import exp

    moto.client("s3").create_bucket(Bucket="athena-results")
    put_hourly_log(bucket)
    result = flowsql_cli(
        "init", "--location", f"s3://{BUCKET}/hourly/", "--via", "athena",
        "--output-location", "s3://athena-results/flowsql/", "--hourly",
    )  # fmt: skip
    assert result.code == 0, result
    sent = athena_statements(moto)
    assert len(sent) == 2
    database, table = (sqlglot.parse_one(s, read="athena") for s in sent)
    assert isinstance(database, exp.Create) and database.kind == "DATABASE"
    assert database.this.name == "vpc_flow_logs"
    assert isinstance(table, exp.Create) and table.kind == "TABLE" and table.args.get("exists")
    columns = [c.name for c in table.this.expressions]
    assert columns == [f.replace("-", "_") for f in fields.DEFAULT_FORMAT]
    props = {p.name: p.text("value") for p in table.find_all(exp.Property) if type(p) is exp.Property}
    assert props["projection.hour_partition.range"] == "0,23"
    assert props["projection.account_partition.values"] == "111122223333"
    # moto's Athena does not pass DDL on to its Glue; flowsql never claims it did.
    assert moto.client("glue").get_databases()["DatabaseList"] == []


def test_partitions_via_athena_and_repair(bucket, moto, flowsql_cli, workdir):
    import sqlglot
    from sqlglot import exp

    moto.client("s3").create_bucket(Bucket="athena-results")
    opts = [
        "--location", f"s3://{BUCKET}/logs/", "--partitioning", "partitions", "--accounts", "111122223333",
        "--regions", "us-east-1", "--output-location", "s3://athena-results/q/",
    ]  # fmt: skip
    assert flowsql_cli("init", *opts).code == 0
    result = flowsql_cli(
        "partitions", "add", "--start", "2024-05-01", "--end", "2024-05-02", "--via", "athena"
    )
    assert result.code == 0, result
    (statement,) = athena_statements(moto)
    assert statement.count("PARTITION (") == 2
    first = statement.split("\n  PARTITION")[1]
    tree = sqlglot.parse_one(
        "ALTER TABLE `vpc_flow_logs`.`flow_logs` ADD IF NOT EXISTS PARTITION" + first, read="athena"
    )
    assert {e.this.name: e.expression.this for e in tree.find_all(exp.EQ)}["date_partition"] == "2024/05/01"
    refused = flowsql_cli("partitions", "repair")
    assert refused.code == 2 and "MSCK REPAIR TABLE only finds Hive-compatible prefixes" in refused.err
