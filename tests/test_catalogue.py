"""The packaged catalogue: the fixed names and parameters, and every investigation rendering into a
valid, bounded statement for every layout, judged on the parsed tree."""

from __future__ import annotations

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from flowsql.errors import NotAvailable
from flowsql.investigations import checking, investigation, library, macros
from flowsql.tables import fields
from flowsql.tables.spec import TableSpec

EVERYTHING = tuple(fields.BY_NAME[n] for n in fields.ALL_FIELDS)
V2 = TableSpec(location="s3://bucket-one/")
# The two shapes of partition predicate: daily AWS paths, and hourly Hive paths.
FULL_SPECS = [
    TableSpec(location="s3://bucket-one/", fields=EVERYTHING, layout="aws", hourly=False),
    TableSpec(location="s3://bucket-one/", fields=EVERYTHING, layout="hive", hourly=True),
]
WINDOW = {"start": "2024-05-01T22:30:00Z", "end": "2024-05-03T01:00:00Z"}
START, END = 1714602600, 1714698000

# name -> {parameter: type} beyond start/end, as the issue fixes them
FIXED = {
    "rejected_ssh_sources": {"port": "port", "limit": "int"},
    "sensitive_port_rejects": {"ports": "ports", "limit": "int"},
    "port_scan_suspects": {"min_ports": "int", "limit": "int"},
    "host_scan_suspects": {"min_hosts": "int", "limit": "int"},
    "public_exposure": {"ports": "ports", "limit": "int"},
    "exfiltration_suspects": {"min_bytes": "int", "limit": "int"},
    "top_talkers": {"limit": "int"},
    "ip_activity": {"ip": "ip", "limit": "int"},
    "conversation": {"ip_a": "ip", "ip_b": "ip", "limit": "int"},
    "connectivity_check": {"src": "ip", "dst": "ip", "port": "port"},
    "log_health": {"limit": "int"},
}

LIBRARY = library.load()
NAMES = LIBRARY.names()


def test_at_least_30_investigations_with_every_fixed_name_and_parameter() -> None:
    assert len(NAMES) >= 30
    for name, declared in FIXED.items():
        inv = LIBRARY.get(name)
        assert {p: inv.params[p].type for p in inv.params} == declared, name
    assert LIBRARY.get("rejected_ssh_sources").params["port"].default == 22


def test_every_category_is_represented_and_titles_are_distinct() -> None:
    invs = list(LIBRARY)
    assert {inv.category for inv in invs} == set(investigation.CATEGORIES)
    assert len({inv.title for inv in invs}) == len(invs)
    for inv in invs:
        assert len(inv.description) > 80, inv.name
        assert all(p.help for p in inv.params.values()), inv.name


def _reads(tree: exp.Expression) -> list[exp.Select]:
    """The SELECTs that read the flow-log table directly."""
    out = []
    for select in tree.find_all(exp.Select):
        from_ = select.args.get("from_")
        sources = [from_.this] if from_ else []
        sources += [j.this for j in select.args.get("joins") or []]
        if any(isinstance(s, exp.Table) and s.name == "flow_logs" for s in sources):
            out.append(select)
    return out


def _start_bounds(select: exp.Select) -> tuple[int | None, int | None]:
    low = high = None
    for node in select.args["where"].find_all(exp.GTE, exp.LT):
        if isinstance(node.left, exp.Column) and node.left.name == "start" and node.right.is_int:
            if isinstance(node, exp.GTE):
                low = int(node.right.name)
            else:
                high = int(node.right.name)
    return low, high


