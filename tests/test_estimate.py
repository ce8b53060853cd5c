"""Scan estimates from real listings of the moto server's S3: objects of known sizes inside and
outside the window's partitions, other accounts and regions; the expected sums are worked out by hand
from literal keys, not from TableSpec's own path functions."""

from __future__ import annotations

import pytest

from flowsql.config import AthenaSettings
from flowsql.cost import estimate
from flowsql.errors import ConfigError, ScanLimitExceeded
from flowsql.investigations.window import TimeWindow
from flowsql.results import athena_cost
from flowsql.tables.spec import TableSpec

BUCKET = "logs-bucket"
A1, A2 = "111111111111", "222222222222"
WINDOW = TimeWindow.parse("2024-05-02", "2024-05-03")  # partitions 05/02 and 05/03 (15-minute pad)
SETTINGS = AthenaSettings(region="us-east-1")


def _put(s3, objects: dict[str, int]) -> None:
    s3.create_bucket(Bucket=BUCKET)
    for key, size in objects.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x" * size)


def _aws(account: str, region: str, day: str, name: str, hour: str | None = None) -> str:
    base = f"base/AWSLogs/{account}/vpcflowlogs/{region}/2024/05/{day}/"
    return base + (f"{hour}/" if hour else "") + name


DAILY_AWS = {
    _aws(A1, "us-east-1", "02", "a.log.gz"): 101,
    _aws(A1, "us-east-1", "02", "b.log.gz"): 202,
    _aws(A1, "us-east-1", "03", "c.log.gz"): 404,
    _aws(A1, "us-east-1", "01", "before.log.gz"): 1_000,  # outside: day before the window
    _aws(A1, "us-east-1", "04", "after.log.gz"): 2_000,  # outside: beyond the padding
    _aws(A1, "us-east-1", "20", "lookalike.log.gz"): 3_000,  # 05/20 must not match a 05/2 prefix
    _aws(A1, "eu-west-1", "02", "other-region.log.gz"): 4_000,
    _aws(A2, "us-east-1", "02", "other-account.log.gz"): 8_000,
    _aws(A1, "us-east-1", "02", "_SUCCESS"): 16_000,  # hidden from Athena
}


def test_daily_aws_layout_counts_exactly_the_selected_partitions(moto) -> None:
    _put(moto.client("s3"), DAILY_AWS)
    spec = TableSpec(location=f"s3://{BUCKET}/base", accounts=(A1,), regions=("us-east-1",))
    got = estimate.estimate_scan(spec, WINDOW, SETTINGS)
    assert (got.bytes, got.objects, got.prefixes) == (101 + 202 + 404, 3, 2)
    assert got.cost_usd == athena_cost(707)
    assert not got.upper_bound


def test_accounts_and_regions_widen_and_narrow_the_listing(moto) -> None:
    _put(moto.client("s3"), DAILY_AWS)
    spec = TableSpec(location=f"s3://{BUCKET}/base", accounts=(A1, A2), regions=("us-east-1", "eu-west-1"))
    every = estimate.estimate_scan(spec, WINDOW, SETTINGS)
    assert (every.bytes, every.objects, every.prefixes) == (707 + 4_000 + 8_000, 5, 8)
    only_a2 = estimate.estimate_scan(spec, WINDOW, SETTINGS, accounts=[A2], regions=["us-east-1"])
    assert (only_a2.bytes, only_a2.objects, only_a2.prefixes) == (8_000, 1, 2)


def test_accounts_and_regions_are_discovered_when_the_table_names_none(moto) -> None:
    _put(moto.client("s3"), DAILY_AWS)
    spec = TableSpec(location=f"s3://{BUCKET}/base")
    got = estimate.estimate_scan(spec, WINDOW, SETTINGS)
    assert (got.bytes, got.objects) == (707 + 4_000 + 8_000, 5)


def test_listing_follows_every_page(moto, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(estimate, "PAGE_SIZE", 2)
    _put(moto.client("s3"), {_aws(A1, "us-east-1", "02", f"f{i}.log.gz"): 10 + i for i in range(7)})
    spec = TableSpec(location=f"s3://{BUCKET}/base", accounts=(A1,), regions=("us-east-1",))
    got = estimate.estimate_scan(spec, WINDOW, SETTINGS)
    assert (got.bytes, got.objects) == (sum(10 + i for i in range(7)), 7)


def test_hourly_hive_layout_parquet_is_an_upper_bound(moto) -> None:
    def hive(day: str, hour: str, name: str, account: str = A1) -> str:
        return (
            f"pq/AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region=us-east-1/"
            f"year=2024/month=05/day={day}/hour={hour}/{name}"
        )

    _put(
        moto.client("s3"),
        {
            hive("02", "10", "in.log.parquet"): 300,
            hive("02", "12", "in2.log.parquet"): 30,
            hive("02", "13", "in3.log.parquet"): 3,  # the padding hour: 13:00-13:14 is selected
            hive("02", "09", "early.log.parquet"): 5_000,
            hive("02", "14", "late.log.parquet"): 6_000,
            hive("03", "10", "next-day.log.parquet"): 7_000,
            hive("02", "10", "x.log.parquet", account=A2): 9_000,
        },
    )
    spec = TableSpec(
        location=f"s3://{BUCKET}/pq",
        layout="hive",
        hourly=True,
        file_format="parquet",
        accounts=(A1,),
        regions=("us-east-1",),
    )
    window = TimeWindow.parse("2024-05-02T10:00:00Z", "2024-05-02T13:00:00Z")
    got = estimate.estimate_scan(spec, window, SETTINGS)
    assert (got.bytes, got.objects, got.prefixes) == (333, 3, 4)
    assert got.upper_bound
    assert got.summary().startswith("estimated scan: at most 333 bytes in 3 objects under 4 partitions")


def test_local_folder_sums_file_sizes(tmp_path) -> None:
    for key, size in DAILY_AWS.items():
        path = tmp_path / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"y" * size)
    spec = TableSpec(location=str(tmp_path / "base"), accounts=(A1,), regions=("us-east-1",))
    got = estimate.estimate_scan(spec, WINDOW)
    assert (got.bytes, got.objects, got.prefixes) == (707, 3, 2)


