import re
from datetime import date, datetime, timezone

import pytest
import sqlglot
from sqlglot import exp

from flowsql.errors import ConfigError, LocationError
from flowsql.investigations.window import TimeWindow
from flowsql.tables.fields import parse_log_format
from flowsql.tables.spec import TableSpec, normalize_location


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("s3://my-bucket", "s3://my-bucket/"),
        ("s3://my-bucket/", "s3://my-bucket/"),
        ("s3://my-bucket/AWSLogs/", "s3://my-bucket/"),
        ("s3://my-bucket/logs/vpc", "s3://my-bucket/logs/vpc/"),
        ("s3://my-bucket/logs/vpc/AWSLogs", "s3://my-bucket/logs/vpc/"),
        ("s3://my-bucket/logs/AWSLogs/123456789012/vpcflowlogs/", "s3://my-bucket/logs/"),
        ("/data/flow", "/data/flow/"),
        ("flow/AWSLogs/", "flow/"),
    ],
)
def test_location_normalized(given, normal):
    assert normalize_location(given) == normal


@pytest.mark.parametrize("bad", ["", "s3://", "s3://A_B/x", "http://x/y", "s3://bucket/it's"])
def test_bad_location(bad):
    with pytest.raises(LocationError):
        normalize_location(bad)


def test_bad_options():
    with pytest.raises(ConfigError, match=re.escape("--layout must be one of aws|hive, got 'flat'")):
        TableSpec("s3://bkt/", layout="flat")
    with pytest.raises(ConfigError, match="12-digit"):
        TableSpec("s3://bkt/", accounts=("12",))
    with pytest.raises(ConfigError, match="in the future"):
        TableSpec("s3://bkt/", start_date=date(2999, 1, 1))
    with pytest.raises(ConfigError, match="lowercase identifier"):
        TableSpec("s3://bkt/", table="flow-logs")


def test_region_field_keeps_its_column():
    spec = TableSpec("s3://bkt/", fields=parse_log_format("${version} ${region} ${srcaddr} ${az-id}"))
    assert spec.columns == ["version", "region", "srcaddr", "az_id"]
    assert "region" not in spec.partition_columns


def _predicate_tree(spec, window):
    return sqlglot.parse_one(f"SELECT 1 FROM t WHERE {spec.window_predicate(window)}", read="athena")


def _partition_values(spec, d: date, hour: int):
    """Partition column values of the folder a file from that day and hour sits in."""
    path = spec.partition_path("123456789012", "us-east-1", d, hour if spec.hourly else None) + "f.log.gz"
    return re.search(spec.path_regex(), path).groupdict()


@pytest.mark.parametrize("layout", ["aws", "hive"])
@pytest.mark.parametrize("hourly", [False, True])
def test_partition_predicate_selects_exactly_the_padded_range(layout, hourly):
    """Evaluate the predicate over every hour of a week with DuckDB's SQL engine: the hours it keeps
    are exactly those from the window's start to 15 minutes past its end."""
    import duckdb

    spec = TableSpec("s3://bkt/", layout=layout, hourly=hourly)
    window = TimeWindow.parse("2024-05-01T22:30:00Z", "2024-05-02T23:50:00Z")
    rows = []
    for day in range(28, 32):
        for hour in range(24):
            d = date(2024, 4, day) if day <= 30 else date(2024, 5, day - 30)
            rows.append((d, hour, _partition_values(spec, d, hour)))
    for day in range(2, 5):
        for hour in range(24):
            d = date(2024, 5, day)
            rows.append((d, hour, _partition_values(spec, d, hour)))
    predicate = spec.partition_predicate(window)
    con = duckdb.connect()
    kept = set()
    for d, hour, values in rows:
        cols = ", ".join(f"'{v}' AS {k}" for k, v in values.items())
        if con.execute(f"SELECT count(*) FROM (SELECT {cols}) WHERE {predicate}").fetchone()[0]:
            kept.add((d, hour))
    if hourly:
        expected = {(date(2024, 5, 1), h) for h in (22, 23)} | {(date(2024, 5, 2), h) for h in range(24)}
        expected |= {(date(2024, 5, 3), 0)}  # 23:50 + 15 minutes of padding
    else:
        expected = {(d, h) for d in (date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3)) for h in range(24)}
    assert kept == expected


def test_window_predicate_bounds_start_exactly():
    spec = TableSpec("s3://bkt/")
    window = TimeWindow.parse("2024-05-01", "2024-05-02")
    tree = _predicate_tree(spec, window)
    ge = [n for n in tree.find_all(exp.GTE) if n.this.name == "start"]
    lt = [n for n in tree.find_all(exp.LT) if n.this.name == "start"]
    assert int(ge[0].expression.this) == int(datetime(2024, 5, 1, tzinfo=timezone.utc).timestamp())
    assert int(lt[0].expression.this) == int(datetime(2024, 5, 2, tzinfo=timezone.utc).timestamp())
    between = next(tree.find_all(exp.Between))
    assert between.this.name == "date_partition"
    assert (between.args["low"].this, between.args["high"].this) == ("2024/05/01", "2024/05/02")


def test_accounts_and_regions_narrow_the_predicate():
    spec = TableSpec("s3://bkt/")
    window = TimeWindow.parse("2024-05-01", "2024-05-02")
    tree = sqlglot.parse_one(
        "SELECT 1 FROM t WHERE "
        + spec.partition_predicate(window, ["123456789012"], ["eu-west-1", "us-east-1"]),
        read="athena",
    )
    ins = {n.this.name: [e.this for e in n.expressions] for n in tree.find_all(exp.In)}
    assert ins == {"account_partition": ["123456789012"], "region_partition": ["eu-west-1", "us-east-1"]}


def test_spec_round_trips_through_json():
    spec = TableSpec(
        "s3://bkt/p/",
        layout="hive",
        hourly=True,
        file_format="parquet",
        fields=parse_log_format("${version} ${vpc-id} ${srcaddr} ${reject-reason}"),
        accounts=("123456789012",),
        regions=("us-east-1",),
        partitioning="partitions",
        start_date=date(2023, 2, 1),
    )
    assert TableSpec.from_json(spec.to_json()) == spec


def test_window_defaults_and_limits():
    now = datetime(2024, 5, 3, 12, 30, 15, tzinfo=timezone.utc)
    w = TimeWindow.parse(now=now)
    assert (w.end - w.start).total_seconds() == 86400 and w.end > now
    w = TimeWindow.parse("2024-05-01", None)
    assert w.end == datetime(2024, 5, 2, tzinfo=timezone.utc)
    w = TimeWindow.parse("2024-05-01T10:00:00+02:00", "2024-05-01T12:00Z")
    assert w.start == datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
    from flowsql.errors import ParameterError

    with pytest.raises(ParameterError, match="end must be after start"):
        TimeWindow.parse("2024-05-02", "2024-05-01")
    with pytest.raises(ParameterError, match="more than the maximum of 31 days"):
        TimeWindow.parse("2024-01-01", "2024-12-31")
    with pytest.raises(ParameterError, match="start must be an ISO-8601 date"):
        TimeWindow.parse("the day before", "2024-05-01")
