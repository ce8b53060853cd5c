"""`flowsql init --flow-log`: the table from DescribeFlowLogs (moto, which omits DestinationOptions,
so the objects decide) and from a stubbed answer that has them; both must give the very table the
hand-written options give, read back from Glue."""

from __future__ import annotations

import gzip
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from flowsql import aws
from flowsql.tables import fields

BUCKET = "flowlog-bucket"
ACCOUNT = "123456789012"
CUSTOM = "${version} ${vpc-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${bytes} ${start} ${end} ${action} ${log-status} ${tcp-flags}"


def _header(log_format: str) -> str:
    return " ".join(f.name for f in fields.parse_log_format(log_format))


def put_text(s3: Any, key: str, log_format: str) -> None:
    body = gzip.compress((_header(log_format) + "\n").encode())
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)


@pytest.fixture(autouse=True)
def _results(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where Athena writes results (init asks for one on S3; tests/test_first_contact.py checks that)."""
    monkeypatch.setenv("AWS_ATHENA_S3_STAGING_DIR", f"s3://{BUCKET}/athena-results/")


HIVE_HOURLY = (
    "AWSLogs/aws-account-id={a}/aws-service=vpcflowlogs/aws-region={r}/year=2024/month=05/day=0{d}/hour=0{h}/"
    "{a}_vpcflowlogs_{r}_fl-1_2024050{d}T0{h}05Z_abc.log.gz"
)


@pytest.fixture
def world(moto: Any) -> dict[str, Any]:
    s3, ec2 = moto.client("s3"), moto.client("ec2")
    s3.create_bucket(Bucket=BUCKET)
    for region in ("us-east-1", "eu-west-1"):
        for day, hour in ((1, 3), (2, 7)):
            put_text(s3, HIVE_HOURLY.format(a=ACCOUNT, r=region, d=day, h=hour), CUSTOM)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    made = ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination=f"arn:aws:s3:::{BUCKET}",
        LogFormat=CUSTOM,
    )
    return {"s3": s3, "ec2": ec2, "vpc": vpc, "id": made["FlowLogIds"][0]}


def _definition(moto: Any, name: str) -> dict[str, Any]:
    table = moto.client("glue").get_table(DatabaseName="vpc_flow_logs", Name=name)["Table"]
    params = dict(table["Parameters"])
    spec = params.pop("flowsql.spec").replace(f'"table":"{name}"', '"table":"X"')
    sd = table["StorageDescriptor"]
    return {
        "columns": sd["Columns"],
        "location": sd["Location"],
        "serde": sd["SerdeInfo"],
        "input": sd["InputFormat"],
        "keys": table["PartitionKeys"],
        "params": params,
        "spec": spec,
    }


def test_moto_flow_log_without_destination_options_builds_the_hand_written_table(
    world: dict[str, Any], moto: Any, flowsql_cli: Any, workdir: Any
) -> None:
    made = flowsql_cli("init", "--flow-log", world["id"], "--table", "from_flow_log")
    assert made.code == 0, made
    # moto answers without DestinationOptions: the keys decided, and init says so with an example
    assert "the objects decide (Hive-compatible prefixes, hourly partitions, text files" in made.err
    assert f"s3://{BUCKET}/AWSLogs/aws-account-id={ACCOUNT}/" in made.err
    by_hand = flowsql_cli(
        "init", "--location", f"s3://{BUCKET}/", "--log-format", CUSTOM, "--layout", "hive", "--hourly",
        "--table", "by_hand",
    )  # fmt: skip
    assert by_hand.code == 0, by_hand
    got, want = _definition(moto, "from_flow_log"), _definition(moto, "by_hand")
    assert got == want
    assert [c["Name"] for c in got["columns"]][:3] == ["version", "vpc_id", "srcaddr"]
    assert got["params"]["projection.region_partition.values"] == "eu-west-1,us-east-1"
    assert got["params"]["projection.hour_partition.type"] == "integer"


def _stubbed_ec2(answer: dict[str, Any], ids: list[str]) -> Any:
    client = boto3.client("ec2", region_name="us-east-1", endpoint_url="http://127.0.0.1:1")
    stub = Stubber(client)
    stub.add_response("describe_flow_logs", answer, {"FlowLogIds": ids})
    stub.add_response("describe_flow_logs", answer, {})
    stub.activate()
    return client


@pytest.fixture
def stub_ec2(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Point flowsql's EC2 client at a botocore Stubber; S3 and Glue stay on moto."""
    holder: dict[str, Any] = {}
    real = aws.client

    def client(service: str, settings: Any) -> Any:
        return holder["ec2"] if service == "ec2" else real(service, settings)

    monkeypatch.setattr(aws, "client", client)
    return holder


def _flow_log(fl_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "FlowLogId": fl_id,
        "ResourceId": "vpc-0123456789abcdef0",
        "LogDestinationType": "s3",
        "LogDestination": f"arn:aws:s3:::{BUCKET}/vpc/",
        "LogFormat": CUSTOM,
        **extra,
    }


def test_destination_options_decide_the_layout_and_format(
    moto: Any, stub_ec2: dict[str, Any], flowsql_cli: Any, workdir: Any
) -> None:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    key = HIVE_HOURLY.format(a=ACCOUNT, r="us-east-1", d=1, h=3).replace(".log.gz", ".log.parquet")
    s3.put_object(Bucket=BUCKET, Key="vpc/" + key, Body=b"PAR1")
    options = {"FileFormat": "parquet", "HiveCompatiblePartitions": True, "PerHourPartition": True}
    fl = _flow_log("fl-0123456789abcdef0", DestinationOptions=options)
    stub_ec2["ec2"] = _stubbed_ec2({"FlowLogs": [fl]}, [fl["FlowLogId"]])
    made = flowsql_cli("init", "--flow-log", fl["FlowLogId"], "--table", "from_flow_log")
    assert made.code == 0, made
    assert "objects decide" not in made.err
    by_hand = flowsql_cli(
        "init", "--location", f"s3://{BUCKET}/vpc/", "--log-format", CUSTOM, "--layout", "hive", "--hourly",
        "--file-format", "parquet", "--table", "by_hand",
    )  # fmt: skip
    assert by_hand.code == 0, by_hand
    got = _definition(moto, "from_flow_log")
    assert got == _definition(moto, "by_hand")
    assert "parquet" in got["serde"]["SerializationLibrary"].lower()
    assert got["location"] == f"s3://{BUCKET}/vpc/AWSLogs/"


def test_destination_options_win_over_what_the_objects_look_like(moto: Any, stub_ec2: dict[str, Any]) -> None:
    """The API's answer is taken as is: daily AWS-layout text, whatever the (empty) bucket holds."""
    from flowsql.config import AthenaSettings
    from flowsql.tables import flowlog

    moto.client("s3").create_bucket(Bucket=BUCKET)
    options = {"FileFormat": "plain-text", "HiveCompatiblePartitions": False, "PerHourPartition": False}
    fl = _flow_log("fl-0aaaaaaaaaaaaaaaa", DestinationOptions=options)
    client = _stubbed_ec2({"FlowLogs": [fl]}, [fl["FlowLogId"]])
    found = flowlog.describe([fl["FlowLogId"]], AthenaSettings(), client=client)
    resolved = flowlog.table_options(found)
    assert resolved.options == {
        "location": f"s3://{BUCKET}/vpc/",
        "log_format": CUSTOM,
        "file_format": "text",
        "layout": "aws",
        "hourly": False,
    }
    assert resolved.notes == []


def test_transit_gateway_flow_log_without_log_format_gets_the_tgw_default(
    moto: Any, stub_ec2: dict[str, Any]
) -> None:
    from flowsql.tables import flowlog

    fl = flowlog.FlowLog.from_api(
        {
            "FlowLogId": "fl-1",
            "ResourceId": "tgw-0123",
            "LogDestinationType": "s3",
            "LogDestination": "arn:aws:s3:::b1",
        }
    )
    assert [f.name for f in fields.parse_log_format(fl.fields_format)] == list(fields.TGW_DEFAULT_FORMAT)


def test_cloudwatch_and_firehose_destinations_are_named(
    world: dict[str, Any], moto: Any, stub_ec2: dict[str, Any], flowsql_cli: Any, workdir: Any
) -> None:
    cwl = _flow_log("fl-0cccccccccccccccc", LogDestinationType="cloud-watch-logs", LogDestination=None)
    cwl.pop("LogDestination")
    cwl["LogGroupName"] = "vpc-flow-logs-group"
    stub_ec2["ec2"] = _stubbed_ec2({"FlowLogs": [cwl]}, [cwl["FlowLogId"]])
    result = flowsql_cli("init", "--flow-log", cwl["FlowLogId"])
    assert result.code == 2, result
    assert "writes to CloudWatch Logs (vpc-flow-logs-group), not to S3" in result.err
    assert "Traceback" not in result.err
    hose = _flow_log(
        "fl-0dddddddddddddddd",
        LogDestinationType="kinesis-data-firehose",
        LogDestination="arn:aws:firehose:us-east-1:123456789012:deliverystream/flows",
    )
    stub_ec2["ec2"] = _stubbed_ec2({"FlowLogs": [hose]}, [hose["FlowLogId"]])
    result = flowsql_cli("init", "--flow-log", hose["FlowLogId"])
    assert result.code == 2 and "writes to Amazon Data Firehose (arn:aws:firehose:" in result.err


def test_moto_cloudwatch_flow_log_is_refused(world: dict[str, Any], flowsql_cli: Any, workdir: Any) -> None:
    made = world["ec2"].create_flow_logs(
        ResourceIds=[world["vpc"]],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogGroupName="grp",
        DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/flow-logs",
    )
    result = flowsql_cli("init", "--flow-log", made["FlowLogIds"][0])
    assert result.code == 2 and "writes to CloudWatch Logs (grp)" in result.err


def test_two_flow_logs_with_different_formats_under_one_prefix(
    world: dict[str, Any], flowsql_cli: Any, workdir: Any
) -> None:
    second_vpc = world["ec2"].create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    other = world["ec2"].create_flow_logs(
        ResourceIds=[second_vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination=f"arn:aws:s3:::{BUCKET}",
    )["FlowLogIds"][0]
    both = flowsql_cli("init", "--flow-log", f"{world['id']},{other}")
    assert both.code == 2, both
    assert "the flow logs differ in LogFormat" in both.err
    assert "a text table is positional" in both.err and "one table per format" in both.err
    assert "Parquet, which is read by name" in both.err
    # one of them alone: a table, with a note on the other writing under the same prefix
    alone = flowsql_cli("init", "--flow-log", world["id"], "--dry-run")
    assert alone.code == 0, alone
    assert f"flow log {other} also writes under s3://{BUCKET}/ with another format" in alone.err


def test_same_format_flow_logs_make_one_table(world: dict[str, Any], flowsql_cli: Any, workdir: Any) -> None:
    second_vpc = world["ec2"].create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    twin = world["ec2"].create_flow_logs(
        ResourceIds=[second_vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination=f"arn:aws:s3:::{BUCKET}",
        LogFormat=CUSTOM,
    )["FlowLogIds"][0]
    result = flowsql_cli("init", "--flow-log", world["id"], "--flow-log", twin, "--dry-run")
    assert result.code == 0, result
    assert "would create table vpc_flow_logs.flow_logs" in result.out


def test_unknown_flow_log_id(moto: Any, flowsql_cli: Any, workdir: Any) -> None:
    result = flowsql_cli("init", "--flow-log", "fl-0123456789abcdef0")
    assert result.code == 2 and "no flow log fl-0123456789abcdef0 in us-east-1" in result.err
    bad = flowsql_cli("init", "--flow-log", "vpc-123")
    assert bad.code == 2 and "'vpc-123' is not a flow log id" in bad.err
