"""flowsql.connect() and Session: options over the config file, rendering, ad-hoc SQL, the lazy
engine, and runs on Athena (moto: the statement it received) and DuckDB (rows computed in Python)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from athena_fakes import inject, received
from sqlglot import exp

import flowsql
from flowsql.config import AthenaSettings
from flowsql.errors import ConfigError, ParameterError, QueryNotFound, ValidationError
from flowsql.session import InvestigationInfo, Session, connect

UTC = timezone.utc
MAY1 = int(datetime(2024, 5, 1, tzinfo=UTC).timestamp())
MAY2 = int(datetime(2024, 5, 2, tzinfo=UTC).timestamp())
ACCOUNT = "123456789012"
REGION = "us-east-1"


def parse(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="athena")


def comparisons(tree: exp.Expression) -> set[str]:
    """Every binary comparison in the tree as Athena SQL text without identifier quotes."""
    kinds = (exp.EQ, exp.GTE, exp.LT, exp.GT, exp.LTE)
    return {node.sql(dialect="athena").replace('"', "") for node in tree.find_all(*kinds)}


# --- connect(): options and the config file ------------------------------------------------------


def test_connect_builds_spec_and_settings_from_options(workdir: Path) -> None:
    fl = connect(
        location="s3://my-logs/vpc",
        database="net",
        table="flows",
        hourly=True,
        accounts="111111111111, 222222222222",
        region="eu-west-1",
        workgroup="wg",
        timeout_seconds=60,
    )
    assert isinstance(fl, Session) and fl.engine_name == "duckdb"
    assert fl.spec.location == "s3://my-logs/vpc/" and fl.spec.qualified_name == '"net"."flows"'
    assert fl.spec.hourly and fl.spec.accounts == ("111111111111", "222222222222")
    assert fl.settings == AthenaSettings(region="eu-west-1", workgroup="wg", timeout_seconds=60)
    assert fl.max_window_days == 31
    assert fl._engine is None  # nothing is created before the first query


def test_options_are_laid_over_the_config_file(workdir: Path) -> None:
    (workdir / ".flowsql.yaml").write_text(
        "engine: athena\n"
        "max_window_days: 7\n"
        "table: {location: 's3://cfg-logs/', database: cfgdb, table: cfgtable}\n"
        "athena: {region: us-west-2, workgroup: cfgwg, output_location: 's3://cfg-results/'}\n"
    )
    fl = connect(table="other", workgroup="wg2")
    assert fl.engine_name == "athena"
    assert fl.spec.qualified_name == '"cfgdb"."other"' and fl.spec.location == "s3://cfg-logs/"
    assert fl.settings.region == "us-west-2" and fl.settings.workgroup == "wg2"
    assert fl.settings.output_location == "s3://cfg-results/"
    assert fl.max_window_days == 7
    assert connect("duckdb", max_window_days=2).engine_name == "duckdb"
    assert connect(max_window_days=2).max_window_days == 2

    other = workdir / "sub" / "elsewhere.yaml"
    other.parent.mkdir()
    other.write_text("table: {location: ./logs}\n")
    # A relative location in a config file is relative to the file's folder.
    assert connect(config=other).spec.location == f"{workdir}/sub/logs/"
    with pytest.raises(ConfigError, match="does not exist"):
        connect(config=workdir / "missing.yaml")


def test_connect_refuses_unknown_options_and_engines(workdir: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        connect(location="./x", output_locaton="s3://typo/")
    assert "output_locaton" in caught.value.message and "output_location" in str(caught.value.hint)
    with pytest.raises(ConfigError, match="engine must be one of duckdb, athena"):
        connect("spark", location="./x")
    with pytest.raises(ConfigError, match="no location given"):
        connect()


def test_import_flowsql_stays_light() -> None:
    code = (
        "import sys, flowsql\n"
        "heavy = {'flowsql.session', 'boto3', 'pyathena', 'duckdb', 'sqlglot', 'jinja2', 'yaml'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
        "flowsql.connect\n"
        "print(sorted({'boto3', 'pyathena', 'duckdb', 'sqlglot'} & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "[]"]
    assert flowsql.connect is connect and "connect" in dir(flowsql)


# --- rendering and the library -------------------------------------------------------------------


@pytest.fixture
def s3_session(workdir: Path) -> Session:
    return connect("athena", location="s3://flow-logs-bucket/", database="netlogs", table="flows")


def test_render_gives_validated_athena_sql(s3_session: Session) -> None:
    sql = s3_session.render("rejected_ssh_sources", start="2024-05-01", end="2024-05-02", port=2222)
    tree = parse(sql)
    tables = {(t.db, t.name) for t in tree.find_all(exp.Table)}
    assert tables == {("netlogs", "flows")}
    found = comparisons(tree)
    assert f"start >= {MAY1}" in found and f"start < {MAY2}" in found
    assert "dstport = 2222" in found
    assert s3_session._engine is None  # rendering needs no engine


def test_parameter_and_name_errors(s3_session: Session) -> None:
    with pytest.raises(ParameterError, match="has no parameter 'prot'"):
        s3_session.render("rejected_ssh_sources", prot=22)
    with pytest.raises(ParameterError, match="port must be 0–65535"):
        s3_session.render("rejected_ssh_sources", port=70000)
    with pytest.raises(QueryNotFound, match="no investigation named 'rejected_ssh'"):
        s3_session.render("rejected_ssh")


def test_investigations_report_missing_fields(workdir: Path) -> None:
    full = connect(location="./logs").investigations()
    names = [i.name for i in full]
    assert "rejected_ssh_sources" in names and names == sorted(names)
    ssh = next(i for i in full if i.name == "rejected_ssh_sources")
    assert isinstance(ssh, InvestigationInfo) and ssh.available and ssh.missing == ()
    assert ssh.params["port"].default == 22  # attributes of the investigation itself
    assert "rejected_ssh_sources" in repr(ssh) and "SELECT" not in repr(ssh)

    narrow = connect(location="./logs", log_format="${version} ${srcaddr} ${dstaddr} ${start} ${end}")
    listed = {i.name: i for i in narrow.investigations()}
    assert set(listed["rejected_ssh_sources"].missing) >= {"action", "dstport", "protocol"}
    assert "rejected_ssh_sources" not in {i.name for i in narrow.investigations(available_only=True)}


def test_user_query_folder_overrides(workdir: Path) -> None:
    folder = workdir / "myqueries"
    folder.mkdir()
    (folder / "bytes_by_action.sql").write_text(
        "-- name: bytes_by_action\n"
        "-- title: Bytes by action\n"
        "-- description: Total bytes per action.\n"
        "-- category: cost/usage\n"
        "-- fields: [action, bytes, start]\n"
        "-- columns: [action, total]\n"
        "SELECT action, sum(bytes) AS total FROM {{ table }} WHERE {{ in_window() }} GROUP BY action\n"
    )
    fl = connect("athena", location="s3://my-bucket/", queries=[folder])
    tree = parse(fl.render("bytes_by_action", start="2024-05-01", end="2024-05-02"))
    assert [s.alias_or_name for s in tree.expressions] == ["action", "total"]


# --- running on Athena (moto) --------------------------------------------------------------------


@pytest.fixture
def athena_session(moto: Any, workdir: Path) -> Session:
    moto.client("s3").create_bucket(Bucket="results")
    return connect(
        "athena",
        location="s3://flow-logs-bucket/",
        database="netlogs",
        table="flows",
        region="us-east-1",
        output_location="s3://results/flowsql/",
    )


def test_run_on_athena_sends_the_rendered_sql(moto: Any, athena_session: Session) -> None:
    params = {"start": "2024-05-01", "end": "2024-05-02", "port": 2222, "limit": 5}
    inject(
        moto,
        [("srcaddr", "varchar"), ("attempts", "bigint"), ("packets", "bigint"), ("bytes", "bigint"),
         ("targets", "bigint"), ("first_seen", "timestamp"), ("last_seen", "timestamp")],
        [["203.0.113.9", "41", "82", "4920", "3", "2024-05-01 00:00:07.000", "2024-05-01 23:10:00.000"]],
    )  # fmt: skip
    rows = athena_session.run("rejected_ssh_sources", **params)
    sent = received(moto, rows.stats.execution_id)["Query"]  # type: ignore[arg-type]
    assert parse(sent) == parse(athena_session.render("rejected_ssh_sources", **params))
    assert "dstport = 2222" in comparisons(parse(sent))
    (row,) = rows
    assert row.srcaddr == "203.0.113.9" and row.attempts == 41 and row["bytes"] == 4920
    assert row.first_seen == datetime(2024, 5, 1, 0, 0, 7, tzinfo=UTC)
    assert rows.stats.engine == "athena" and rows.stats.cost_usd is not None


def test_adhoc_sql_is_validated_then_sent(moto: Any, athena_session: Session) -> None:
    with pytest.raises(ValidationError, match="dst_port"):
        athena_session.sql('SELECT dst_port FROM "netlogs"."flows"')
    assert athena_session._engine is None  # refused before anything reached Athena
    text = 'select action, count(*) as n from "netlogs"."flows" where dstport = 22 group by action'
    rows = athena_session.sql(text)
    sent = received(moto, rows.stats.execution_id)["Query"]  # type: ignore[arg-type]
    assert parse(sent) == parse(text)
    assert sent != text  # the regenerated statement, not the text as typed


# --- running on DuckDB ---------------------------------------------------------------------------

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"


def write_day(root: Path, day: datetime, records: list[tuple[Any, ...]]) -> None:
    """One gzip flow-log file in the AWS default layout, header line first."""
    folder = root / "AWSLogs" / ACCOUNT / "vpcflowlogs" / REGION / day.strftime("%Y/%m/%d")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = day.strftime("%Y%m%dT0000Z")
    name = f"{ACCOUNT}_vpcflowlogs_{REGION}_fl-0123456789abcdef0_{stamp}_a1b2c3d4.log.gz"
    lines = [HEADER] + [" ".join(str(v) for v in r) for r in records]
    (folder / name).write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


def ssh_records() -> list[tuple[Any, ...]]:
    """A day of records: rejected SSH from three sources, plus noise the query must ignore."""
    records = []
    base = MAY1 + 60
    for i, (src, count) in enumerate([("198.51.100.7", 5), ("203.0.113.9", 3), ("192.0.2.1", 1)]):
        for k in range(count):
            start = base + i * 1000 + k * 10
            records.append((2, ACCOUNT, "eni-0123456789abcdef0", src, f"10.0.0.{k + 1}", 40000 + k, 22, 6,
                            2, 120, start, start + 30, "REJECT", "OK"))  # fmt: skip
    start = base + 5000
    records.append((2, ACCOUNT, "eni-0123456789abcdef0", "198.51.100.7", "10.0.0.9", 40000, 22, 6, 2, 120,
                    start, start + 30, "ACCEPT", "OK"))  # fmt: skip
    records.append((2, ACCOUNT, "eni-0123456789abcdef0", "198.51.100.7", "10.0.0.9", 40000, 443, 6, 2, 120,
                    start, start + 30, "REJECT", "OK"))  # fmt: skip
    records.append((2, ACCOUNT, "eni-0123456789abcdef0", "-", "-", "-", "-", "-", "-", "-",
                    start, start + 30, "-", "NODATA"))  # fmt: skip
    return records


def expected_ssh(records: list[tuple[Any, ...]], port: int = 22) -> list[tuple[Any, ...]]:
    """rejected_ssh_sources computed in plain Python from the same records, as its header defines it:
    first_seen/last_seen are the first record's start and the last record's end."""
    groups: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in records:
        if r[13] == "OK" and r[12] == "REJECT" and r[7] == 6 and r[6] == port and MAY1 <= r[10] < MAY2:
            groups[r[3]].append(r)
    out = []
    for src, rs in groups.items():
        out.append((src, len(rs), sum(r[8] for r in rs), sum(r[9] for r in rs), len({r[4] for r in rs}),
                    datetime.fromtimestamp(min(r[10] for r in rs), UTC),
                    datetime.fromtimestamp(max(r[11] for r in rs), UTC)))  # fmt: skip
    return sorted(out, key=lambda t: (-t[1], -t[3], t[0]))


def test_run_on_duckdb_matches_python(workdir: Path) -> None:
    records = ssh_records()
    write_day(workdir / "logs", datetime(2024, 5, 1, tzinfo=UTC), records)
    with connect(location=str(workdir / "logs")) as fl:
        rows = fl.run("rejected_ssh_sources", start="2024-05-01", end="2024-05-02")
        assert [tuple(r) for r in rows] == expected_ssh(records)
        assert rows.stats.engine == "duckdb" and rows.stats.row_count == 3
        ad_hoc = fl.sql(
            f'SELECT count(*) AS n FROM "vpc_flow_logs"."flow_logs" WHERE log_status = \'OK\' AND start >= {MAY1}'
        )
        assert ad_hoc[0].n == sum(1 for r in records if r[13] == "OK")


def test_every_investigation_reaches_athena_exactly_as_rendered(moto: Any, workdir: Path) -> None:
    """What crosses the wire for the whole catalogue: the statement Athena received is, byte for
    byte, what render() printed (no driver-side formatting touched a `%` or a quote)."""
    from flowsql.tables import fields

    moto.client("s3").create_bucket(Bucket="results")
    every_field = " ".join("${" + n + "}" for n in fields.ALL_FIELDS)  # VPC and transit gateway
    fl = connect(
        "athena",
        location="s3://flow-logs-bucket/",
        log_format=every_field,
        region="us-east-1",
        output_location="s3://results/flowsql/",
        inventory="s3://results/inventory/",  # so those joining the inventory's Glue tables run too
    )
    assert fl.has_inventory
    listed = fl.investigations()
    assert len(listed) >= 10 and all(i.available for i in listed)
    for info in listed:
        params = {"start": "2024-05-01", "end": "2024-05-02", **info.investigation.example_params()}
        rendered = fl.prepare(info.name, **params)  # what run() does: prepare, then execute
        rows = fl.execute(rendered.sql)
        assert received(moto, rows.stats.execution_id)["Query"] == rendered.sql, info.name  # type: ignore[arg-type]
