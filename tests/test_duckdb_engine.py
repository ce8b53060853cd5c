"""The DuckDB engine over real files: both layouts, daily and hourly, text and Parquet, mixed formats,
partition pruning counted by files opened, bad files, empty locations. Every expected answer is
computed in plain Python from the records the test wrote."""

from __future__ import annotations

import gzip
import os
import random
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flowsql.engines.duckdb.engine import DuckDBEngine
from flowsql.errors import BadFile, LocationError, UnsupportedConstruct
from flowsql.investigations.window import TimeWindow
from flowsql.tables import fields as flowfields
from flowsql.tables.spec import TableSpec

UTC = timezone.utc
ACCOUNT = "012345678901"  # a leading zero that must survive
REGION = "eu-west-1"
DAY0 = datetime(2024, 5, 1, tzinfo=UTC)
DEFAULT = flowfields.DEFAULT_FORMAT
V5 = (
    "version", "vpc-id", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status", "flow-direction",
)  # fmt: skip

Record = dict[str, Any]


def make_records(count: int, seed: int = 1, days: int = 3) -> list[Record]:
    """Flow records spread over `days` days, some crossing midnight, some NODATA."""
    rng = random.Random(seed)
    records = []
    for i in range(count):
        start = int((DAY0 + timedelta(seconds=rng.randrange(days * 86400 - 600))).timestamp())
        if i % 17 == 0:  # starts just before midnight, ends after it
            midnight = DAY0 + timedelta(days=rng.randrange(1, days))
            start = int(midnight.timestamp()) - 90
        end = start + rng.randrange(1, 600)
        if i % 23 == 0:
            records.append({"start": start, "end": end, "log-status": "NODATA", "version": 2})
            continue
        records.append(
            {
                "version": 2,
                "srcaddr": rng.choice(["10.0.0.5", "10.0.1.7", "203.0.113.9", "2001:db8::1"]),
                "dstaddr": rng.choice(["10.0.0.5", "198.51.100.3"]),
                "srcport": rng.randrange(1024, 65536),
                "dstport": rng.choice([22, 443, 3306]),
                "protocol": 6,
                "packets": rng.randrange(1, 50),
                "bytes": rng.randrange(40, 10**9),
                "start": start,
                "end": end,
                "action": rng.choice(["ACCEPT", "REJECT"]),
                "log-status": "OK",
                "vpc-id": "vpc-1",
                "flow-direction": rng.choice(["ingress", "egress"]),
            }
        )
    return records


def file_key(record: Record) -> datetime:
    """The 5-minute window of the record's end time: the file AWS would put it in."""
    end = datetime.fromtimestamp(record["end"], UTC)
    return end.replace(minute=end.minute - end.minute % 5, second=0)


