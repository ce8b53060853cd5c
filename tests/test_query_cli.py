"""flowsql list, show, render and validate, through the real entry point."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import sqlglot
from sqlglot import exp

from flowsql.tables import fields

FIXED = [
    "rejected_ssh_sources",
    "sensitive_port_rejects",
    "port_scan_suspects",
    "host_scan_suspects",
    "public_exposure",
    "exfiltration_suspects",
    "top_talkers",
    "ip_activity",
    "conversation",
    "connectivity_check",
    "log_health",
]

BROKEN = """\
-- name: broken
-- title: A query with a typo
-- description: Reads a column that does not exist.
-- category: troubleshooting
-- fields: [srcaddr, dstport, start, log_status]
-- columns: [srcaddr]
SELECT srcaddr
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND dst_port = 22
"""


def test_list_json_has_every_fixed_name_and_v2_availability(workdir: Path, flowsql_cli) -> None:  # type: ignore[no-untyped-def]
    result = flowsql_cli("list", "--format", "json")
    assert result.code == 0, result
    records = json.loads(result.out)
    by_name = {r["name"]: r for r in records}
    assert len(records) >= 30
    assert set(FIXED) <= set(by_name)
    assert [r["name"] for r in records] == sorted(by_name)
    for record in records:
        assert set(record) >= {"name", "title", "category", "available", "missing", "source", "overrides"}
        newer = [m for m in record["missing"] if fields.BY_COLUMN[m].version > 2]
        assert record["available"] is (not record["missing"]) and newer == record["missing"]
    assert by_name["incomplete_tcp_connections"]["missing"] == ["tcp_flags"]
    assert by_name["top_talkers"]["available"] is True


def test_list_uses_the_configured_log_format(workdir: Path, flowsql_cli) -> None:  # type: ignore[no-untyped-def]
    log_format = " ".join("${" + n + "}" for n in fields.ALL_FIELDS)
    (workdir / ".flowsql.yaml").write_text(
        f"table:\n  location: s3://bucket-one/\n  log_format: '{log_format}'\n", encoding="utf-8"
    )
    records = json.loads(flowsql_cli("list", "--format", "json").out)
    assert all(r["available"] for r in records)


def test_list_marks_user_overrides_and_table_format(workdir: Path, flowsql_cli) -> None:  # type: ignore[no-untyped-def]
    mine = workdir / "mine"
    mine.mkdir()
    packaged = Path(sys.modules["flowsql"].__file__).resolve().parent.parent / "queries" / "top_talkers.sql"
    (mine / "top_talkers.sql").write_text(packaged.read_text(encoding="utf-8"), encoding="utf-8")
    records = json.loads(flowsql_cli("list", "--format", "json", "--queries", str(mine)).out)
    top = next(r for r in records if r["name"] == "top_talkers")
    assert (top["source"], top["overrides"]) == ("user", True)
    assert sum(r["overrides"] for r in records) == 1
    table = flowsql_cli("list", "--queries", str(mine))
    lines = table.out.splitlines()
    assert lines[0].split()[:4] == ["name", "category", "available", "title"]
    row = next(line for line in lines if line.startswith("top_talkers "))
    assert "overrides packaged" in row
    assert "needs tcp_flags (version 3)" in next(
        line for line in lines if line.startswith("incomplete_tcp_connections")
    )


def test_list_reports_a_broken_user_file_and_still_lists(workdir: Path, flowsql_cli) -> None:  # type: ignore[no-untyped-def]
    mine = workdir / "mine"
    mine.mkdir()
    (mine / "bad.sql").write_text("-- name: bad\n-- title: [\nSELECT 1\n", encoding="utf-8")
    result = flowsql_cli("list", "--format", "json", "--queries", str(mine))
    assert result.code == 1
    assert len(json.loads(result.out)) >= 30
    assert f"{mine / 'bad.sql'}:" in result.err


def test_show_prints_description_parameters_and_template(workdir: Path, flowsql_cli) -> None:  # type: ignore[no-untyped-def]
    result = flowsql_cli("show", "rejected_ssh_sources")
    assert result.code == 0, result
    out = result.out
    assert out.startswith("rejected_ssh_sources: ")
    assert "category:   security" in out
    assert "available:  yes" in out
    param_lines = {
        line.split()[0]: line.split()
        for line in out.split("parameters:")[1].split("example:")[0].splitlines()
        if line.strip()
    }
    assert set(param_lines) == {"start", "end", "last", "port", "limit"}
    assert param_lines["port"][1:3] == ["port", "22"]
    assert "{{ in_window() }}" in out and "dstport = {{ port }}" in out
    missing = flowsql_cli("show", "incomplete_tcp_connections")
    assert "available:  no, needs tcp_flags (version 3)" in missing.out


def test_show_unknown_name_suggests(workdir: Path, flowsql_cli) -> None:  # type: ignore[no-untyped-def]
    result = flowsql_cli("show", "rejected_ssh_source")
    assert result.code == 2
    assert "no investigation named 'rejected_ssh_source'" in result.err
    assert "rejected_ssh_sources" in result.err


def test_render_prints_sql_that_parses_with_the_values_as_literals(workdir: Path, flowsql_cli) -> None:  # type: ignore[no-untyped-def]
    result = flowsql_cli(
        "render",
        "ip_activity",
        "-p", "ip=2001:DB8::1",
        "-p", "start=2024-05-01",
        "-p", "end=2024-05-01T12:00:00Z",
        "-p", "limit=7",
        "--location", "s3://bucket-one/logs",
        "--layout", "hive",
    )  # fmt: skip
    assert result.code == 0, result
    tree = sqlglot.parse_one(result.out, read="athena")
    strings = {lit.this for lit in tree.find_all(exp.Literal) if lit.is_string}
    assert "2001:db8::1" in strings
    assert "year=2024/month=05/day=01" in strings
    assert tree.args["limit"].expression == exp.Literal.number(7)
    starts = {int(n.right.name) for n in tree.find_all(exp.GTE, exp.LT) if n.left.name == "start"}
    assert starts == {1714521600, 1714564800}


def test_render_errors_are_one_clear_line(workdir: Path, flowsql_cli) -> None:  # type: ignore[no-untyped-def]
    loc = ("--location", "s3://bucket-one/")
    bad_port = flowsql_cli("render", "rejected_ssh_sources", "-p", "port=70000", *loc)
    assert (bad_port.code, bad_port.err.strip()) == (2, "error: port must be 0–65535, got 70000")
    unknown = flowsql_cli("render", "top_talkers", "-p", "limt=3", *loc)
    assert (
        unknown.code == 2
        and "has no parameter 'limt'" in unknown.err
        and "did you mean limit?" in unknown.err
    )
    no_eq = flowsql_cli("render", "top_talkers", "-p", "limit", *loc)
    assert no_eq.code == 2 and "-p expects NAME=VALUE" in no_eq.err
    no_location = flowsql_cli("render", "top_talkers")
    assert no_location.code == 2 and "no location given" in no_location.err
    unavailable = flowsql_cli("render", "incomplete_tcp_connections", *loc)
    assert unavailable.code != 0 and "needs tcp_flags (version 3)" in unavailable.err
    assert "Traceback" not in bad_port.err + unknown.err + no_location.err + unavailable.err


def test_validate_packaged_library_passes(workdir: Path, flowsql_cli) -> None:  # type: ignore[no-untyped-def]
    result = flowsql_cli("validate")
    assert result.code == 0, result
    assert result.out.strip().splitlines()[-1].endswith(" checked, 0 problems")
    assert (
        "ok    incomplete_tcp_connections  (not available for the default v2 table: needs tcp_flags"
        in result.out
    )


def test_validate_a_user_folder_with_a_broken_query_fails_with_line_and_column(
    workdir: Path, flowsql_cli
) -> None:  # type: ignore[no-untyped-def]
    folder = workdir / "team"
    folder.mkdir()
    (folder / "broken.sql").write_text(BROKEN, encoding="utf-8")
    (folder / "bad_yaml.sql").write_text(
        BROKEN.replace("-- title: A query", "-- title: [A query").replace("broken", "bad_yaml"),
        encoding="utf-8",
    )
    result = flowsql_cli("validate", str(folder))
    assert result.code == 1
    lines = result.out.splitlines()
    assert (
        f"{folder / 'broken.sql'}:11:7: broken does not validate: Column 'dst_port' could not be resolved at line 11, col 7"
        in lines
    )
    assert any(
        line.startswith(f"{folder / 'bad_yaml.sql'}:2: the metadata header is not valid YAML")
        for line in lines
    )
    assert lines[-1] == "2 investigations checked, 2 problems"
    # the same folder given as a user folder is validated together with the packaged ones
    combined = flowsql_cli("validate", "--queries", str(folder))
    assert combined.code == 1 and combined.out.splitlines()[-1].endswith(" checked, 2 problems")


def test_validate_catches_fields_that_are_not_declared(workdir: Path, flowsql_cli) -> None:  # type: ignore[no-untyped-def]
    folder = workdir / "team"
    folder.mkdir()
    text = BROKEN.replace("dst_port", "dstport").replace(
        "-- fields: [srcaddr, dstport, start, log_status]", "-- fields: [srcaddr, start, log_status, vpc_id]"
    )
    (folder / "broken.sql").write_text(text, encoding="utf-8")
    result = flowsql_cli("validate", str(folder))
    assert result.code == 1
    assert f"{folder / 'broken.sql'}: the SQL reads dstport, missing from fields:" in result.out
    assert f"{folder / 'broken.sql'}: fields: lists vpc_id, which the SQL never reads" in result.out
