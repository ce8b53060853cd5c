"""The investigations that join the inventory, and the window/baseline ones: each validates for
Athena, matches its plain-Python oracle (tests/context_oracles.py) on DuckDB over sample data in
both layouts, finds what the sample planted, and says what to run when there is no inventory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import context_oracles
import pytest
import sqlglot
from sqlglot import exp

from flowsql.engines.duckdb.engine import DuckDBEngine
from flowsql.errors import NotAvailable
from flowsql.investigations import checking, library
from flowsql.sample.generator import SampleSet, generate
from flowsql.tables import fields as flowfields

UTC = timezone.utc
END = date(2024, 5, 3)
DAY3 = datetime(2024, 5, 3, tzinfo=UTC)
NAMES = ("sg_rule_usage", "nat_gateway_cost", "cross_az_traffic", "new_destinations", "new_listening_ports")


@dataclass
class Prepared:
    name: str
    sample: SampleSet
    engine: DuckDBEngine
    records: list[dict[str, Any]]
    inventory: dict[str, list[dict[str, Any]]]


CASES = {
    "aws-daily-text-full": {"log_format": flowfields.format_string(flowfields.CATALOGUE)},
    "hive-hourly-parquet-full": {
        "layout": "hive", "hourly": True, "file_format": "parquet",
        "log_format": flowfields.format_string(flowfields.CATALOGUE),
    },
    "aws-daily-text-v2": {},
}  # fmt: skip


@pytest.fixture(scope="module")
def lib() -> Any:
    return library.load()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Prepared]]:
    out = {}
    for name, options in CASES.items():
        folder = tmp_path_factory.mktemp(name)
        sample = generate(folder, days=3, end=END, records=3000, seed=5, files_per_day=6, **options)
        assert sample.inventory is not None
        engine = DuckDBEngine(sample.spec, inventory=sample.inventory)
        inventory = context_oracles.read_inventory(sample.inventory)
        out[name] = Prepared(name, sample, engine, sample.records, inventory)
    yield out
    for item in out.values():
        item.engine.close()


WINDOWS = [
    (DAY3, DAY3 + timedelta(days=1), {"baseline_days": 2}),
    (DAY3 - timedelta(days=1), DAY3, {"baseline_days": 1}),
    (DAY3 - timedelta(days=2), DAY3, {}),
    (DAY3 - timedelta(hours=30, minutes=30), DAY3 - timedelta(hours=2, minutes=15), {"baseline_days": 1}),
]

VARIANTS: dict[str, list[dict[str, Any]]] = {
    "sg_rule_usage": [{}, {"max_sources": 1}],
    "nat_gateway_cost": [{}, {"price_per_gb": 0.052, "limit": 2}],
    "cross_az_traffic": [{}, {"price_per_gb": 0.01, "limit": 3}],
    "new_destinations": [{}, {"limit": 4}],
    "new_listening_ports": [{}],
}
BASELINE = {"new_destinations", "new_listening_ports"}


def _run(prep: Prepared, lib: Any, name: str, params: dict[str, Any]) -> tuple[list[tuple[Any, ...]], Any]:
    rendered = lib.get(name).render(prep.sample.spec, params, inventory=True)
    rows = prep.engine.execute(rendered.sql, window=rendered.window)
    assert list(rows.columns) == list(lib.get(name).columns)
    return [tuple(r) for r in rows], rendered


@pytest.mark.parametrize("case", list(CASES))
def test_context_investigations_match_their_oracles(
    prepared: dict[str, Prepared], lib: Any, case: str
) -> None:
    prep = prepared[case]
    found = 0
    for name in NAMES:
        if lib.get(name).available(prep.sample.spec):
            assert name == "nat_gateway_cost" and case.endswith("v2")  # needs pkt-srcaddr/pkt-dstaddr
            continue
        for start, end, extra in WINDOWS:
            for variant in VARIANTS[name]:
                params = {"start": start, "end": end, **variant}
                if name not in BASELINE:
                    params.pop("baseline_days", None)
                else:
                    params = {**extra, **params}
                got, _ = _run(prep, lib, name, params)
                expected = context_oracles.ORACLES[name](prep.records, prep.inventory, params)
                assert got == expected, f"{name} {params} on {case}"
                found += bool(got)
    assert found >= 10


def test_the_baseline_widens_the_files_read_and_pruning_changes_nothing(
    prepared: dict[str, Prepared], lib: Any
) -> None:
    prep = prepared["hive-hourly-parquet-full"]
    for name in BASELINE:
        params = {"start": DAY3 - timedelta(days=1), "end": DAY3, "baseline_days": 1}
        got, rendered = _run(prep, lib, name, params)
        assert rendered.window.start == DAY3 - timedelta(days=2) and rendered.window.end == DAY3
        # the same statement over every file, without pruning by the window
        unpruned = [tuple(r) for r in prep.engine.execute(rendered.sql)]
        assert got == unpruned
        # each read of the table is bounded to its own window and partitions
        tree = sqlglot.parse_one(rendered.sql, read="athena")
        bounds = sorted(
            w.sql(dialect="athena")
            for w in tree.find_all(exp.Where)
            if any(c.name == "date_partition" for c in w.find_all(exp.Column))
        )
        assert len(bounds) == 2
        baseline = [b for b in bounds if "year=2024/month=05/day=01" in b]
        assert len(baseline) == 1 and "day=03" not in baseline[0]
        assert "year=2024/month=05/day=03" in next(b for b in bounds if b not in baseline)
        day1, day2 = (
            int(datetime(2024, 5, 1, tzinfo=UTC).timestamp()),
            int((DAY3 - timedelta(days=1)).timestamp()),
        )
        assert any(f">= {day1}" in b and f"< {day2}" in b for b in bounds)


def test_the_sample_shows_each_planted_case(prepared: dict[str, Prepared], lib: Any) -> None:
    prep = prepared["aws-daily-text-full"]
    ctx = prep.sample.context
    assert ctx is not None
    window = {"start": DAY3 - timedelta(days=2), "end": DAY3 + timedelta(days=1)}
    rules, _ = _run(prep, lib, "sg_rule_usage", window)
    cols = lib.get("sg_rule_usage").columns
    by = [dict(zip(cols, r, strict=True)) for r in rules]
    unused = [r for r in by if r["finding"] == "unused"]
    # rarely drawn background traffic can leave other rules unused in a small sample
    assert ("app", "TCP", str(ctx.unused_rule.port)) in [
        (r["group_name"], r["protocol"], r["ports"]) for r in unused
    ]
    winrm = [r for r in by if r["ports"] == str(ctx.open_rule.port)]
    assert (
        len(winrm) == 1
        and winrm[0]["finding"] == "open to the world, few sources"
        and winrm[0]["sources"] == 2
    )
    assert winrm[0]["narrower_cidrs"] == ", ".join(sorted(f"{a}/32" for a in ctx.open_rule.targets))
    assert winrm[0]["flows"] == ctx.open_rule.records // 2  # the inbound half; replies leave the host
    nat, _ = _run(prep, lib, "nat_gateway_cost", window)
    top = nat[0]
    assert (top[0], top[1], top[3], top[7]) == (
        ctx.nat_gateway_id,
        ctx.nat_s3.source,
        "S3",
        "S3 gateway endpoint",
    )
    assert top[8] > 0.9
    cross, _ = _run(prep, lib, "cross_az_traffic", window)
    assert (cross[0][3], cross[0][5]) == ("app1", "app2") and cross[0][0] != cross[0][1]
    last_day = {"start": DAY3, "end": DAY3 + timedelta(days=1), "baseline_days": 2}
    new, _ = _run(prep, lib, "new_destinations", last_day)
    assert ctx.new_destination.targets[0] in [r[0] for r in new]
    day_before = {"start": DAY3 - timedelta(days=1), "end": DAY3, "baseline_days": 1}
    old, _ = _run(prep, lib, "new_destinations", day_before)
    assert ctx.new_destination.targets[0] not in [r[0] for r in old]


def test_each_validates_for_athena(lib: Any) -> None:
    for name in NAMES:
        report = checking.check(lib, name)
        assert not report.problems, report.problems
    rendered = lib.get("sg_rule_usage").render(
        checking.validation_specs()[0], {}, inventory=True, cache=False
    )
    tables = {
        t.sql(dialect="athena") for t in sqlglot.parse_one(rendered.sql, read="athena").find_all(exp.Table)
    }
    assert {
        '"vpc_flow_logs"."inventory_security_group_rules"', '"vpc_flow_logs"."inventory_interface_groups"',
        '"vpc_flow_logs"."inventory_addresses"', '"vpc_flow_logs"."inventory_security_groups"',
    } <= {t.replace("AS ", "").split(" ")[0] for t in tables}  # fmt: skip


def test_a_typo_in_an_inventory_column_is_a_validation_error(lib: Any, tmp_path: Path) -> None:
    text = (
        (Path(lib.get("cross_az_traffic").path))
        .read_text()
        .replace("si.az_id AS src_az", "si.zone_id AS src_az")
    )
    (tmp_path / "cross_az_traffic.sql").write_text(text)
    report = checking.check(library.load([tmp_path]), "cross_az_traffic")
    assert report.problems and "zone_id" in report.problems[0].message


def test_without_an_inventory_the_investigation_says_what_to_run(tmp_path: Path, lib: Any) -> None:
    import flowsql

    sample_dir = tmp_path / "s"
    sample = generate(sample_dir, days=1, end=END, records=200, seed=1)
    fl = flowsql.connect("duckdb", config=str(_empty_config(tmp_path)), **sample.spec.to_dict())
    assert not fl.has_inventory
    with pytest.raises(NotAvailable) as caught:
        fl.run("sg_rule_usage", start=DAY3 - timedelta(days=1), end=DAY3)
    assert "needs the inventory" in str(caught.value) and "flowsql inventory refresh" in str(caught.value)
    with_inventory = flowsql.connect(
        "duckdb", config=str(_empty_config(tmp_path)), inventory=sample.inventory, **sample.spec.to_dict()
    )
    assert with_inventory.has_inventory
    assert (
        with_inventory.run("sg_rule_usage", start=DAY3 - timedelta(days=1), end=DAY3).columns[0] == "group_id"
    )


def _empty_config(tmp_path: Path) -> Path:
    path = tmp_path / "empty.yaml"
    path.write_text("{}\n")
    return path


ENRICH_PARAMS = {
    "top_talkers": {"limit": 40},
    "public_exposure": {"ports": [22, 3306, 3389, 5986]},
}


def test_enriched_investigations_add_names_only_with_an_inventory(
    prepared: dict[str, Prepared], lib: Any
) -> None:
    import oracles

    prep = prepared["hive-hourly-parquet-full"]
    inc = prep.sample.incidents
    window = {"start": DAY3 - timedelta(days=2), "end": DAY3 + timedelta(days=1)}
    required = {
        "ip_activity": {"ip": inc.blocked_port.source},
        "conversation": {"ip_a": inc.blocked_port.source, "ip_b": inc.blocked_port.targets[0]},
        "connectivity_check": {
            "src": inc.blocked_port.source, "dst": inc.blocked_port.targets[0], "port": inc.blocked_port.port,
        },
    }  # fmt: skip
    plain = DuckDBEngine(prep.sample.spec)  # no inventory: the output must stay what it always was
    try:
        for name in context_oracles.ENRICHED:
            inv = lib.get(name)
            params = {**window, **required.get(name, {}), **ENRICH_PARAMS.get(name, {})}
            base = oracles.answer(name, prep.records, params)
            without = inv.render(prep.sample.spec, params)
            rows = plain.execute(without.sql, window=without.window)
            assert list(rows.columns) == list(inv.columns) and [tuple(r) for r in rows] == base
            assert "inventory_" not in without.sql
            rendered = inv.render(prep.sample.spec, params, inventory=True)
            rows = prep.engine.execute(rendered.sql, window=rendered.window)
            assert list(rows.columns) == [*inv.columns, *inv.inventory_columns]
            got = [tuple(r) for r in rows]
            assert got == context_oracles.enrich(name, base, prep.inventory), name
            assert any(v is not None for r in got for v in r[len(inv.columns) :]), name
    finally:
        plain.close()


def test_the_sandbox_keeps_values_out_of_the_baseline_and_inventory_sql(tmp_path: Path) -> None:
    head = (
        "-- name: {name}\n-- title: t {name}\n-- description: a test investigation that must be refused at load "
        "time, long enough for the catalogue's rules about descriptions\n-- category: security\n"
        "-- fields: [srcaddr, start, log_status]\n-- inventory: required\n-- params:\n"
        "--   days: {{type: int, default: 1, min: 1, max: 9, help: d}}\n"
        "--   ip: {{type: ip, default: 10.0.0.1, help: i}}\n-- columns: [srcaddr]\n"
    )
    bodies = {
        "plus": "SELECT srcaddr FROM {{ table }} WHERE {{ in_window() }} AND {{ in_baseline(days) + ip }}",
        "value": "SELECT srcaddr FROM {{ table }} WHERE {{ in_window() }} AND {{ ip }} IN "
        "(SELECT address FROM {{ inventory(ip) }}) AND {{ days }} > 0",
    }
    for name, body in bodies.items():
        (tmp_path / f"{name}.sql").write_text(head.format(name=name) + body + "\n")
    lib = library.load([tmp_path])
    for name in bodies:
        report = checking.check(lib, name)
        assert report.problems, name
