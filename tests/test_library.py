"""Loading query files, user folders, rendering and the time window in the rendered SQL's tree."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from flowsql.errors import (
    ConfigError,
    NotAvailable,
    ParameterError,
    QueryDefinitionError,
    QueryNotFound,
    ValidationError,
)
from flowsql.investigations import library, loading
from flowsql.tables import fields
from flowsql.tables.spec import TableSpec

V2 = TableSpec(location="s3://bucket-one/")
EVERYTHING = tuple(fields.BY_NAME[n] for n in fields.ALL_FIELDS)

HEADER = """\
-- name: {name}
-- title: A test investigation
-- description: |
--   Two lines of
--   description.
-- category: security
-- fields: [srcaddr, dstport, start, log_status]
-- params:
--   port: {{type: port, default: 22, help: a port}}
--   limit: {{type: int, default: 10, min: 1, max: 100}}
-- columns: [srcaddr, n]
"""

BODY = """\
SELECT srcaddr, count(*) AS n
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND dstport = {{ port }}
GROUP BY srcaddr
ORDER BY n DESC, srcaddr
LIMIT {{ limit }}
"""


def write(folder: Path, name: str, text: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.sql"
    path.write_text(text if text is not None else HEADER.format(name=name) + BODY, encoding="utf-8")
    return path


def where_conjuncts(tree: exp.Expression) -> list[exp.Expression]:
    where = tree.find(exp.Where)
    assert where is not None
    node = where.this
    out: list[exp.Expression] = []

    def walk(n: exp.Expression) -> None:
        while isinstance(n, exp.Paren):
            n = n.this
        if isinstance(n, exp.And):
            walk(n.left)
            walk(n.right)
        else:
            out.append(n)

    walk(node)
    return out


# --- the file format --------------------------------------------------------------------------


def test_header_ends_at_the_first_line_without_dashes(tmp_path: Path) -> None:
    text = HEADER.format(name="q")
    path = write(
        tmp_path, "q", text + "\n-- a SQL comment, not metadata: the blank line ended the header\n" + BODY
    )
    inv = loading.load_file(path)
    assert inv.name == "q" and inv.title == "A test investigation"
    assert inv.description == "Two lines of\ndescription."
    assert inv.fields == ("srcaddr", "dstport", "start", "log_status")
    assert list(inv.params) == ["port", "limit"]
    assert inv.params["port"].default == 22 and inv.params["limit"].max == 100
    assert inv.columns == ("srcaddr", "n")
    assert inv.template.lstrip().startswith("-- a SQL comment")
    assert inv.header_lines == 11


def test_hyphenated_field_names_become_columns(tmp_path: Path) -> None:
    text = HEADER.format(name="q").replace(
        "[srcaddr, dstport, start, log_status]", "[srcaddr, dstport, start, log-status]"
    )
    inv = loading.load_file(write(tmp_path, "q", text + BODY))
    assert inv.fields == ("srcaddr", "dstport", "start", "log_status")


@pytest.mark.parametrize(
    "change, line, message",
    [
        (lambda t: t.replace("-- name: q", "-- name: other"), 1, "must equal the file name"),
        (lambda t: t.replace("-- category: security", "-- category: fun"), 6, "category must be one of"),
        (lambda t: t.replace("-- title: A test investigation\n", ""), 1, "the header has no title"),
        (lambda t: t.replace("-- columns:", "-- colums:"), 11, "did you mean columns?"),
        (
            lambda t: t.replace("{type: port, default: 22", "{type: port, default: 70000"),
            9,
            "port must be 0–65535",
        ),
        (lambda t: t.replace("default: 10, min: 1", "default: 10, min: 1, mn: 2"), 10, "did you mean min?"),
        (lambda t: t.replace("-- fields: [srcaddr,", "-- fields: [src addr,"), 7, "not a valid name"),
        (lambda t: t.replace("-- title: A test investigation", "-- title: [unclosed"), 2, "not valid YAML"),
        (lambda t: t.replace("AND dstport = {{ port }}", "AND dstport = 22"), 9, "port is declared but"),
        (lambda t: t.replace("LIMIT {{ limit }}", "LIMIT {{ limt }}"), 19, "'limt', which is not a declared"),
        (lambda t: t.replace("AND log_status = 'OK'", "AND start >= {{ start }}"), 15, "in_window()"),
        (lambda t: t.replace("WHERE {{ in_window() }}\n  AND", "WHERE"), 1, "never calls {{ in_window() }}"),
        (lambda t: t.replace("GROUP BY srcaddr", "{% if port %}GROUP BY srcaddr"), 19, "template syntax"),
        (lambda t: "SELECT 1\n" + t, 1, "missing the metadata header"),
    ],
)
def test_definition_errors_name_file_and_line(tmp_path: Path, change, line: int, message: str) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "q", change(HEADER.format(name="q") + BODY))
    with pytest.raises(QueryDefinitionError) as err:
        loading.load_file(path)
    assert err.value.path == str(path)
    assert err.value.line == line, str(err.value)
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert message in str(err.value)


def test_file_stem_must_be_an_identifier(tmp_path: Path) -> None:
    path = write(tmp_path, "my-query", HEADER.format(name="my-query") + BODY)
    with pytest.raises(QueryDefinitionError, match="lowercase identifier"):
        loading.load_file(path)


# --- the library and user folders -------------------------------------------------------------


def test_user_folders_override_packaged_and_earlier_folders_win(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write(first, "top_talkers")
    write(second, "top_talkers")
    write(second, "my_own")
    write(second, "_shared_include")
    (second / "notes.txt").write_text("not a query")
    lib = library.load([first, second])
    assert "top_talkers" in lib and "my_own" in lib and "_shared_include" not in lib
    assert lib.names() == sorted(lib.names())
    top = lib.get("top_talkers")
    assert (top.source, top.overrides, top.path) == ("user", True, first / "top_talkers.sql")
    own = lib.get("my_own")
    assert (own.source, own.overrides) == ("user", False)
    packaged = library.load().get("top_talkers")
    assert (packaged.source, packaged.overrides) == ("packaged", False)
    assert [inv.name for inv in lib] == lib.names()


def test_missing_user_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        library.load([tmp_path / "nope"])


def test_unknown_name_suggests_close_ones() -> None:
    with pytest.raises(QueryNotFound) as err:
        library.load().get("top_talker")
    assert "top_talkers" in (err.value.hint or "")


def test_broken_file_does_not_hide_the_others(tmp_path: Path) -> None:
    write(tmp_path, "good")
    write(tmp_path, "bad", "-- name: bad\nSELECT 1")
    good, bad = library.load([tmp_path]).load_all()
    assert "good" in [g.name for g in good]
    assert len(bad) == 1 and bad[0].path == str(tmp_path / "bad.sql")


# --- rendering --------------------------------------------------------------------------------


def test_render_returns_validated_sql_window_and_values(tmp_path: Path) -> None:
    inv = loading.load_file(write(tmp_path, "q"))
    rendered = inv.render(V2, {"start": "2024-05-01", "end": "2024-05-01T06:00:00Z", "port": "2222"})
    assert rendered.investigation is inv
    assert rendered.values == {
        "start": datetime(2024, 5, 1, tzinfo=timezone.utc),
        "end": datetime(2024, 5, 1, 6, tzinfo=timezone.utc),
        "port": 2222,
        "limit": 10,
    }
    assert rendered.window.start_epoch == 1714521600 and rendered.window.end_epoch == 1714543200
    tree = sqlglot.parse_one(rendered.sql, read="athena")
    assert [(t.db, t.name) for t in tree.find_all(exp.Table)] == [("vpc_flow_logs", "flow_logs")]
    conjuncts = where_conjuncts(tree)
    port = [c for c in conjuncts if isinstance(c, exp.EQ) and c.left.name == "dstport"]
    assert len(port) == 1 and port[0].right == exp.Literal.number(2222)
    assert tree.args["limit"].expression == exp.Literal.number(10)


def _bounds(conjuncts: list[exp.Expression]) -> dict[str, object]:
    found: dict[str, object] = {}
    for c in conjuncts:
        if isinstance(c, exp.GTE) and c.left.name == "start":
            found["start>="] = int(c.right.name)
        elif isinstance(c, exp.LT) and c.left.name == "start":
            found["start<"] = int(c.right.name)
        elif isinstance(c, exp.Between) and c.this.name == "date_partition":
            found["days"] = (c.args["low"].name, c.args["high"].name)
        elif isinstance(c, exp.Between) and c.this.name == "hour_partition":
            found["hours"] = (c.args["low"].name, c.args["high"].name)
        elif isinstance(c, exp.In):
            found[c.this.name] = [e.name for e in c.expressions]
        elif isinstance(c, exp.Or):
            found.setdefault("or", []).append(c)  # type: ignore[union-attr]
    return found


@pytest.mark.parametrize(
    "layout, hourly, start, end, days, hours",
    [
        ("aws", False, "2024-05-01", "2024-05-02", ("2024/05/01", "2024/05/02"), None),
        (
            "hive",
            False,
            "2024-05-01",
            "2024-05-02",
            ("year=2024/month=05/day=01", "year=2024/month=05/day=02"),
            None,
        ),
        ("aws", False, "2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z", ("2024/05/01", "2024/05/01"), None),
        (
            "aws",
            True,
            "2024-05-01T10:00:00Z",
            "2024-05-01T11:00:00Z",
            ("2024/05/01", "2024/05/01"),
            ("10", "11"),
        ),
        (
            "aws",
            True,
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:30:00Z",
            ("2024/05/01", "2024/05/01"),
            ("10", "10"),
        ),
    ],
)
def test_window_and_partition_predicate_in_the_tree(layout, hourly, start, end, days, hours) -> None:  # type: ignore[no-untyped-def]
    spec = TableSpec(location="s3://bucket-one/", layout=layout, hourly=hourly)
    rendered = library.load().get("top_talkers").render(spec, {"start": start, "end": end})
    found = _bounds(where_conjuncts(sqlglot.parse_one(rendered.sql, read="athena")))
    assert found["start>="] == int(
        datetime.fromisoformat(start.replace("Z", "+00:00")).replace(tzinfo=timezone.utc).timestamp()
    )
    assert found["start<"] == int(
        datetime.fromisoformat(end.replace("Z", "+00:00")).replace(tzinfo=timezone.utc).timestamp()
    )
    assert found["days"] == days
    assert found.get("hours") == hours


def test_hourly_window_across_midnight_bounds_hours_per_edge_day() -> None:
    spec = TableSpec(location="s3://bucket-one/", hourly=True)
    rendered = (
        library.load()
        .get("top_talkers")
        .render(spec, {"start": "2024-05-01T22:00:00Z", "end": "2024-05-02T01:00:00Z"})
    )
    found = _bounds(where_conjuncts(sqlglot.parse_one(rendered.sql, read="athena")))
    assert found["days"] == ("2024/05/01", "2024/05/02")
    ors = found["or"]
    assert isinstance(ors, list) and len(ors) == 2
    terms = {
        (
            type(o.left).__name__,
            o.left.this.name,
            o.left.expression.name,
            o.right.this.name,
            o.right.expression.name,
        )
        for o in ors
    }
    # first day from 22:00, last day up to 01:14 (15 minutes of padding past the window's end)
    assert terms == {
        ("GT", "date_partition", "2024/05/01", "hour_partition", "22"),
        ("LT", "date_partition", "2024/05/02", "hour_partition", "01"),
    }


def test_accounts_and_regions_of_the_table_restrict_partitions() -> None:
    spec = TableSpec(
        location="s3://bucket-one/", accounts=("111111111111", "222222222222"), regions=("eu-west-1",)
    )
    rendered = library.load().get("top_talkers").render(spec, {"start": "2024-05-01"})
    found = _bounds(where_conjuncts(sqlglot.parse_one(rendered.sql, read="athena")))
    assert found["account_partition"] == ["111111111111", "222222222222"]
    assert found["region_partition"] == ["eu-west-1"]


def test_window_limits_and_parameter_errors() -> None:
    inv = library.load().get("top_talkers")
    with pytest.raises(ParameterError, match="more than the maximum of 7 days"):
        inv.render(V2, {"start": "2024-05-01", "end": "2024-05-20"}, max_window_days=7)
    with pytest.raises(ParameterError, match="end must be after start"):
        inv.render(V2, {"start": "2024-05-02", "end": "2024-05-01"})
    with pytest.raises(ParameterError, match="has no parameter 'limt'"):
        inv.render(V2, {"limt": "5"})
    now = datetime(2024, 5, 3, 12, 30, tzinfo=timezone.utc)
    default = inv.render(V2, now=now)
    assert default.window.end == datetime(2024, 5, 3, 12, 31, tzinfo=timezone.utc)
    assert default.window.start == datetime(2024, 5, 2, 12, 31, tzinfo=timezone.utc)


def test_not_available_names_the_missing_fields_and_versions() -> None:
    inv = library.load().get("incomplete_tcp_connections")
    with pytest.raises(NotAvailable) as err:
        inv.render(V2)
    assert str(err.value).startswith(
        "incomplete_tcp_connections is not available for this table: needs tcp_flags (version 3)"
    )
    assert [f.column for f in inv.available(V2)] == ["tcp_flags"]
    assert inv.available(TableSpec(location="s3://bucket-one/", fields=EVERYTHING)) == []


def test_output_columns_must_match_the_header(tmp_path: Path) -> None:
    text = (
        (HEADER.format(name="q") + BODY)
        .replace("count(*) AS n", "count(*) AS total")
        .replace("ORDER BY n", "ORDER BY total")
    )
    with pytest.raises(
        ValidationError, match="returns columns srcaddr, total but its header promises srcaddr, n"
    ):
        loading.load_file(write(tmp_path, "q", text)).render(V2)


def test_validation_error_points_at_the_file_line_and_column(tmp_path: Path) -> None:
    text = (HEADER.format(name="q") + BODY).replace(
        "AND log_status = 'OK'", "{% if port %}\n  AND log_stats = 'OK'\n{% endif %}"
    )
    path = write(tmp_path, "q", text)
    with pytest.raises(ValidationError) as err:
        loading.load_file(path).render(V2)
    lines = path.read_text().splitlines()
    assert (err.value.line, err.value.col) == (16, 7)
    assert lines[15][6:].startswith("log_stats")
    assert str(err.value).startswith(f"{path}:16:7: q does not validate: Column 'log_stats'")


def test_macros_refuse_parameter_values(tmp_path: Path) -> None:
    text = HEADER.format(name="q").replace(
        "port: {type: port, default: 22, help: a port}", "col: {type: text, default: srcaddr}"
    )
    body = BODY.replace("AND dstport = {{ port }}", "AND {{ is_private(col) }}")
    with pytest.raises(QueryDefinitionError) as err:
        loading.load_file(write(tmp_path, "q", text + body)).render(V2)
    assert "column name written in the template" in str(err.value)
    assert err.value.line == 16


def test_is_private_covers_exactly_rfc1918_and_ula_and_ignores_dash() -> None:
    rendered = library.load().get("exfiltration_suspects").render(V2)
    tree = sqlglot.parse_one(rendered.sql, read="athena")
    by_column: dict[str, set[str]] = {}
    for call in tree.find_all(exp.ArrayContains):
        cidr, address = call.this, call.expression
        assert isinstance(address, exp.Cast) and address.to.this == exp.DataType.Type.IPADDRESS
        nullif = address.this
        assert isinstance(nullif, exp.Nullif) and nullif.expression == exp.Literal.string("-")
        by_column.setdefault(nullif.this.name, set()).add(cidr.name)
    expected = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}
    assert by_column == {"srcaddr": expected, "dstaddr": expected}
    nots = [n for n in tree.find_all(exp.Not) if n.find(exp.ArrayContains)]
    assert len(nots) == 1 and {c.expression.this.this.name for c in nots[0].find_all(exp.ArrayContains)} == {
        "dstaddr"
    }


@pytest.mark.parametrize("expression", ["{{ port|safe }}", "{{ [port]|join(',') }}"])
def test_filters_that_would_splice_text_are_refused_at_load(tmp_path: Path, expression: str) -> None:
    text = (HEADER.format(name="q") + BODY).replace("{{ port }}", expression)
    with pytest.raises(QueryDefinitionError) as err:
        loading.load_file(write(tmp_path, "q", text))
    assert err.value.line == 16 and "filter is not available" in str(err.value)


def test_a_comment_right_below_the_header_is_part_of_it(tmp_path: Path) -> None:
    text = HEADER.format(name="q") + "-- just a note\n" + BODY
    with pytest.raises(QueryDefinitionError) as err:
        loading.load_file(write(tmp_path, "q", text))
    assert err.value.line == 12 and "not valid YAML" in str(err.value)


def test_validated_statements_are_cached_on_disk(tmp_path, monkeypatch):
    """A second render of the same text for the same table skips validation; a different table or
    text validates again, and a statement that fails validation is never cached."""
    from flowsql.investigations import validate
    from flowsql.investigations.library import load
    from flowsql.tables.spec import TableSpec

    monkeypatch.setenv("FLOWSQL_CACHE_DIR", str(tmp_path))
    spec = TableSpec("s3://flow-bucket/", accounts=("111122223333",), regions=("us-east-1",))
    inv = load().get("top_talkers")
    window = {"start": "2024-05-01", "end": "2024-05-02"}
    first = inv.render(spec, window)
    fresh = inv.render(spec, window, cache=False)
    assert first.sql == fresh.sql and fresh.tree is not None
    calls = []
    real = validate.validate_query
    monkeypatch.setattr(validate, "validate_query", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = inv.render(spec, window)
    assert again.sql == first.sql and calls == []
    inv.render(spec, {"start": "2024-05-01", "end": "2024-05-03"})
    assert calls == [1]
    hourly = TableSpec("s3://flow-bucket/", hourly=True, accounts=("111122223333",), regions=("us-east-1",))
    inv.render(hourly, window)
    assert calls == [1, 1]
    assert len(list((tmp_path / "rendered-sql").glob("*.txt"))) == 3
