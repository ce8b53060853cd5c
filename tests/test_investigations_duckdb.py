"""Every packaged investigation, run on DuckDB over generated flow logs, returns the rows computed
independently in plain Python (tests/oracles.py) from the same records.

The matrix covers both layouts, daily and hourly partitions, text and Parquet, the default format,
a full version 2-8 format and a shuffled custom one, several accounts and Regions, and windows whose
edges fall on midnight and in the middle of an hour, so records filed under the next day (or hour)
are counted exactly when their start is inside the window.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import flowlog_records
import oracles
import pytest
import tgw_oracles

from flowsql.engines.duckdb import engine as duckdb_engine
from flowsql.investigations import library
from flowsql.sample.generator import SampleSet, generate
from flowsql.tables import fields as flowfields

UTC = timezone.utc
END = date(2024, 5, 2)
DAY1 = datetime(2024, 5, 1, tzinfo=UTC)


def _full_format() -> str:
    return flowfields.format_string(flowfields.CATALOGUE)


def _shuffled_format() -> str:
    fields = list(flowfields.CATALOGUE)
    random.Random(3).shuffle(fields)
    return flowfields.format_string(fields)


_V5 = [f for f in flowfields.CATALOGUE if f.version <= 5 and f.name != "sublocation-id"]


@dataclass(frozen=True)
class Case:
    name: str
    options: dict[str, Any]
    start: datetime
    end: datetime
    main: bool = False  # the case that also runs the parameter variants


CASES = [
    Case(
        "aws-daily-text-v2",
        {"layout": "aws"},
        DAY1 + timedelta(days=1),
        DAY1 + timedelta(days=2),
    ),
    Case(
        "hive-hourly-parquet-full",
        {"layout": "hive", "hourly": True, "file_format": "parquet", "log_format": _full_format()},
        DAY1 + timedelta(hours=12),
        DAY1 + timedelta(days=2),
        main=True,
    ),
    Case(
        "aws-hourly-text-shuffled",
        {"layout": "aws", "hourly": True, "log_format": _shuffled_format()},
        DAY1,
        DAY1 + timedelta(days=1),
    ),
    Case(
        "hive-daily-text-full-4accounts",
        {
            "layout": "hive",
            "log_format": _full_format(),
            "accounts": ("111122223333", "444455556666"),
            "regions": ("us-east-1", "eu-west-1"),
            "files_per_day": 3,
        },
        DAY1,
        DAY1 + timedelta(days=2),
    ),
    Case(
        "aws-daily-parquet-v5",
        {"layout": "aws", "file_format": "parquet", "log_format": flowfields.format_string(_V5)},
        DAY1 + timedelta(hours=6, minutes=30),
        DAY1 + timedelta(days=1, hours=18, minutes=45),
    ),
]

# The address tests (RFC 1918 / ULA) are the expensive part of DuckDB's translation: they run on
# two cases instead of all five.
ADDRESS_CLASSIFYING = {"exfiltration_suspects", "public_exposure", "cidr_traffic"}
ADDRESS_CASES = {"hive-hourly-parquet-full", "aws-daily-text-v2"}


@dataclass
class Prepared:
    case: Case
    sample: SampleSet
    engine: Any
    records: list[dict[str, Any]]


@pytest.fixture(scope="module")
def library_() -> Any:
    return library.load()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Prepared]]:
    out: dict[str, Prepared] = {}
    for case in CASES:
        folder = tmp_path_factory.mktemp(case.name)
        # DuckDB pays per file read: few files (6 five-minute windows a day, midnight's always
        # among them) keep the matrix fast and still put records across day and hour boundaries.
        options = {"files_per_day": 6, **case.options}
        sample = generate(folder, days=2, end=END, records=2500, seed=11, **options)
        engine = duckdb_engine.DuckDBEngine(sample.spec)
        # The records as Athena's table reads the files, read without flowsql's reader.
        out[case.name] = Prepared(case, sample, engine, flowlog_records.read(sample.files))
    yield out
    for item in out.values():
        item.engine.close()


def _params(sample: SampleSet, name: str) -> list[dict[str, Any]]:
    """Parameter sets for one investigation: the required ones from the planted incidents, and
    (for the main case) variants that take each template branch."""
    inc = sample.incidents
    required: dict[str, dict[str, Any]] = {
        "ip_activity": {"ip": inc.blocked_port.source},
        "conversation": {"ip_a": inc.blocked_port.source, "ip_b": inc.blocked_port.targets[0]},
        "connectivity_check": {
            "src": inc.blocked_port.source,
            "dst": inc.blocked_port.targets[0],
            "port": inc.blocked_port.port,
        },
        "cidr_traffic": {"cidr": "10.10.0.0/20"},
        "interface_traffic": {"eni": inc.nat.interfaces[0]},
        "traffic_from_source": {"ip": inc.exfiltration.source},
        "tcp_traffic_from_source": {"ip": inc.host_scan.source},
        "traffic_to_destination": {"ip": inc.port_scan.targets[0]},
    }
    base = required.get(name, {})
    return [base]


def _variants(sample: SampleSet, records: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    inc = sample.incidents
    ipv6 = next(r["srcaddr"] for r in records if r.get("srcaddr") and ":" in r["srcaddr"])
    working = next(
        r
        for r in records
        if r.get("dstport") == 3306 and r.get("action") == "ACCEPT" and r["srcaddr"].startswith("10.")
    )
    return [
        ("ip_activity", {"ip": ipv6, "limit": 7}),
        ("ip_activity", {"ip": inc.ssh_brute_force.source}),
        ("conversation", {"ip_a": inc.exfiltration.targets[0], "ip_b": inc.exfiltration.source, "limit": 5}),
        ("connectivity_check", {"src": working["srcaddr"], "dst": working["dstaddr"], "port": 3306}),
        ("cidr_traffic", {"cidr": "fd5e::/16"}),
        ("cidr_traffic", {"cidr": "185.220.101.0/24", "limit": 2}),
        ("aws_service_traffic", {"service": "s3"}),
        ("ecs_service_traffic", {"service": "cart"}),
        ("top_interfaces", {"account": sample.spec.accounts[0], "limit": 3}),
        ("high_packet_flows", {"min_packets": 300, "limit": 40}),
        ("port_scan_suspects", {"min_ports": 5, "limit": 4}),
        ("host_scan_suspects", {"min_hosts": 3}),
        ("exfiltration_suspects", {"min_bytes": 1000, "limit": 50}),
        ("public_exposure", {"ports": [22, 3389, 3306]}),
        ("sensitive_port_rejects", {"ports": [22], "limit": 3}),
        ("rejected_ssh_sources", {"port": 3389}),
        ("admin_port_traffic", {"ports": [22]}),
        ("first_last_seen", {"limit": 10}),
        ("top_talkers", {"limit": 3}),
        ("log_health", {"limit": 1}),
    ]


def _compare(prep: Prepared, library_: Any, name: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    given = {"start": prep.case.start, "end": prep.case.end, **params}
    investigation = library_.get(name)
    rendered = investigation.render(prep.sample.spec, given)
    got = [tuple(row) for row in prep.engine.execute(rendered.sql)]
    if name in oracles.ORACLES:
        expected = oracles.answer(name, prep.records, given)
    else:  # the window/baseline investigations, whose oracles live with the inventory ones
        import context_oracles

        expected = context_oracles.ORACLES[name](prep.records, {}, given)
    assert list(investigation.columns) == list(prep.engine.execute(rendered.sql).columns)
    assert got == expected, f"{name} {params} on {prep.case.name}: rows differ"
    return expected


def _available(library_: Any, spec: Any) -> list[str]:
    """Investigations this table can run without an inventory (those needing one are compared in
    tests/test_context_investigations.py)."""
    return [
        n
        for n in library_.names()
        if not library_.get(n).available(spec) and library_.get(n).inventory != "required"
    ]


def test_every_packaged_investigation_has_an_oracle(library_: Any) -> None:
    import context_oracles

    missing = sorted(
        set(library_.names()) - set(oracles.ORACLES) - set(tgw_oracles.ORACLES) - set(context_oracles.ORACLES)
    )
    assert not missing, f"investigations without a plain-Python answer: {missing}"


@pytest.mark.parametrize("case", [c.name for c in CASES])
def test_investigations_match_oracles(prepared: dict[str, Prepared], library_: Any, case: str) -> None:
    prep = prepared[case]
    names = _available(library_, prep.sample.spec)
    assert names, "no investigation available"
    non_empty = 0
    for name in names:
        if name in ADDRESS_CLASSIFYING and case not in ADDRESS_CASES:
            continue
        for params in _params(prep.sample, name):
            non_empty += bool(_compare(prep, library_, name, params))
    # a comparison of empty answers proves little: most investigations must find something
    assert non_empty >= 0.7 * len(names)


def test_parameter_variants_match_oracles(prepared: dict[str, Prepared], library_: Any) -> None:
    prep = next(p for p in prepared.values() if p.case.main)
    for name, params in _variants(prep.sample, prep.records):
        _compare(prep, library_, name, params)


def test_fixed_name_investigations_find_the_planted_incidents(
    prepared: dict[str, Prepared], library_: Any
) -> None:
    """On the main case, the engine's rows (already equal to the oracle's) name the incidents."""
    prep = next(p for p in prepared.values() if p.case.main)
    inc = prep.sample.incidents
    window = {"start": DAY1, "end": DAY1 + timedelta(days=2)}

    def run(name: str, **params: Any) -> Any:
        rendered = library_.get(name).render(prep.sample.spec, {**window, **params})
        return prep.engine.execute(rendered.sql)

    assert run("rejected_ssh_sources")[0].srcaddr == inc.ssh_brute_force.source
    scans = {r.srcaddr for r in run("port_scan_suspects", limit=100) if r.rejected > r.flows / 2}
    assert scans == {inc.port_scan.source}
    sweep = run("host_scan_suspects")[0]
    assert (sweep.srcaddr, sweep.dstport, sweep.hosts) == (
        inc.host_scan.source,
        445,
        len(inc.host_scan.targets),
    )
    top = run("exfiltration_suspects")[0]
    assert (top.srcaddr, top.bytes) == (inc.exfiltration.source, inc.exfiltration.bytes)
    exposed = run("public_exposure")[0]
    assert (exposed.dstaddr, exposed.dstport) == (inc.public_exposure.targets[0], 3306)
    check = run("connectivity_check", src=inc.blocked_port.source, dst=inc.blocked_port.targets[0], port=5432)
    assert {(r.direction, r.action) for r in check} == {("request", "ACCEPT"), ("request", "REJECT")}
    health = {r.interface_id: (r.nodata_records, r.skipdata_records) for r in run("log_health")}
    assert health[inc.nodata.interfaces[0]][0] == inc.nodata.records
    assert health[inc.skipdata.interfaces[0]][1] == inc.skipdata.records
