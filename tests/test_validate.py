"""sqlglot validation of statements against a TableSpec: hand-written SQL, checked by the tree."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from flowsql.errors import ValidationError
from flowsql.investigations.validate import output_columns, referenced_columns, regenerate, validate_query
from flowsql.investigations.window import TimeWindow
from flowsql.tables import fields
from flowsql.tables.spec import TableSpec

SPEC = TableSpec(location="s3://bucket-one/logs/")
FULL = TableSpec(
    location="s3://bucket-one/logs/",
    fields=tuple(fields.BY_NAME[n] for n in fields.ALL_FIELDS),
    layout="hive",
    hourly=True,
)
WINDOW = TimeWindow.parse("2024-05-01", "2024-05-02")
T = '"vpc_flow_logs"."flow_logs"'
W = "start >= 1714521600 AND start < 1714608000 AND date_partition BETWEEN '2024/05/01' AND '2024/05/02'"


def test_a_bounded_query_passes_and_the_tree_is_returned() -> None:
    tree = validate_query(f"SELECT srcaddr, count(*) AS n FROM {T} WHERE {W} GROUP BY srcaddr", SPEC)
    assert isinstance(tree, exp.Select)
    assert [t.name for t in tree.find_all(exp.Table)] == ["flow_logs"]
    assert output_columns(tree) == ["srcaddr", "n"]


def test_window_predicate_from_the_spec_validates_for_every_layout() -> None:
    for spec in (SPEC, FULL, TableSpec(location="s3://bucket-one/", hourly=True)):
        sql = f"SELECT srcaddr FROM {spec.qualified_name} WHERE {spec.window_predicate(WINDOW)}"
        validate_query(sql, spec)


@pytest.mark.parametrize(
    "sql, fragment, line, col",
    [
        (f"SELECT srcaddr FROM {T} WHERE {W}; DROP TABLE x", "expected one statement, found 2", 1, None),
        (f"SELECT srcaddr FROM {T} WHERE {W};\nSELECT 1", "expected one statement, found 2", 2, None),
        ("DROP TABLE vpc_flow_logs.flow_logs", "only a read-only SELECT", None, None),
        (f"INSERT INTO {T} SELECT * FROM {T}", "only a read-only SELECT", None, None),
        ("MSCK REPAIR TABLE flow_logs", "unrecognised command", None, None),
        (f"SELECT srcaddr FROM {T} WHERE (", "does not parse", 1, None),
    ],
)
def test_not_one_read_only_query(sql: str, fragment: str, line: int | None, col: int | None) -> None:
    with pytest.raises(ValidationError) as err:
        validate_query(sql, SPEC)
    assert fragment in str(err.value)
    if line is not None:
        assert err.value.line == line


def test_unknown_column_reports_line_and_column() -> None:
    sql = f"SELECT\n  srcaddr,\n  count(*) AS n\nFROM {T}\nWHERE {W}\n  AND dst_port = 22\nGROUP BY srcaddr"
    with pytest.raises(ValidationError) as err:
        validate_query(sql, SPEC)
    assert "Column 'dst_port' could not be resolved at line 6, col 7" in str(err.value)
    assert (err.value.line, err.value.col) == (6, 7)


def test_a_v3_column_is_unknown_to_a_v2_table_but_fine_with_every_field() -> None:
    sql = f"SELECT tcp_flags FROM {T} WHERE {W}"
    with pytest.raises(ValidationError, match="tcp_flags"):
        validate_query(sql, SPEC)
    validate_query(sql.replace("'2024/05/01' AND '2024/05/02'", "'year=2024/month=05/day=01' AND 'x'"), FULL)


def test_columns_resolve_through_ctes() -> None:
    good = f"WITH f AS (SELECT srcaddr AS s FROM {T} WHERE {W}) SELECT s FROM f"
    validate_query(good, SPEC)
    with pytest.raises(ValidationError, match="Column 'srcaddr' could not be resolved"):
        validate_query(good.replace("SELECT s FROM f", "SELECT srcaddr FROM f"), SPEC)


@pytest.mark.parametrize(
    "source",
    ["other_db.flow_logs", '"vpc_flow_logs"."other"', "information_schema.tables", "secret"],
)
def test_only_the_flow_log_table_and_ctes_may_be_read(source: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_query(f"SELECT srcaddr FROM {T} WHERE {W} AND srcaddr IN (SELECT x FROM {source})", SPEC)
    assert "only" in str(err.value) and T in str(err.value)


def test_table_may_be_named_without_database_or_with_the_catalog() -> None:
    validate_query(f"SELECT srcaddr FROM flow_logs WHERE {W}", SPEC)
    validate_query(f"SELECT srcaddr FROM awsdatacatalog.vpc_flow_logs.flow_logs WHERE {W}", SPEC)


def test_computed_output_columns_need_an_alias() -> None:
    sql = f"SELECT srcaddr,\n  count(*) FROM {T} WHERE {W} GROUP BY srcaddr"
    with pytest.raises(ValidationError) as err:
        validate_query(sql, SPEC)
    assert "`COUNT(*)` has no alias at line 2, col 3" in str(err.value)
    assert (err.value.line, err.value.col) == (2, 3)
    cte = f"WITH f AS (SELECT bytes + 1 FROM {T} WHERE {W}) SELECT * FROM f"
    with pytest.raises(ValidationError, match="has no alias"):
        validate_query(cte, SPEC)


@pytest.mark.parametrize(
    "where",
    [
        "start >= 1714521600 AND start < 1714608000",
        "date_partition BETWEEN '2024/05/01' AND '2024/05/02'",
        f"srcaddr = 'x' OR ({W})",
        "start >= 1714521600 AND start < 1714608000 AND date_partition >= '2024/05/01'",
        f"NOT ({W})",
    ],
)
def test_every_read_needs_the_window_and_the_partition_predicate(where: str) -> None:
    with pytest.raises(ValidationError, match=r"has no (partition predicate|time window)"):
        validate_query(f"SELECT srcaddr FROM {T} WHERE {where}", SPEC)
    validate_query(f"SELECT srcaddr FROM {T} WHERE {where}", SPEC, require_window=False)


def test_window_is_checked_in_each_cte_and_join_side() -> None:
    one_sided = (
        f"WITH a AS (SELECT srcaddr FROM {T} WHERE {W}), "
        f"b AS (SELECT dstaddr FROM {T} WHERE start > 0) "
        "SELECT a.srcaddr FROM a JOIN b ON a.srcaddr = b.dstaddr"
    )
    with pytest.raises(ValidationError, match="has no"):
        validate_query(one_sided, SPEC)
    validate_query(one_sided.replace("WHERE start > 0", f"WHERE {W}"), SPEC)
    self_join = (
        f"SELECT x.srcaddr FROM {T} AS x JOIN {T} AS y ON x.srcaddr = y.dstaddr "
        f"WHERE x.start >= 1 AND x.start < 2 AND x.date_partition = 'd'"
    )
    with pytest.raises(ValidationError, match="has no"):
        validate_query(self_join, SPEC)
    both = self_join + " AND y.start >= 1 AND y.start < 2 AND y.date_partition = 'd'"
    validate_query(both, SPEC)


def test_regenerated_sql_parses_to_the_same_tree_and_quotes_end() -> None:
    sql = f'SELECT srcaddr, max("end") AS e -- a comment\nFROM {T} WHERE {W} GROUP BY srcaddr'
    tree = validate_query(sql, SPEC)
    text = regenerate(tree)
    again = sqlglot.parse_one(text, read="athena")
    assert again == sqlglot.parse_one(sql, read="athena")
    end = [c for c in again.find_all(exp.Column) if c.name == "end"]
    assert end and all(c.this.quoted for c in end)
    assert "comment" not in text


def test_referenced_columns_are_the_table_columns_read() -> None:
    tree = validate_query(
        f"WITH f AS (SELECT srcaddr AS s, bytes FROM {T} WHERE {W}) SELECT s, sum(bytes) AS b FROM f GROUP BY s",
        SPEC,
    )
    assert referenced_columns(tree, SPEC) == {"srcaddr", "bytes", "start", "date_partition"}
    star = validate_query(f"SELECT * FROM {T} WHERE {W}", SPEC)
    assert referenced_columns(star, SPEC) == set(SPEC.schema())
