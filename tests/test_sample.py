"""flowsql.sample.generator and `flowsql sample`: the files are laid out, named and filled like AWS's, the
records are realistic for every field version, and the planted incidents are what the records say.

Files are read back here with gzip and str.split (and DuckDB's parquet_schema for the Parquet
types), never through flowsql's engine.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import random
import re
import shlex
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import oracles
import pytest
import yaml
from click.testing import CliRunner

from flowsql.cli import cli
from flowsql.errors import ConfigError, LogFormatError
from flowsql.sample.generator import MARKER, SampleSet, generate
from flowsql.tables import fields as flowfields

UTC = timezone.utc
END = date(2024, 5, 2)
FULL = flowfields.format_string(flowfields.CATALOGUE)
NAME = re.compile(
    r"^(?P<account>\d{12})_vpcflowlogs_(?P<region>[a-z0-9-]+)_fl-[0-9a-f]{17}_"
    r"(?P<stamp>\d{8}T\d{4}Z)_[0-9a-f]{8}\.log\.(gz|parquet)$"
)
FLOW_ONLY = (
    "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action", "tcp_flags",
    "type", "pkt_srcaddr", "pkt_dstaddr", "flow_direction", "traffic_path", "reject_reason",
)  # fmt: skip


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> SampleSet:
    """Every field of versions 2-8, hourly Hive layout, two accounts and two Regions."""
    return generate(
        tmp_path_factory.mktemp("full"),
        end=END,
        records=6000,
        layout="hive",
        hourly=True,
        log_format=FULL,
        accounts=("111122223333", "444455556666"),
        regions=("us-east-1", "eu-west-2"),
        files_per_day=12,
    )


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> SampleSet:
    return generate(tmp_path_factory.mktemp("default"), end=END, records=5000)


def _text_lines(path: Path) -> tuple[list[str], list[list[str]]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        header = f.readline().split()
        return header, [line.split(" ") for line in f.read().splitlines()]


def _stamp(path: Path) -> datetime:
    match = NAME.match(path.name)
    assert match, path.name
    return datetime.strptime(match["stamp"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)


# --- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("sample_name", ["default", "full"])
def test_files_follow_the_s3_layout_and_naming(sample_name: str, request: pytest.FixtureRequest) -> None:
    sample: SampleSet = request.getfixturevalue(sample_name)
    spec = sample.spec
    regex = re.compile(spec.path_regex())
    assert sample.files and all(p.exists() for p in sample.files)
    assert sorted(sample.files) == sorted(Path(spec.location).rglob("*.log.gz"))
    for path in sample.files:
        match = NAME.match(path.name)
        assert match, path.name
        moment = _stamp(path)
        assert moment.minute % 5 == 0
        assert match["account"] in spec.accounts and match["region"] in spec.regions
        expected = spec.partition_path(match["account"], match["region"], moment.date(), moment.hour)
        assert str(path.parent) + "/" == expected.replace("//", "/")
        found = regex.search(str(path))
        assert found and found["account_partition"] == match["account"]


def test_hive_hourly_paths_look_like_aws(full: SampleSet) -> None:
    path = full.files[0]
    parts = path.relative_to(Path(full.spec.location)).parts
    assert parts[:3] == ("AWSLogs", f"aws-account-id={parts[1].split('=')[1]}", "aws-service=vpcflowlogs")
    assert re.fullmatch(r"aws-region=[a-z0-9-]+", parts[3])
    assert re.fullmatch(r"year=\d{4}", parts[4]) and re.fullmatch(r"month=\d{2}", parts[5])
    assert re.fullmatch(r"day=\d{2}", parts[6]) and re.fullmatch(r"hour=\d{2}", parts[7])


@pytest.mark.parametrize("sample_name", ["default", "full"])
def test_each_file_holds_records_ending_in_its_five_minutes(
    sample_name: str, request: pytest.FixtureRequest
) -> None:
    sample: SampleSet = request.getfixturevalue(sample_name)
    names = [f.name for f in sample.spec.fields]
    total = 0
    for path in sample.files:
        header, lines = _text_lines(path)
        assert header == names
        moment = int(_stamp(path).timestamp())
        end, start = names.index("end"), names.index("start")
        for cells in lines:
            assert len(cells) == len(names)
            assert all(cells), "no empty fields: a missing value is '-'"
            assert moment <= int(cells[end]) < moment + 300
            assert int(cells[start]) <= int(cells[end])
        total += len(lines)
    assert total == sample.count == len(sample.records)


def test_record_count_is_what_was_asked(default: SampleSet) -> None:
    assert default.count == 5000
    assert default.window.start == datetime(2024, 5, 1, tzinfo=UTC)
    assert default.window.end == datetime(2024, 5, 3, tzinfo=UTC)
    starts = [r["start"] for r in default.records]
    assert min(starts) >= int(default.window.start.timestamp())
    assert max(starts) < int(default.window.end.timestamp())


@pytest.mark.parametrize("sample_name", ["default", "full"])
def test_records_cross_midnight_into_the_next_days_folder(
    sample_name: str, request: pytest.FixtureRequest
) -> None:
    sample: SampleSet = request.getfixturevalue(sample_name)
    midnights = [int(datetime(2024, 5, d, tzinfo=UTC).timestamp()) for d in (2, 3)]
    crossing = Counter()
    for path in sample.files:
        header, lines = _text_lines(path)
        folder_day = _stamp(path).date()
        start = header.index("start")
        for cells in lines:
            began = datetime.fromtimestamp(int(cells[start]), UTC).date()
            if began < folder_day:
                crossing[folder_day] += 1
    assert crossing[date(2024, 5, 2)] >= 2 and crossing[date(2024, 5, 3)] >= 2, crossing
    for midnight in midnights:
        assert any(r["start"] < midnight <= r["end"] for r in sample.records)


def test_hourly_files_also_hold_records_started_the_hour_before(full: SampleSet) -> None:
    early = 0
    for path in full.files:
        header, lines = _text_lines(path)
        hour = _stamp(path).replace(minute=0)
        start = header.index("start")
        early += sum(int(c[start]) < hour.timestamp() for c in lines)
    assert early > 0


# --- records -----------------------------------------------------------------------------------


def test_default_format_records(default: SampleSet) -> None:
    assert set(default.records[0]) == {f.column for f in default.spec.fields}
    assert {r["version"] for r in default.records} == {2}
    assert {r["account_id"] for r in default.records} == {"111122223333"}
    statuses = Counter(r["log_status"] for r in default.records)
    assert set(statuses) == {"OK", "NODATA", "SKIPDATA"}
    for r in default.records:
        if r["log_status"] != "OK":
            assert all(r[c] is None for c in ("srcaddr", "dstaddr", "srcport", "packets", "bytes", "action"))
            assert r["interface_id"].startswith("eni-")
        else:
            assert r["action"] in ("ACCEPT", "REJECT") and r["protocol"] in (1, 6, 17, 47, 50, 58)
            assert r["packets"] > 0 and r["bytes"] >= r["packets"]
            assert 0 <= r["srcport"] <= 65535 and 0 <= r["dstport"] <= 65535


def test_every_field_gets_a_realistic_value(full: SampleSet) -> None:
    records = full.records
    ok = [r for r in records if r["log_status"] == "OK"]
    assert {r["version"] for r in records} == {8}
    for column in (f.column for f in flowfields.CATALOGUE):  # the VPC fields (TGW ones: transit.py)
        assert any(r[column] is not None for r in records), f"{column} is never set"
    for r in ok:
        family = "IPv6" if ":" in r["srcaddr"] else "IPv4"
        assert r["type"] == family and (":" in r["dstaddr"]) == (family == "IPv6")
        assert r["flow_direction"] in ("ingress", "egress")
        assert (r["traffic_path"] is not None) == (r["flow_direction"] == "egress")
        assert r["traffic_path"] is None or 1 <= r["traffic_path"] <= 8
        assert r["reject_reason"] in (None, "BPA")
        assert r["reject_reason"] is None or r["action"] == "REJECT"
        assert re.fullmatch(r"vpc-[0-9a-f]{17}", r["vpc_id"]) and re.fullmatch(
            r"subnet-[0-9a-f]{17}", r["subnet_id"]
        )
        assert r["instance_id"] is None or re.fullmatch(r"i-[0-9a-f]{17}", r["instance_id"])
        assert r["region"] in full.spec.regions and r["az_id"].startswith(("use1-az", "euw2-az"))
        if r["protocol"] == 6:
            assert r["tcp_flags"] in (0, 1, 2, 3, 5, 7, 18, 19)
        else:
            assert r["tcp_flags"] == 0 and (r["protocol"] not in (1, 58) or r["srcport"] == r["dstport"] == 0)
        if r["ecs_cluster_arn"] is not None:
            assert r["ecs_cluster_arn"].startswith(f"arn:aws:ecs:{r['region']}:{r['account_id']}:cluster/")
            assert re.fullmatch(r"[0-9a-f]{32}", r["ecs_task_id"])
            assert r["ecs_task_arn"].endswith(r["ecs_task_id"]) and r["instance_id"] is None
    for r in records:
        if r["log_status"] != "OK":
            assert all(r[c] is None for c in FLOW_ONLY)
            assert r["vpc_id"] and r["subnet_id"]
    assert any(r["tcp_flags"] == 2 for r in ok), "SYN-only flows (never completed)"
    assert any(r["type"] == "IPv6" for r in ok)
    assert any(r["pkt_srcaddr"] != r["srcaddr"] for r in ok), "NAT'd flows"
    assert any(r["pkt_dstaddr"] != r["dstaddr"] for r in ok)
    assert {"S3", "DYNAMODB", "EC2"} <= {r["pkt_dst_aws_service"] for r in ok}
    assert {r["sublocation_type"] for r in records} == {None, "outpost"}
    assert {r["protocol"] for r in ok} >= {1, 6, 17, 47, 50, 58}


def test_addresses_are_public_and_private_in_both_families(full: SampleSet) -> None:
    kinds = Counter()
    for r in full.records:
        for column in ("srcaddr", "dstaddr"):
            if r[column] is None:
                continue
            ip = ipaddress.ip_address(r[column])
            private = oracles.is_private(r[column])
            kinds[(ip.version, private)] += 1
            # nothing in ranges whose public/private reading tools disagree on
            assert not (ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved)
            if private is False:
                assert ip.is_global, r[column]
    assert all(kinds[k] > 0 for k in [(4, True), (4, False), (6, True), (6, False)]), kinds


def test_accounts_and_regions_each_have_their_own_vpc(full: SampleSet) -> None:
    places = {(r["account_id"], r["region"]) for r in full.records}
    assert places == {(a, g) for a in full.spec.accounts for g in full.spec.regions}
    vpcs = {(r["account_id"], r["region"], r["vpc_id"]) for r in full.records}
    assert len({v for _, _, v in vpcs}) == 4


def test_a_shuffled_custom_format_keeps_values_in_their_columns(tmp_path: Path) -> None:
    fields = list(flowfields.CATALOGUE)
    random.Random(5).shuffle(fields)
    shuffled = generate(tmp_path / "a", end=END, records=800, log_format=flowfields.format_string(fields))
    ordered = generate(tmp_path / "b", end=END, records=800, log_format=FULL)
    assert [f.name for f in shuffled.spec.fields] == [f.name for f in fields]
    assert shuffled.records and sorted(map(_key, shuffled.records)) == sorted(map(_key, ordered.records))


def _key(record: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, str(v)) for k, v in record.items()))


def test_a_format_with_a_field_flowsql_does_not_know(tmp_path: Path) -> None:
    sample = generate(
        tmp_path, end=END, records=300, log_format="${version} ${srcaddr} ${resource-id} ${start} ${end}"
    )
    assert {r["version"] for r in sample.records} == {2}
    assert all(r["resource_id"] is None for r in sample.records)


def test_same_seed_same_files_other_seed_other_records(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", end=END, records=1500, seed=3)
    b = generate(tmp_path / "b", end=END, records=1500, seed=3)
    c = generate(tmp_path / "c", end=END, records=1500, seed=4)
    assert [p.name for p in a.files] == [p.name for p in b.files]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a.files, b.files, strict=True))
    assert a.records == b.records
    assert sorted(map(_key, a.records)) != sorted(map(_key, c.records))
    assert a.incidents == b.incidents


def test_the_network_depends_on_the_seed_alone(tmp_path: Path) -> None:
    small = generate(tmp_path / "a", end=END, records=500, days=1)
    large = generate(tmp_path / "b", end=date(2024, 6, 1), records=4000, days=3)
    pick = [(i.kind, i.source, i.targets, i.port, i.interfaces) for i in small.incidents.all()]
    assert pick == [(i.kind, i.source, i.targets, i.port, i.interfaces) for i in large.incidents.all()]


# --- Parquet -----------------------------------------------------------------------------------


def test_parquet_files_have_the_reference_types_and_the_same_records(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    text = generate(tmp_path / "text", end=END, records=1500, log_format=FULL)
    parquet = generate(tmp_path / "parquet", end=END, records=1500, log_format=FULL, file_format="parquet")
    assert parquet.files and all(p.name.endswith(".log.parquet") for p in parquet.files)
    assert [p.name.rsplit(".log", 1)[0] for p in text.files] == [
        p.name.rsplit(".log", 1)[0] for p in parquet.files
    ]
    con = duckdb.connect()
    schema = {
        name: (kind, converted)
        for name, kind, converted in con.execute(
            "SELECT name, type, converted_type FROM parquet_schema(?) WHERE name <> 'duckdb_schema'",
            [str(parquet.files[0])],
        ).fetchall()
    }
    assert list(schema) == [f.column for f in parquet.spec.fields]
    for f in parquet.spec.fields:
        expected = {
            "int": ("INT32", "INT_32"),
            "bigint": ("INT64", "INT_64"),
            "string": ("BYTE_ARRAY", "UTF8"),
        }
        assert schema[f.column] == expected[f.parquet_type], f.column
    assert schema["protocol"][0] == "INT32" and schema["packets"][0] == "INT64"
    codecs = con.execute(
        "SELECT DISTINCT compression FROM parquet_metadata(?)", [str(parquet.files[0])]
    ).fetchall()
    assert codecs == [("GZIP",)]
    assert sorted(map(_key, text.records)) == sorted(map(_key, parquet.records))


# --- incidents, as the records (and the oracles) see them ----------------------------------------


def test_planted_incidents_are_what_the_records_say(default: SampleSet) -> None:
    inc = default.incidents
    window = {"start": default.window.start, "end": default.window.end}
    records = default.records
    assert oracles.answer("rejected_ssh_sources", records, window)[0][0] == inc.ssh_brute_force.source
    ssh = oracles.answer("rejected_ssh_sources", records, window)[0]
    assert ssh[1] == inc.ssh_brute_force.records and ssh[4] == 3
    scans = [
        r for r in oracles.answer("port_scan_suspects", records, {**window, "limit": 100}) if r[4] > r[3] / 2
    ]
    assert [r[0] for r in scans] == [inc.port_scan.source] and scans[0][1] == inc.port_scan.ports
    sweep = oracles.answer("host_scan_suspects", records, window)[0]
    assert sweep[:4] == (inc.host_scan.source, 445, "SMB", len(inc.host_scan.targets))
    exfil = oracles.answer("exfiltration_suspects", records, window)[0]
    assert exfil[:2] == (inc.exfiltration.source, inc.exfiltration.bytes)
    exposed = oracles.answer("public_exposure", records, window)[0]
    assert exposed[:4] == (inc.public_exposure.targets[0], 3306, "MySQL", 5)
    blocked = inc.blocked_port
    check = oracles.answer(
        "connectivity_check",
        records,
        {**window, "src": blocked.source, "dst": blocked.targets[0], "port": 5432},
    )
    assert [(r[0], r[1], r[3]) for r in check] == sorted(
        [("request", blocked.interfaces[0], "ACCEPT"), ("request", blocked.interfaces[1], "REJECT")]
    )
    health = {r[0]: r for r in oracles.answer("log_health", records, window)}
    assert health[inc.nodata.interfaces[0]][3] == inc.nodata.records == 48
    assert health[inc.skipdata.interfaces[0]][4] == inc.skipdata.records


def test_incident_records_are_counted_right(full: SampleSet) -> None:
    inc = full.incidents
    bpa = [r for r in full.records if r["reject_reason"] == "BPA"]
    assert len(bpa) == inc.block_public_access.records
    assert {(r["srcaddr"], r["dstaddr"]) for r in bpa} == {
        (inc.block_public_access.source, inc.block_public_access.targets[0])
    }
    out = [
        r
        for r in full.records
        if r["srcaddr"] == inc.exfiltration.source and r["dstaddr"] == inc.exfiltration.targets[0]
    ]
    assert sum(r["bytes"] for r in out) == inc.exfiltration.bytes
    assert all(r["account_id"] == inc.exfiltration.account for r in out)
    nat = [
        r
        for r in full.records
        if r["interface_id"] == inc.nat.interfaces[0] and r["pkt_srcaddr"] != r["srcaddr"]
    ]
    assert nat and all(r["srcaddr"] == inc.nat.source for r in nat)
    window = {"start": full.window.start, "end": full.window.end}
    unanswered = oracles.answer("incomplete_tcp_connections", full.records, window)
    assert (inc.unanswered.source, inc.unanswered.targets[0], 8443) in [r[:3] for r in unanswered]


# --- refusing to clobber, and bad input ----------------------------------------------------------


def test_an_existing_sample_is_replaced_only_when_asked(tmp_path: Path) -> None:
    generate(tmp_path, end=END, records=300)
    with pytest.raises(ConfigError, match="already holds flow logs"):
        generate(tmp_path, end=END, records=300)
    again = generate(tmp_path, end=END, records=400, overwrite=True)
    assert sum(1 for _ in tmp_path.rglob("*.log.gz")) == len(again.files)


def test_foreign_flow_logs_are_never_replaced(tmp_path: Path) -> None:
    theirs = tmp_path / "AWSLogs" / "123456789012" / "keep.log.gz"
    theirs.parent.mkdir(parents=True)
    theirs.write_bytes(b"x")
    with pytest.raises(ConfigError, match="did not write"):
        generate(tmp_path, end=END, records=300, overwrite=True)
    assert theirs.exists()
    assert not (tmp_path / MARKER).exists()


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"days": 0}, ConfigError, "days must be 1-366"),
        ({"records": -1}, ConfigError, "records must be"),
        ({"log_format": "${version} ${nope"}, LogFormatError, "without a closing"),
        ({"accounts": ("12345",)}, ConfigError, "12-digit"),
        ({"layout": "flat"}, ConfigError, "--layout must be one of aws|hive"),
        ({"end": "yesterday"}, ConfigError, "end must be a date"),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path: Path, kwargs: dict[str, Any], error: type, text: str) -> None:
    with pytest.raises(error, match=re.escape(text)):
        generate(tmp_path, **{"end": END, "records": 100, **kwargs})


# --- the command -----------------------------------------------------------------------------


def test_sample_command_prints_table_options_that_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "sample",
            "logs",
            "--records",
            "3000",
            "--end",
            "2024-05-02",
            "--layout",
            "hive",
            "--log-format",
            "all",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "wrote 3,000 records" in result.output
    assert "ssh_brute_force" in result.output and "185.220.101.47" in result.output
    lines = [line.strip() for line in result.output.splitlines()]
    init = shlex.split(next(line for line in lines if line.startswith("flowsql init")))
    assert init == ["flowsql", "init", "--location", "logs"]
    assert runner.invoke(cli, init[1:]).exit_code == 0
    saved = yaml.safe_load((tmp_path / ".flowsql.yaml").read_text())
    assert saved["table"]["layout"] == "hive" and "${reject-reason}" in saved["table"]["log_format"]
    run = runner.invoke(
        cli,
        ["run", "rejected_ssh_sources", "-p", "start=2024-05-01", "-p", "end=2024-05-03", "--format", "json"],
    )
    assert run.exit_code == 0, run.output
    rows = json.loads(run.stdout)
    assert rows[0]["srcaddr"] == "185.220.101.47"


def test_sample_command_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    args = ["sample", str(tmp_path), "--records", "200", "--end", "2024-05-02"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    # through the real entry point: the error is one message and exit status 2, no traceback
    proc = subprocess.run(
        [sys.executable, "-m", "flowsql", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 2
    assert "already holds flow logs" in proc.stderr and "Traceback" not in proc.stderr
    forced = subprocess.run(
        [sys.executable, "-m", "flowsql", *args, "--force"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert forced.returncode == 0, forced.stderr


def test_two_days_are_not_in_the_future_by_default(tmp_path: Path) -> None:
    sample = generate(tmp_path, records=200)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    assert sample.window.end.date() == yesterday + timedelta(days=1)
    assert sample.spec.start_date == yesterday - timedelta(days=1)