@pytest.mark.parametrize("name", NAMES)
def test_every_investigation_renders_bounded_sql_for_every_layout(name: str) -> None:
    inv = LIBRARY.get(name)
    for spec in FULL_SPECS:
        for values, with_inventory in ((v, i) for i in inv.inventory_modes() for v in inv.variants()):
            rendered = inv.render(spec, {**values, **WINDOW}, inventory=with_inventory)
            tree = sqlglot.parse_one(rendered.sql, read="athena")
            tables = {(t.db, t.name) for t in tree.find_all(exp.Table)}
            ctes = {("", c.alias) for c in tree.find_all(exp.CTE)}
            extra = tables - ctes - {("vpc_flow_logs", "flow_logs")}
            assert ("vpc_flow_logs", "flow_logs") in tables, name
            # the inventory tables beside the flow-log table, and only with an inventory
            assert all(db == "vpc_flow_logs" and t.startswith("inventory_") for db, t in extra), name
            assert bool(extra) == with_inventory, name
            reads = _reads(tree)
            assert reads, name
            # a baseline window (in_baseline) ends where the window starts
            days = rendered.values.get("baseline_days")
            allowed = {(START, END)} | ({(START - days * 86400, START)} if days else set())
            assert {_start_bounds(select) for select in reads} == allowed, name
            for select in reads:
                partitions = [
                    c for c in select.args["where"].find_all(exp.Column) if c.name == "date_partition"
                ]
                assert partitions, name
            assert tree.named_selects == list(inv.output_columns(with_inventory)), name
            if "limit" in inv.params:
                assert tree.args["limit"].expression == exp.Literal.number(rendered.values["limit"])


@pytest.mark.parametrize("name", NAMES)
def test_availability_on_the_v2_table_follows_the_field_versions(name: str) -> None:
    inv = LIBRARY.get(name)
    newer = sorted(f for f in inv.fields if fields.BY_COLUMN[f].version > 2)
    assert sorted(f.column for f in inv.available(V2)) == newer
    with_inventory = inv.inventory == "required"
    if newer:
        with pytest.raises(NotAvailable, match=newer[0]):
            inv.render(V2, inv.example_params(), inventory=with_inventory)
    else:
        sqlglot.parse_one(inv.render(V2, inv.example_params(), inventory=with_inventory).sql, read="athena")


@pytest.mark.parametrize("name", NAMES)
def test_declared_fields_are_exactly_what_the_sql_reads(name: str) -> None:
    report = checking.check(LIBRARY, name)
    assert report.problems == (), [str(p) for p in report.problems]


def test_version_specific_investigations_exist() -> None:
    needs = {name: {fields.BY_COLUMN[f].version for f in LIBRARY.get(name).fields} for name in NAMES}
    assert any(8 in v for v in needs.values())  # reject-reason
    assert any(7 in v for v in needs.values())  # ECS
    assert any(5 in v for v in needs.values())  # traffic path, AWS services
    assert any("tcp_flags" in LIBRARY.get(n).fields for n in NAMES)


# --- the decoders, evaluated (DuckDB runs these CASE expressions the same way) ---------------


def _evaluate(expression: str, values: list[int | None]) -> dict[int | None, str | None]:
    rows = ", ".join(f"({'NULL' if v is None else v})" for v in values)
    athena = f"SELECT v, {expression} AS name FROM (VALUES {rows}) AS t(v)"
    return dict(duckdb.sql(sqlglot.transpile(athena, read="athena", write="duckdb")[0]).fetchall())


def test_tcp_flags_decoded() -> None:
    expected = {
        0: "none",
        1: "FIN",
        2: "SYN",
        3: "SYN+FIN",
        4: "RST",
        6: "SYN+RST",
        18: "SYN-ACK",
        19: "SYN-ACK+FIN",
        22: "SYN-ACK+RST",
        None: None,
    }
    assert _evaluate(str(macros.tcp_flags_name("v")), list(expected)) == expected
    assert {v: macros.tcp_flags_text(v) for v in expected} == expected


def test_protocols_and_traffic_paths_decoded() -> None:
    protocols = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6", 47: "GRE", 50: "ESP", 253: "253"}
    assert _evaluate(str(macros.protocol_name("v")), list(protocols)) == protocols
    paths = {
        1: "same VPC",
        2: "internet gateway or gateway VPC endpoint",
        7: "gateway VPC endpoint (Nitro)",
        4: "intra-region peering",
        8: "internet gateway (Nitro)",
        9: "9",
    }
    assert _evaluate(str(macros.traffic_path_name("v")), list(paths)) == paths
