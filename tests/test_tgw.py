"""Transit gateway flow logs: the typed fields, `flowsql sample --transit-gateway` with its planted
incidents, and the tgw_* investigations on DuckDB against plain-Python oracles (tests/tgw_oracles.py,
which reads the gzip files itself), on text and Parquet, both layouts, daily and hourly."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlglot
import tgw_oracles
from sqlglot import exp

from flowsql.engines.duckdb.engine import DuckDBEngine
from flowsql.investigations import checking, library
from flowsql.sample.transit import TransitSample, generate
from flowsql.tables import fields
from flowsql.tables.spec import TableSpec

UTC = timezone.utc
END = date(2024, 5, 2)
DAY1 = datetime(2024, 5, 1, tzinfo=UTC)
NAMES = ("tgw_drops", "tgw_top_attachment_pairs", "tgw_cross_account_traffic")
LIBRARY = library.load()


def test_transit_gateway_fields_are_typed() -> None:
    lost = fields.BY_NAME["packets-lost-blackhole"]
    assert (lost.version, lost.text_type, lost.parquet_type, lost.known) == (6, "bigint", "bigint", True)
    assert fields.lookup("tgw-pair-attachment-id").text_type == "string"
    assert len(fields.TGW_DEFAULT_FORMAT) == 36 and "action" not in fields.TGW_DEFAULT_FORMAT
    spec = TableSpec(location="s3://tgw-bucket/", fields=tuple(map(fields.lookup, fields.TGW_DEFAULT_FORMAT)))
    assert spec.column_types()["packets_lost_mtu_exceeded"] == "bigint"
    assert spec.column_types()["tgw_src_vpc_account_id"] == "string"


def _shuffled() -> str:
    names = list(fields.TGW_DEFAULT_FORMAT)
    random.Random(5).shuffle(names)
    return fields.format_string(map(fields.lookup, names))


CASES = {
    "aws-daily-text-default": {},
    "hive-hourly-parquet-default": {"layout": "hive", "hourly": True, "file_format": "parquet"},
    "aws-hourly-text-shuffled": {"hourly": True, "log_format": _shuffled()},
}


@pytest.fixture(scope="module")
def samples(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[TransitSample, list[dict[str, Any]]]]:
    out = {}
    text_copy = generate(
        tmp_path_factory.mktemp("tgw-text"), days=2, end=END, records=3000, seed=3, files_per_day=6
    )
    for name, options in CASES.items():
        sample = generate(
            tmp_path_factory.mktemp(name), days=2, end=END, records=3000, seed=3, files_per_day=6, **options
        )
        # the oracle reads gzip text: the Parquet case is compared with the text files of the same seed
        source = text_copy.spec.location if options.get("file_format") == "parquet" else sample.spec.location
        out[name] = (sample, tgw_oracles.read_folder(Path(source)))
    return out


WINDOWS = [
    (DAY1, DAY1 + timedelta(days=2)),
    (DAY1 + timedelta(hours=13, minutes=30), DAY1 + timedelta(days=1, hours=2, minutes=10)),
]


@pytest.mark.parametrize("case", list(CASES))
def test_tgw_investigations_match_the_oracles(samples: dict[str, Any], case: str) -> None:
    sample, records = samples[case]
    engine = DuckDBEngine(sample.spec)
    try:
        for start, end in WINDOWS:
            for name in NAMES:
                for extra in ({}, {"limit": 2}):
                    params = {"start": start, "end": end, **extra}
                    inv = LIBRARY.get(name)
                    rendered = inv.render(sample.spec, params)
                    got = engine.execute(rendered.sql)
                    assert list(got.columns) == list(inv.columns)
                    expected = tgw_oracles.ORACLES[name](records, params)
                    assert [tuple(r) for r in got] == expected, (case, name, start, extra)
                    assert expected, f"{name} finds nothing in {case} {start}"
    finally:
        engine.close()


def test_the_planted_incidents_are_what_the_investigations_find(samples: dict[str, Any]) -> None:
    sample, records = samples["aws-daily-text-default"]
    inc = sample.incidents
    params = {"start": DAY1, "end": DAY1 + timedelta(days=2)}
    engine = DuckDBEngine(sample.spec)
    try:

        def run(name: str) -> Any:
            return engine.execute(LIBRARY.get(name).render(sample.spec, params).sql)

        drops = {r.tgw_attachment_id: r for r in run("tgw_drops")}
        assert drops[inc.blackhole_attachment].blackhole == inc.blackhole_packets > 0
        assert drops[inc.mtu_attachment].mtu_exceeded == inc.mtu_packets > 0
        assert next(iter(drops)) == inc.blackhole_attachment
        pairs = run("tgw_top_attachment_pairs")
        assert pairs[0].to_attachment == inc.top_attachment
        cross = run("tgw_cross_account_traffic")
        assert {(r.src_account, r.dst_account) for r in cross} >= {("444455556666", "111122223333")}
        assert all(r.src_account != r.dst_account for r in cross)
    finally:
        engine.close()
    # the top attachment carries most bytes, entering and leaving (computed from the files)
    per_attachment: dict[str, int] = {}
    for r in records:
        per_attachment[r["tgw_attachment_id"]] = per_attachment.get(r["tgw_attachment_id"], 0) + r["bytes"]
    assert max(per_attachment, key=per_attachment.__getitem__) == inc.top_attachment
    runner_up = sorted(per_attachment.values())[-2]
    assert per_attachment[inc.top_attachment] > 2 * runner_up
    # blackholed traffic never leaves: no egress record pairs with it
    blackholed = [r for r in records if (r["packets_lost_blackhole"] or 0) > 0]
    assert blackholed and all(r["tgw_pair_attachment_id"] == "-" for r in blackholed)


def test_records_and_files_look_like_aws(samples: dict[str, Any]) -> None:
    sample, records = samples["aws-daily-text-default"]
    assert {r["version"] for r in records} == {6} and {r["resource_type"] for r in records} == {
        "TransitGateway"
    }
    assert {r["flow_direction"] for r in records} == {"ingress", "egress"}
    vpn = [r for r in records if r["tgw_src_vpc_id"] == "-"]
    assert vpn and all(r["tgw_src_vpc_account_id"] == "-" for r in vpn)
    first = sample.files[0]
    assert first.parent.as_posix().endswith("AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/05/01")
    assert first.name.startswith("111122223333_vpcflowlogs_us-east-1_fl-") and first.name.endswith(".log.gz")


@pytest.mark.parametrize("name", NAMES)
def test_tgw_investigations_validate_for_athena(name: str) -> None:
    report = checking.check(LIBRARY, name)
    assert report.problems == (), [str(p) for p in report.problems]
    spec = TableSpec(
        location="s3://tgw-bucket/", layout="hive", hourly=True,
        fields=tuple(map(fields.lookup, fields.TGW_DEFAULT_FORMAT)),
    )  # fmt: skip
    sql = LIBRARY.get(name).render(spec, {"start": DAY1, "end": DAY1 + timedelta(days=1)}).sql
    tree = sqlglot.parse_one(sql, read="athena")
    assert isinstance(tree, exp.Select)
    assert {c.name for c in tree.find_all(exp.Column)} <= set(spec.schema()) | set(tree.named_selects)
    assert "hour_partition" in sql and "date_partition" in sql
    # on a VPC table it is refused by name, not run
    assert LIBRARY.get(name).available(TableSpec(location="s3://tgw-bucket/"))


def test_sample_command_writes_transit_gateway_logs(tmp_path: Path, flowsql_cli: Any) -> None:
    out = tmp_path / "tgw"
    result = flowsql_cli("sample", str(out), "--transit-gateway", "--records", "500", "--end", "2024-05-02")
    assert result.code == 0, result
    assert "blackhole route" in result.out and "MTU exceeded" in result.out
    assert f"flowsql init --location {out}" in result.out
    assert "flowsql run tgw_drops --start 2024-05-01 --end 2024-05-03" in result.out
    run = flowsql_cli(
        "run", "tgw_drops", "--location", str(out), "--detect-format", "-p", "start=2024-05-01",
        "-p", "end=2024-05-03", "--format", "json",
    )  # fmt: skip
    assert run.code == 0, run
    assert '"blackhole"' in run.out
