"""The inventory: a snapshot of moto's EC2 on 127.0.0.1 (interfaces, groups, rules, subnets, VPCs,
NAT gateways), AWS IP ranges from a file the test writes, stored as local Parquet and as Parquet on
S3 with Glue tables, and read back."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from flowsql.errors import ConfigError
from flowsql.inventory import ec2, ip_ranges, store, store_athena
from flowsql.inventory.snapshot import Snapshot
from flowsql.inventory.tables import TABLES

NOW = datetime(2024, 5, 2, 12, 30, tzinfo=timezone.utc)

IP_RANGES = {
    "syncToken": "1714600000",
    "createDate": "2024-05-01-22-13-06",
    "prefixes": [
        {"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "service": "AMAZON", "network_border_group": "us-east-1"},
        {"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "service": "S3", "network_border_group": "us-east-1"},
        {"ip_prefix": "52.94.0.0/22", "region": "us-east-1", "service": "DYNAMODB", "network_border_group": "us-east-1"},
    ],
    "ipv6_prefixes": [
        {"ipv6_prefix": "2600:1fa0:8000::/39", "region": "us-east-1", "service": "S3", "network_border_group": "us-east-1"},
    ],
}  # fmt: skip


def _world(client: Any) -> dict[str, Any]:
    """A VPC with two subnets, two groups (one referencing the other), an instance, a plain
    interface and a NAT gateway, in moto."""
    vpc = client.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    client.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "shop"}])
    client.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.21.0.0/16")
    zones = [z["ZoneName"] for z in client.describe_availability_zones()["AvailabilityZones"][:2]]
    subnets = [
        client.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.20.1.0/24", zones[0]), ("10.20.2.0/24", zones[1]))
    ]
    web = client.create_security_group(GroupName="web", Description="web tier", VpcId=vpc)["GroupId"]
    db = client.create_security_group(GroupName="db", Description="database", VpcId=vpc)["GroupId"]
    client.authorize_security_group_ingress(
        GroupId=web,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}],
            },
        ],
    )
    client.authorize_security_group_ingress(
        GroupId=db,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web}]}
        ],
    )
    image = client.describe_images()["Images"][0]["ImageId"]
    instance = client.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnets[0], SecurityGroupIds=[web],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "checkout-api"}]}],
    )["Instances"][0]["InstanceId"]  # fmt: skip
    eni = client.create_network_interface(
        SubnetId=subnets[1], Groups=[db], Description="orders-db", PrivateIpAddress="10.20.2.50"
    )["NetworkInterface"]["NetworkInterfaceId"]
    allocation = client.allocate_address(Domain="vpc")["AllocationId"]
    nat = client.create_nat_gateway(SubnetId=subnets[0], AllocationId=allocation)["NatGateway"][
        "NatGatewayId"
    ]
    return {
        "vpc": vpc,
        "subnets": subnets,
        "web": web,
        "db": db,
        "instance": instance,
        "eni": eni,
        "nat": nat,
    }


@pytest.fixture
def ec2_world(moto: Any) -> tuple[Any, dict[str, Any]]:
    client = moto.client("ec2")
    return client, _world(client)


def test_snapshot_from_ec2_holds_every_table(ec2_world: tuple[Any, dict[str, Any]]) -> None:
    client, made = ec2_world
    snap = ec2.take(client, region="us-east-1", now=NOW)
    assert snap.taken_at == NOW and snap.source == {"regions": ["us-east-1"]}
    interfaces = {r["interface_id"]: r for r in snap.tables["interfaces"]}
    by_instance = next(r for r in interfaces.values() if r["instance_id"] == made["instance"])
    assert by_instance["name"] == "checkout-api"
    assert by_instance["subnet_id"] == made["subnets"][0] and by_instance["vpc_id"] == made["vpc"]
    assert by_instance["az_id"] and by_instance["availability_zone"]
    assert by_instance["aws_service"] is None and by_instance["region"] == "us-east-1"
    plain = interfaces[made["eni"]]
    assert (plain["private_ip"], plain["description"], plain["instance_id"]) == (
        "10.20.2.50",
        "orders-db",
        None,
    )
    assert {"address": "10.20.2.50", "interface_id": made["eni"], "kind": "private"} in snap.tables[
        "addresses"
    ]
    groups = {(m["interface_id"], m["group_id"]) for m in snap.tables["interface_groups"]}
    assert (made["eni"], made["db"]) in groups and (by_instance["interface_id"], made["web"]) in groups
    names = {g["group_id"]: g["group_name"] for g in snap.tables["security_groups"]}
    assert names[made["web"]] == "web" and names[made["db"]] == "db"
    rules = [r for r in snap.tables["security_group_rules"] if not r["is_egress"]]
    wanted = {
        (made["web"], 6, 443, 443, "0.0.0.0/0", None, None),
        (made["web"], 6, 22, 22, None, "2001:db8::/32", None),
        (made["db"], 6, 5432, 5432, None, None, made["web"]),
    }
    got = {
        (r["group_id"], r["protocol"], r["from_port"], r["to_port"], r["cidr_ipv4"], r["cidr_ipv6"],
         r["referenced_group_id"])
        for r in rules if r["group_id"] in (made["web"], made["db"])
    }  # fmt: skip
    assert got == wanted
    assert all(r["rule_id"].startswith("sgr-") for r in rules)
    subnets = {s["subnet_id"]: s for s in snap.tables["subnets"]}
    assert subnets[made["subnets"][1]]["cidr_ipv4"] == "10.20.2.0/24"
    cidrs = {v["cidr"] for v in snap.tables["vpcs"] if v["vpc_id"] == made["vpc"]}
    assert cidrs == {"10.20.0.0/16", "10.21.0.0/16"}
    assert {v["name"] for v in snap.tables["vpcs"] if v["vpc_id"] == made["vpc"]} == {"shop"}
    nat = [n for n in snap.tables["nat_gateways"] if n["nat_gateway_id"] == made["nat"]]
    assert len(nat) == 1 and nat[0]["interface_id"] and nat[0]["public_ip"]
    assert nat[0]["subnet_id"] == made["subnets"][0]


def test_the_aws_service_behind_an_interface() -> None:
    assert ec2.aws_service("nat_gateway", "amazon-vpc", None) == "NAT gateway"
    assert ec2.aws_service("interface", "amazon-rds", "RDSNetworkInterface") == "RDS"
    assert ec2.aws_service("interface", None, "arn:aws:ecs:us-east-1:1:attachment/x") == "ECS"
    assert ec2.aws_service("lambda", None, "AWS Lambda VPC ENI-f") == "Lambda"
    assert ec2.aws_service("interface", None, "my app") is None


def _ranges_file(tmp_path: Path) -> Path:
    path = tmp_path / "ip-ranges.json"
    path.write_text(json.dumps(IP_RANGES), encoding="utf-8")
    return path


def test_ip_ranges_from_a_file(tmp_path: Path) -> None:
    rows, info = ip_ranges.load_file(_ranges_file(tmp_path))
    assert len(rows) == 4
    assert rows[1] == {
        "prefix": "52.216.0.0/15", "prefix_length": 15, "ip_version": "IPv4", "service": "S3",
        "region": "us-east-1", "network_border_group": "us-east-1",
    }  # fmt: skip
    assert rows[3]["ip_version"] == "IPv6" and rows[3]["prefix_length"] == 39
    assert info["ip_ranges_sync_token"] == "1714600000"
    (tmp_path / "bad.json").write_text('{"prefixes": 3}')
    with pytest.raises(ConfigError, match=r"not AWS's ip-ranges\.json"):
        ip_ranges.load_file(tmp_path / "bad.json")
    with pytest.raises(ConfigError, match="cannot read"):
        ip_ranges.load_file(tmp_path / "missing.json")


def _rows(snapshot: Snapshot) -> dict[str, list[tuple[Any, ...]]]:
    return {n: sorted(tuple(str(v) for v in r.values()) for r in rows) for n, rows in snapshot.tables.items()}


def test_local_parquet_round_trip(ec2_world: tuple[Any, dict[str, Any]], tmp_path: Path) -> None:
    client, _ = ec2_world
    rows, info = ip_ranges.load_file(_ranges_file(tmp_path))
    snap = ec2.take(client, region="us-east-1", now=NOW).with_table("ip_ranges", rows, **info)
    folder = tmp_path / "inv"
    assert not store.exists(folder)
    store.write_parquet(snap, folder)
    assert store.exists(folder)
    back = store.read_parquet(folder)
    assert back.taken_at == NOW and back.source == snap.source
    assert _rows(back) == _rows(snap)
    assert back.tables["interfaces"] and back.tables["security_group_rules"]
    # the Parquet files hold the declared types (int ports, boolean flags), read by plain pyarrow
    import pyarrow.parquet as pq

    schema = pq.read_schema(folder / "security_group_rules.parquet")
    assert str(schema.field("from_port").type) == "int32" and str(schema.field("is_egress").type) == "bool"
    assert schema.names == list(TABLES["security_group_rules"])


def test_athena_publish_writes_parquet_and_glue_tables(
    ec2_world: tuple[Any, dict[str, Any]], moto: Any, tmp_path: Path
) -> None:
    from flowsql.config import AthenaSettings

    client, _ = ec2_world
    s3, glue = moto.client("s3"), moto.client("glue")
    s3.create_bucket(Bucket="ctx")
    s3.put_object(Bucket="ctx", Key="inventory/interfaces/old.parquet", Body=b"stale")
    snap = ec2.take(client, region="us-east-1", now=NOW)
    settings = AthenaSettings(region="us-east-1")
    keys = store_athena.publish(snap, "s3://ctx/inventory", "vpc_flow_logs", settings, s3=s3, glue=glue)
    assert "inventory/interfaces/interfaces.parquet" in keys
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket="ctx", Prefix="inventory/")["Contents"]}
    assert "inventory/interfaces/old.parquet" not in listed and "inventory/snapshot.json" in listed
    for name, columns in TABLES.items():
        table = glue.get_table(DatabaseName="vpc_flow_logs", Name=f"inventory_{name}")["Table"]
        sd = table["StorageDescriptor"]
        assert [(c["Name"], c["Type"]) for c in sd["Columns"]] == list(columns.items())
        assert sd["Location"] == f"s3://ctx/inventory/{name}/"
        assert "ParquetHiveSerDe" in sd["SerdeInfo"]["SerializationLibrary"]
        assert table["Parameters"]["flowsql.inventory.taken_at"] == NOW.isoformat()
    # a second publish updates the tables in place
    later = Snapshot(NOW.replace(hour=13), snap.tables, snap.source)
    store_athena.publish(later, "s3://ctx/inventory", "vpc_flow_logs", settings, s3=s3, glue=glue)
    table = glue.get_table(DatabaseName="vpc_flow_logs", Name="inventory_vpcs")["Table"]
    assert table["Parameters"]["flowsql.inventory.taken_at"] == later.taken_at.isoformat()
    assert (
        store_athena.read_manifest("s3://ctx/inventory", settings, s3=s3)["taken_at"]
        == later.taken_at.isoformat()
    )
    back = store.read_parquet(store_athena.download("s3://ctx/inventory", tmp_path / "dl", settings, s3=s3))
    assert _rows(back) == _rows(snap)


def test_cli_refresh_and_show(moto: Any, workdir: Path, flowsql_cli: Any) -> None:
    made = _world(moto.client("ec2"))
    ranges = _ranges_file(workdir)
    result = flowsql_cli("inventory", "refresh", "--region", "us-east-1", "--ip-ranges", str(ranges))
    assert result.code == 0, result
    assert "→ " in result.out and "4 ip ranges" in result.out
    assert store.exists(workdir / ".flowsql" / "inventory")
    shown = flowsql_cli("inventory", "show")
    assert shown.code == 0, shown
    assert "checkout-api" in shown.out and made["eni"] in shown.out and "taken at" in shown.out
    as_json = json.loads(flowsql_cli("inventory", "show", "--format", "json").out)
    assert as_json["counts"]["ip_ranges"] == 4
    # a refresh without --ip-ranges keeps the ranges it had
    again = flowsql_cli("inventory", "refresh", "--region", "us-east-1")
    assert again.code == 0 and "4 ip ranges" in again.out
    missing = flowsql_cli("inventory", "show", "--from", str(workdir / "nowhere"))
    assert (
        missing.code == 2 and "no inventory in" in missing.err and "flowsql inventory refresh" in missing.err
    )


def test_run_through_the_cli_with_the_configured_inventory(workdir: Path, flowsql_cli: Any) -> None:
    from flowsql.sample.generator import generate

    sample = generate(workdir / "logs", days=2, end="2024-05-02", records=1500, seed=3)
    result = flowsql_cli(
        "run", "sg_rule_usage", "--location", str(workdir / "logs"), "-p", "start=2024-05-01",
        "-p", "end=2024-05-03", "--format", "json",
    )  # fmt: skip
    assert (
        result.code != 0 and "needs the inventory" in result.err and "flowsql inventory refresh" in result.err
    )
    assert "Traceback" not in result.err
    (workdir / ".flowsql.yaml").write_text(
        f"table: {{location: {workdir / 'logs'}}}\ninventory: logs/inventory\n"
    )
    result = flowsql_cli(
        "run", "sg_rule_usage", "-p", "start=2024-05-01", "-p", "end=2024-05-03", "--format", "json"
    )
    assert result.code == 0, result
    rows = json.loads(result.out)
    assert sample.context is not None
    winrm = [r for r in rows if r["ports"] == str(sample.context.open_rule.port)]
    assert winrm and winrm[0]["finding"] == "open to the world, few sources"
    # the enriched investigations gain their columns, and render prints the joins
    talkers = json.loads(flowsql_cli("run", "top_talkers", "-p", "start=2024-05-01", "--format", "json").out)
    assert talkers == [] or "src_name" in talkers[0]
    sql = flowsql_cli(
        "render",
        "nat_gateway_cost",
        "--log-format",
        "${version} ${interface-id} ${srcaddr} "
        "${dstaddr} ${pkt-srcaddr} ${pkt-dstaddr} ${bytes} ${start} ${log-status}",
    ).out
    assert '"vpc_flow_logs"."inventory_nat_gateways"' in sql


def test_an_athena_session_joins_the_glue_tables(tmp_path: Path) -> None:
    import flowsql

    config = tmp_path / "c.yaml"
    config.write_text("{}\n")
    fl = flowsql.connect(
        "athena", config=str(config), location="s3://logs/", inventory="s3://ctx/inventory/",
        output_location="s3://results/",
    )  # fmt: skip
    assert fl.has_inventory
    sql = fl.render("cross_az_traffic", start="2024-05-01")
    assert '"vpc_flow_logs"."inventory_addresses"' in sql and '"vpc_flow_logs"."inventory_interfaces"' in sql
    local = flowsql.connect(
        "duckdb", config=str(config), location=str(tmp_path), inventory="s3://ctx/inventory/"
    )
    assert not local.has_inventory  # DuckDB reads a local folder, not the S3 copy


def test_a_damaged_inventory_is_one_clear_message(tmp_path: Path, flowsql_cli: Any) -> None:
    folder = tmp_path / "inv"
    store.write_parquet(Snapshot(NOW), folder)
    assert store.read_parquet(folder).counts() == dict.fromkeys(TABLES, 0)
    (folder / "subnets.parquet").write_bytes(b"not parquet")
    result = flowsql_cli("inventory", "show", "--from", str(folder))
    assert result.code == 2 and "is damaged: subnets.parquet" in result.err and "Traceback" not in result.err