class _NoCalls:
    def __getattr__(self, name: str):
        raise AssertionError(f"S3 was called ({name}) although no estimate was asked for")


def test_check_scan_lists_nothing_unless_asked() -> None:
    spec = TableSpec(location=f"s3://{BUCKET}/base", accounts=(A1,), regions=("us-east-1",))
    assert estimate.check_scan(spec, WINDOW, SETTINGS, None, False, client=_NoCalls()) is None


def test_check_scan_refuses_above_the_limit_naming_both_numbers(moto) -> None:
    _put(moto.client("s3"), DAILY_AWS)
    spec = TableSpec(location=f"s3://{BUCKET}/base", accounts=(A1,), regions=("us-east-1",))
    assert estimate.check_scan(spec, WINDOW, SETTINGS, "1KB", False).bytes == 707
    assert estimate.check_scan(spec, WINDOW, SETTINGS, None, True).bytes == 707
    with pytest.raises(ScanLimitExceeded) as info:
        estimate.check_scan(spec, WINDOW, SETTINGS, "700B", True)
    message = str(info.value)
    assert "707 bytes" in message and "700 bytes" in message and "700B" in message
    assert info.value.exit_code == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10GB", 10 * 10**9),
        ("10 gb", 10 * 10**9),
        ("1.5TB", 15 * 10**11),
        ("500MB", 500 * 10**6),
        ("2KB", 2000),
        ("1GiB", 2**30),
        ("3 MiB", 3 * 2**20),
        ("1TiB", 2**40),
        ("123456", 123456),
        ("5G", 5 * 10**9),
        (4096, 4096),
    ],
)
def test_parse_size(text: str | int, expected: int) -> None:
    assert estimate.parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "ten GB", "10XB", "-5GB", "0", "GB", "10 G B", True])
def test_parse_size_refuses_nonsense(text: object) -> None:
    with pytest.raises(ConfigError, match="max scan"):
        estimate.parse_size(text)  # type: ignore[arg-type]


# --- flowsql run --estimate / --max-scan, end to end against moto ---------------------------------


def _run_args(*extra: str) -> list[str]:
    return [
        "run", "top_talkers", "--engine", "athena", "--location", f"s3://{BUCKET}/base",
        "--accounts", A1, "--regions", "us-east-1", "--output-location", "s3://results/out/",
        "-p", "start=2024-05-02", "-p", "end=2024-05-03", *extra,
    ]  # fmt: skip


def test_run_estimate_prints_and_sends_nothing(moto, workdir, flowsql_cli) -> None:
    _put(moto.client("s3"), DAILY_AWS)
    moto.client("s3").create_bucket(Bucket="results")
    got = flowsql_cli(*_run_args("--estimate"))
    assert got.code == 0, got
    assert got.out.startswith("estimated scan: 707 bytes in 3 objects under 2 partitions")
    assert not moto.client("athena").list_query_executions()["QueryExecutionIds"]


def test_run_max_scan_refuses_before_athena_and_allows_below(moto, workdir, flowsql_cli) -> None:
    _put(moto.client("s3"), DAILY_AWS)
    moto.client("s3").create_bucket(Bucket="results")
    refused = flowsql_cli(*_run_args("--max-scan", "0.5KB"))
    assert refused.code == 3, refused
    assert "707 bytes" in refused.err and "500 bytes" in refused.err
    assert not moto.client("athena").list_query_executions()["QueryExecutionIds"]
    allowed = flowsql_cli(*_run_args("--max-scan", "1KB"))
    assert allowed.code == 0, allowed
    assert len(moto.client("athena").list_query_executions()["QueryExecutionIds"]) == 1


def test_run_max_scan_from_the_config_file(moto, workdir, flowsql_cli) -> None:
    _put(moto.client("s3"), DAILY_AWS)
    moto.client("s3").create_bucket(Bucket="results")
    (workdir / ".flowsql.yaml").write_text("max_scan: 100B\n")
    refused = flowsql_cli(*_run_args())
    assert refused.code == 3 and "100 bytes" in refused.err, refused
    assert not moto.client("athena").list_query_executions()["QueryExecutionIds"]