def write_logs(
    spec: TableSpec, records: list[Record], names: tuple[str, ...] = DEFAULT, tag: str = "a"
) -> list[str]:
    """Gzip text (or Parquet) files in spec's layout, one per 5-minute window; returns their paths."""
    by_file: dict[datetime, list[Record]] = {}
    for record in records:
        by_file.setdefault(file_key(record), []).append(record)
    paths = []
    for key, group in sorted(by_file.items()):
        folder = spec.partition_path(ACCOUNT, REGION, key.date(), key.hour if spec.hourly else None)
        os.makedirs(folder, exist_ok=True)
        stem = f"{ACCOUNT}_vpcflowlogs_{REGION}_fl-0123456789abcdef0_{key:%Y%m%dT%H%MZ}_{tag}1b2c3d4"
        rows = [[_value(r, n) for n in names] for r in group]
        if spec.file_format.value == "parquet":
            path = folder + stem + ".log.parquet"
            _write_parquet(path, names, group)
        else:
            path = folder + stem + ".log.gz"
            lines = [" ".join(names)] + [" ".join(row) for row in rows]
            with gzip.open(path, "wt") as handle:
                handle.write("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def _value(record: Record, name: str) -> str:
    value = record.get(name, "012345678901" if name == "account-id" else None)
    if name == "interface-id":
        value = "eni-0a1b2c3d"
    return "-" if value is None else str(value)


def _write_parquet(path: str, names: tuple[str, ...], group: list[Record]) -> None:
    types = {"int": "INTEGER", "bigint": "BIGINT", "string": "VARCHAR"}
    columns = [flowfields.column_name(n) for n in names]
    kinds = [types[flowfields.lookup(n).parquet_type] for n in names]
    values = [[None if _value(r, n) == "-" else _value(r, n) for r in group] for n in names]
    select = ", ".join(
        f'CAST(unnest(${i + 1}) AS {k}) AS "{c}"' for i, (c, k) in enumerate(zip(columns, kinds, strict=True))
    )
    _PARQUET.execute(f"COPY (SELECT {select}) TO '{path}' (FORMAT parquet)", values)


_PARQUET = duckdb.connect()


def expected_row(record: Record, spec: TableSpec, absent: tuple[str, ...] = ()) -> tuple[Any, ...]:
    """A record as the table shows it: typed values, then the partition values. A '-' is NULL in a
    numeric column; in a string column it is the string '-' on text (Athena's text table) and NULL in
    the Parquet files written here."""
    types = spec.column_types()
    values: list[Any] = []
    for field in spec.fields:
        text = _value(record, field.name) if field.name in record or field.name in (
            "account-id", "interface-id") else "-"  # fmt: skip
        if field.name in absent:  # a field the file's format lacks
            values.append(None)
        elif text == "-":
            string = types[field.column] == "string" and spec.file_format.value == "text"
            values.append("-" if string else None)
        elif types[field.column] in ("int", "bigint"):
            values.append(int(text))
        else:
            values.append(text)
    key = file_key(record)
    values += [ACCOUNT, REGION, key.strftime(spec.date_format)]
    if spec.hourly:
        values.append(f"{key.hour:02d}")
    return tuple(values)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Translations cached in the test's own folder, not the user's cache."""
    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "flowsql-cache"))


LAYOUTS = [("aws", False), ("aws", True), ("hive", False), ("hive", True)]


@pytest.fixture(params=LAYOUTS, ids=[f"{lay}-{'hourly' if h else 'daily'}" for lay, h in LAYOUTS])
def layout(request: pytest.FixtureRequest) -> tuple[str, bool]:
    return request.param  # type: ignore[no-any-return]


# --- reading ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["text", "parquet"])
def test_reads_every_record_with_types_and_partitions(
    tmp_path: Path, layout: tuple[str, bool], file_format: str
) -> None:
    spec = TableSpec(location=str(tmp_path), layout=layout[0], hourly=layout[1], file_format=file_format)
    records = make_records(120)
    write_logs(spec, records)
    with DuckDBEngine(spec) as engine:
        rows = engine.execute(f"SELECT * FROM {spec.qualified_name}")
    assert rows.columns == (*spec.columns, *spec.partition_columns)
    assert Counter(rows) == Counter(expected_row(r, spec) for r in records)
    assert rows.stats.engine == "duckdb"
    assert rows.stats.files_skipped == []
    sample = next(r for r in rows if r.log_status == "OK")
    assert isinstance(sample.bytes, int) and isinstance(sample.dstport, int)
    assert sample.account_id == ACCOUNT  # a string, leading zero kept
    nodata = next(r for r in rows if r.log_status == "NODATA")
    dash = "-" if file_format == "text" else None
    assert nodata.srcaddr == dash and nodata.bytes is None and nodata.action == dash


def test_partition_values_are_the_documented_strings(tmp_path: Path) -> None:
    for lay, hourly, date_value in [("aws", True, "2024/05/02"), ("hive", True, "year=2024/month=05/day=02")]:
        spec = TableSpec(location=str(tmp_path / lay), layout=lay, hourly=hourly)
        start = int(datetime(2024, 5, 2, 7, 1, tzinfo=UTC).timestamp())
        write_logs(spec, [{"version": 2, "start": start, "end": start + 60, "log-status": "NODATA"}])
        with DuckDBEngine(spec) as engine:
            row = engine.execute(
                f"SELECT account_partition, region_partition, date_partition, hour_partition "
                f"FROM {spec.qualified_name}"
            )[0]
        assert tuple(row) == (ACCOUNT, REGION, date_value, "07")


def test_aggregates_come_back_as_plain_python(tmp_path: Path) -> None:
    spec = TableSpec(location=str(tmp_path))
    records = make_records(200)
    write_logs(spec, records)
    ok = [r for r in records if r["log-status"] == "OK"]
    with DuckDBEngine(spec) as engine:
        rows = engine.execute(
            f"SELECT srcaddr, sum(bytes) AS total, count(*) AS flows, min(from_unixtime(start)) AS first "
            f"FROM {spec.qualified_name} WHERE log_status = 'OK' GROUP BY srcaddr ORDER BY total DESC"
        )
    totals: Counter[str] = Counter()
    for r in ok:
        totals[r["srcaddr"]] += r["bytes"]
    assert [(r.srcaddr, r.total) for r in rows] == totals.most_common()
    first = rows[0].first
    assert type(rows[0].total) is int  # not Decimal, not numpy
    assert first.tzinfo is not None and first.utcoffset() == timedelta(0)
    want = min(r["start"] for r in ok if r["srcaddr"] == rows[0].srcaddr)
    assert first == datetime.fromtimestamp(want, UTC)
    assert rows.stats.elapsed_seconds > 0
    assert rows.stats.statement and "read_csv" not in rows.stats.statement


# --- pruning --------------------------------------------------------------------------------------------


def files_in(paths: list[str], spec: TableSpec, keep: Any) -> int:
    """How many of the written files sit in partitions for which keep(date value, hour value) holds."""
    import re

    pattern = re.compile(spec.path_regex())
    count = 0
    for path in paths:
        found = pattern.search(path)
        assert found
        if keep(found.group("date_partition"), found.groupdict().get("hour_partition")):
            count += 1
    return count


def test_window_predicate_prunes_files(tmp_path: Path, layout: tuple[str, bool]) -> None:
    spec = TableSpec(location=str(tmp_path), layout=layout[0], hourly=layout[1])
    records = make_records(160, days=4)
    paths = write_logs(spec, records)
    # A window that starts late on day 2 and ends early on day 3: hourly tables get the OR shape.
    window = TimeWindow.parse("2024-05-02T20:00:00Z", "2024-05-03T02:00:00Z")
    sql = (
        f"SELECT count(*) AS n, sum(bytes) AS b FROM {spec.qualified_name} "
        f"WHERE {spec.window_predicate(window)}"
    )
    low = window.start
    high = window.end + timedelta(minutes=15) - timedelta(seconds=1)

    def keep(date_value: str, hour: str | None) -> bool:
        day = datetime.strptime(date_value, spec.date_format).replace(tzinfo=UTC)
        if hour is None:
            return low.date() <= day.date() <= high.date()
        at = day + timedelta(hours=int(hour))
        return low.replace(minute=0, second=0) <= at <= high

    with DuckDBEngine(spec) as engine:
        read = engine.files_read(sql)
        rows = engine.execute(sql)
        everything = engine.files_read(f"SELECT count(*) AS n FROM {spec.qualified_name}")
    assert everything == len(paths)
    assert read == files_in(paths, spec, keep)
    assert 0 < read < len(paths)
    inside = [r for r in records if window.start_epoch <= r["start"] < window.end_epoch]
    assert rows[0].n == len(inside)
    assert rows[0].b == sum(r.get("bytes") or 0 for r in inside)


@pytest.mark.parametrize(
    "predicate",
    [
        "date_partition = '{d}'",
        "date_partition IN ('{d}')",
        "date_partition BETWEEN '{d}' AND '{d}'",
        "date_partition >= '{d}' AND date_partition <= '{d}'",
    ],
)
def test_simple_partition_shapes_prune(tmp_path: Path, predicate: str) -> None:
    spec = TableSpec(location=str(tmp_path), layout="hive")
    paths = write_logs(spec, make_records(200))
    day = "year=2024/month=05/day=02"
    with DuckDBEngine(spec) as engine:
        read = engine.files_read(
            f"SELECT count(*) AS n FROM {spec.qualified_name} WHERE {predicate.format(d=day)}"
        )
    assert read == files_in(paths, spec, lambda d, h: d == day)


def test_parquet_partitions_prune_too(tmp_path: Path) -> None:
    spec = TableSpec(location=str(tmp_path), layout="hive", file_format="parquet")
    paths = write_logs(spec, make_records(90))
    day = "year=2024/month=05/day=02"
    with DuckDBEngine(spec) as engine:
        read = engine.files_read(
            f"SELECT count(*) AS n FROM {spec.qualified_name} WHERE date_partition = '{day}'"
        )
    wanted = files_in(paths, spec, lambda d, h: d == day)
    # read_parquet opens the first file of the list when the query is bound, for its schema (footer
    # only), whether or not the filter keeps it.
    assert wanted <= read <= wanted + 1
    assert read < len(paths) // 2


def test_a_bad_file_in_a_pruned_partition_is_never_opened(tmp_path: Path) -> None:
    spec = TableSpec(location=str(tmp_path))
    write_logs(spec, make_records(100))
    start = int(datetime(2024, 5, 3, 12, tzinfo=UTC).timestamp())
    busy = [dict(r, start=start, end=start + 1) for r in make_records(400, seed=9) if r["log-status"] == "OK"]
    (victim,) = write_logs(spec, busy, tag="busy")
    data = Path(victim).read_bytes()
    Path(victim).write_bytes(data[:-40])  # truncated: the header line is still readable
    with DuckDBEngine(spec) as engine:
        rows = engine.execute(
            f"SELECT count(*) AS n FROM {spec.qualified_name} WHERE date_partition = '2024/05/01'"
        )
        assert rows[0].n > 0
        with pytest.raises(BadFile) as caught:
            engine.execute(f"SELECT sum(bytes) AS b FROM {spec.qualified_name}")
    assert caught.value.path == victim
    assert "truncated" in caught.value.reason


# --- several formats under one location -----------------------------------------------------------------


def test_files_of_different_formats_are_read_by_header(tmp_path: Path) -> None:
    spec = TableSpec(location=str(tmp_path), fields=tuple(flowfields.lookup(n) for n in V5))
    old = make_records(60, seed=2)
    new = make_records(60, seed=3)
    write_logs(spec, old, names=DEFAULT, tag="old")
    write_logs(spec, new, names=V5, tag="new")
    with DuckDBEngine(spec) as engine:
        rows = engine.execute(f"SELECT * FROM {spec.qualified_name}")
    assert rows.columns == (*spec.columns, *spec.partition_columns)
    expected = [expected_row(r, spec, absent=tuple(n for n in V5 if n not in DEFAULT)) for r in old]
    expected += [expected_row(r, spec) for r in new]
    assert Counter(rows) == Counter(expected)
    # fields a format lacks are NULL, the rest keep their place whatever the column order of the file
    assert {r.vpc_id for r in rows if r.log_status == "OK"} == {None, "vpc-1"}


# --- bad files -----------------------------------------------------------------------------------------


def corrupt(paths: list[str]) -> dict[str, str]:
    """Damage five files five ways; returns path -> a word the reason must contain."""
    damage = {}
    truncated, extra, garbage, not_header, empty = paths[:5]
    data = Path(truncated).read_bytes()
    Path(truncated).write_bytes(data[: len(data) // 2])
    damage[truncated] = "truncated"
    lines = gzip.decompress(Path(extra).read_bytes()).decode().splitlines()
    lines[1] += " surplus"
    Path(extra).write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    damage[extra] = "fields"
    Path(garbage).write_bytes(bytes(random.Random(5).randrange(256) for _ in range(3000)))
    damage[garbage] = "gzip"
    Path(not_header).write_bytes(
        gzip.compress(b"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n")
    )
    damage[not_header] = "header"
    Path(empty).write_bytes(b"")
    damage[empty] = "empty"
    return damage


def test_bad_files_stop_the_query_by_default(tmp_path: Path) -> None:
    spec = TableSpec(location=str(tmp_path))
    paths = write_logs(spec, make_records(60))
    damage = corrupt(paths)
    with DuckDBEngine(spec) as engine, pytest.raises(BadFile) as caught:
        engine.execute(f"SELECT count(*) AS n FROM {spec.qualified_name}")
    assert caught.value.path in damage
    assert damage[caught.value.path] in caught.value.reason
    assert caught.value.path in str(caught.value) and "--skip-bad-files" in str(caught.value)


def test_skip_bad_files_reports_each_one(tmp_path: Path) -> None:
    spec = TableSpec(location=str(tmp_path))
    records = make_records(120)
    paths = write_logs(spec, records)
    damage = corrupt(paths)
    good = {p for p in paths if p not in damage}
    survivors = [r for r in records if any(f"{file_key(r):%Y%m%dT%H%MZ}" in p for p in good)]
    with DuckDBEngine(spec, skip_bad_files=True) as engine:
        rows = engine.execute(f"SELECT count(*) AS n, sum(bytes) AS b FROM {spec.qualified_name}")
        again = engine.execute(f"SELECT count(*) AS n FROM {spec.qualified_name}")
    assert rows[0].n == len(survivors)
    assert rows[0].b == sum(r.get("bytes") or 0 for r in survivors)
    skipped = dict(rows.stats.files_skipped)
    assert set(skipped) == set(damage)
    for path, word in damage.items():
        assert word in skipped[path], (word, skipped[path])
    assert again[0].n == len(survivors) and len(again.stats.files_skipped) == len(damage)


def test_a_value_that_does_not_fit_its_type_is_a_bad_file(tmp_path: Path) -> None:
    spec = TableSpec(location=str(tmp_path))
    paths = write_logs(spec, make_records(50))
    lines = gzip.decompress(Path(paths[0]).read_bytes()).decode().splitlines()
    parts = lines[1].split(" ")
    parts[6] = "ssh"  # dstport
    lines[1] = " ".join(parts)
    Path(paths[0]).write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    with DuckDBEngine(spec) as engine, pytest.raises(BadFile) as caught:
        engine.execute(f"SELECT dstport, count(*) AS n FROM {spec.qualified_name} GROUP BY dstport")
    assert caught.value.path == paths[0]
    assert "'ssh'" in caught.value.reason


def test_bad_parquet_file(tmp_path: Path) -> None:
    spec = TableSpec(location=str(tmp_path), file_format="parquet")
    paths = write_logs(spec, make_records(60))
    Path(paths[1]).write_bytes(b"not parquet at all")
    with DuckDBEngine(spec) as engine, pytest.raises(BadFile, match="Parquet"):
        engine.execute(f"SELECT count(*) AS n FROM {spec.qualified_name}")
    with DuckDBEngine(spec, skip_bad_files=True) as engine:
        rows = engine.execute(f"SELECT count(*) AS n FROM {spec.qualified_name}")
    assert [p for p, _ in rows.stats.files_skipped] == [paths[1]]


# --- locations ---------------------------------------------------------------------------------------


def test_empty_or_wrong_locations_are_clear_errors(tmp_path: Path) -> None:
    sql = 'SELECT count(*) AS n FROM "vpc_flow_logs"."flow_logs"'
    with pytest.raises(LocationError, match="does not exist"):
        DuckDBEngine(TableSpec(location=str(tmp_path / "missing"))).execute(sql)
    with pytest.raises(LocationError, match="no AWSLogs"):
        DuckDBEngine(TableSpec(location=str(tmp_path))).execute(sql)
    hive = TableSpec(location=str(tmp_path / "h"), layout="hive")
    write_logs(hive, make_records(10))
    with pytest.raises(LocationError, match="--layout"):
        DuckDBEngine(replace(hive, layout="aws")).execute(sql)
    with pytest.raises(LocationError, match="--file-format parquet"):
        parquet = TableSpec(location=str(tmp_path / "p"), file_format="parquet")
        write_logs(parquet, make_records(10))
        DuckDBEngine(replace(parquet, file_format="text")).execute(sql)
    with pytest.raises(LocationError, match="local folder"):
        DuckDBEngine(TableSpec(location="s3://bucket/logs/"))


def test_parquet_files_of_different_formats(tmp_path: Path) -> None:
    spec = TableSpec(
        location=str(tmp_path), file_format="parquet", fields=tuple(flowfields.lookup(n) for n in V5)
    )
    old, new = make_records(40, seed=4), make_records(40, seed=5)
    write_logs(spec, old, names=DEFAULT, tag="old")
    paths = write_logs(spec, new, names=V5, tag="new")
    # hidden and underscore files (half-written copies) are not flow logs, as on Athena
    Path(paths[0]).with_name("_" + Path(paths[0]).name).write_bytes(b"partial")
    Path(paths[0]).with_name("." + Path(paths[0]).name).write_bytes(b"partial")
    with DuckDBEngine(spec) as engine:
        rows = engine.execute(f"SELECT * FROM {spec.qualified_name}")
    expected = [expected_row(r, spec, absent=tuple(n for n in V5 if n not in DEFAULT)) for r in old]
    expected += [expected_row(r, spec) for r in new]
    assert Counter(rows) == Counter(expected)
    assert rows.stats.files_skipped == []


def test_views_and_file_groups_are_built_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowsql.engines.duckdb import files as localfiles

    spec = TableSpec(location=str(tmp_path))
    paths = write_logs(spec, make_records(50))
    calls = Counter[str]()
    original = localfiles.read_header

    def counting(path: str) -> str:
        calls[path] += 1
        return original(path)

    monkeypatch.setattr(localfiles, "read_header", counting)
    with DuckDBEngine(spec) as engine:
        for _ in range(3):
            engine.execute(f"SELECT count(*) AS n FROM {spec.qualified_name}")
        engine.files_read(f"SELECT count(*) AS n FROM {spec.qualified_name}")
    assert sorted(calls) == sorted(paths) and set(calls.values()) == {1}


def test_translation_errors_surface_before_reading(tmp_path: Path) -> None:
    spec = TableSpec(location=str(tmp_path / "nothing-here"))
    with pytest.raises(UnsupportedConstruct, match="map_agg"):
        DuckDBEngine(spec).execute(f"SELECT map_agg(srcaddr, bytes) AS m FROM {spec.qualified_name}")


def test_no_progress_bar_on_stdout(tmp_path: Path) -> None:
    # DuckDB would draw its progress bar on stdout, mixed into JSON or CSV output, for long queries.
    spec = TableSpec(location=str(tmp_path))
    write_logs(spec, make_records(5))
    with DuckDBEngine(spec) as engine:
        engine.execute(f"SELECT count(*) AS n FROM {spec.qualified_name}")
        assert engine._con is not None
        (setting,) = engine._con.execute("SELECT current_setting('enable_progress_bar')").fetchone() or (
            None,
        )
    assert setting is False


def test_query_errors_are_query_failed_not_bad_files(tmp_path: Path) -> None:
    from flowsql.errors import QueryFailed

    spec = TableSpec(location=str(tmp_path))
    write_logs(spec, make_records(30))
    with DuckDBEngine(spec) as engine:
        with pytest.raises(QueryFailed, match="Cannot cast") as caught:
            engine.execute(
                f"SELECT CAST(srcaddr AS integer) AS n FROM {spec.qualified_name} WHERE log_status = 'OK'"
            )
        assert caught.value.statement  # the DuckDB statement, for the error block
        with pytest.raises(QueryFailed, match=r"(?i)division by zero"):
            engine.execute(f"SELECT bytes / (packets - packets) AS x FROM {spec.qualified_name}")
        assert engine.files_skipped == []
    # closed, the engine can be used again (it reconnects and rebuilds its views)
    assert engine.execute(f"SELECT count(*) AS n FROM {spec.qualified_name}")[0].n == 30
    engine.close()
