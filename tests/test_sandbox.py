"""A query file is code from wherever a config points: it renders in Jinja's sandbox, and nothing in it
can put a parameter value into SQL as text (each construct refused at load, with file:line)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2.defaults import DEFAULT_FILTERS
from sqlglot import exp

from flowsql.errors import FlowsqlError, QueryDefinitionError
from flowsql.investigations import loading, sandbox
from flowsql.tables.spec import TableSpec

SPEC = TableSpec(location="s3://bucket-one/")
WINDOW = {"start": "2024-05-01T00:00:00Z", "end": "2024-05-02T00:00:00Z"}

HEADER = """\
-- name: probe
-- title: A probe
-- description: Used by the sandbox tests.
-- category: security
-- fields: [srcaddr, dstaddr, start, packets, bytes]
-- params:
--   lim: {type: text, default: benign}
-- columns: [srcaddr]
"""
LINE = 9  # the first template line


def query(body: str) -> str:
    return HEADER + body


def select(expression: str) -> str:
    return query(
        f"SELECT srcaddr FROM {{{{ table }}}} WHERE {{{{ in_window() }}}} AND packets > 0 AND srcaddr = {expression}"
        "\n  AND dstaddr <> {{ lim }}\n"
    )


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "probe.sql"
    path.write_text(text, encoding="utf-8")
    return path


# --- no code from a query file ---------------------------------------------------------------

PAYLOADS = [
    '{{% set x = cycler.__init__.__globals__.os.popen("touch {marker}").read() %}}',
    '{{{{ cycler.__init__.__globals__.os.popen("touch {marker}").read() }}}}',
    '{{{{ joiner.__init__.__globals__.os.popen("touch {marker}") }}}}',
    "{{{{ lipsum.__globals__['os'].popen('touch {marker}') }}}}",
    "{{{{ namespace.__init__.__globals__ }}}}",
    "{{{{ ''.__class__.__mro__[1].__subclasses__() }}}}",
    "{{{{ lim.__class__.__mro__ }}}}",
    "{{{{ in_window.__globals__ }}}}",
    "{{{{ self._TemplateReference__context }}}}",
    "{{{{ range.__self__ }}}}",
]


def _payload_query(payload: str, marker: Path) -> str:
    return query(
        payload.format(marker=marker)
        + "\nSELECT srcaddr FROM {{ table }} WHERE {{ in_window() }} AND srcaddr = {{ lim }}\n"
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_query_file_reaches_no_python_object(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "PWNED"
    path = write(tmp_path / "q", _payload_query(payload, marker))
    with pytest.raises(QueryDefinitionError) as err:
        loading.load_file(path).render(SPEC, WINDOW, cache=False)
    assert not marker.exists(), "the query file ran a command"
    assert err.value.line == LINE and str(err.value).startswith(f"{path}:{LINE}: "), err.value


@pytest.mark.parametrize("command", ["validate", "render", "run"])
def test_the_reported_payload_runs_no_command_through_the_cli(tmp_path: Path, command: str) -> None:
    """Through the real entry point, in a fresh interpreter, as CI would run it in a cloned repository
    whose .flowsql.yaml points at the query folder."""
    marker = tmp_path / "PWNED"
    write(tmp_path / "q", _payload_query(PAYLOADS[0], marker))
    (tmp_path / ".flowsql.yaml").write_text("table: {location: ./logs}\nqueries: [./q]\n", encoding="utf-8")
    (tmp_path / "logs").mkdir()
    args = {"validate": ["validate"], "render": ["render", "probe"], "run": ["run", "probe"]}[command]
    window = ["-p", "start=2024-05-01"] if command != "validate" else []
    done = subprocess.run(
        [sys.executable, "-m", "flowsql", *args, *window],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert not marker.exists(), "the query file ran a command"
    assert done.returncode not in (0, 70), done
    assert f"probe.sql:{LINE}:" in done.stdout + done.stderr and "Traceback" not in done.stderr, done


def test_the_environment_is_jinjas_immutable_sandbox() -> None:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from flowsql.investigations import investigation, templates

    for env in (templates.environment(), investigation.environment()):
        assert isinstance(env, ImmutableSandboxedEnvironment)
        assert set(env.filters) == set(sandbox.ALLOWED_FILTERS)
        assert set(env.globals) == {"range"}


# --- constructs that would splice a value into SQL ---------------------------------------------

REFUSED_AT_LOAD = {
    "{{ lim|e }}": "e filter",
    "{{ lim|escape }}": "escape filter",
    "{{ lim|forceescape }}": "forceescape filter",
    "{{ lim|safe }}": "safe filter",
    "{{ lim|tojson }}": "tojson filter",
    "{{ lim|urlize }}": "urlize filter",
    "{{ {'a': lim}|xmlattr }}": "xmlattr filter",
    "{{ lim|string }}": "string filter",
    "{{ '%s'|format(lim) }}": "format filter",
    "{{ [lim]|join(',') }}": "join filter",
    "{{ lim|map('e')|first }}": "map filter",
    "{{ table ~ lim }}": "~ is not available",
    "{{ 'x' ~ lim }}": "~ is not available",
    "{{ table + lim }}": "'+' cannot combine",
    "{{ lim + table }}": "'+' cannot combine",
    "{{ table % lim }}": "'%' cannot combine",
    "{{ in_window() + lim }}": "'+' cannot combine",
    "{% set t = table %}{{ t + lim }}": "'+' cannot combine",
    "{% set t %}{{ table }}{% endset %}{{ t % lim }}": "'%' cannot combine",
    "{% filter upper %}{{ lim }}{% endfilter %}": "{% filter %} block",
    "{% autoescape false %}{{ lim }}{% endautoescape %}": "{% autoescape %} block",
    "{% include 'create_table.sql' %}": "{% include %}",
    "{% import 'create_table.sql' as x %}{{ lim }}": "{% import %}",
    "{{ port_service(lim) }}": "takes a column name written in the template",
    "{{ port_service(lim|lower) }}": "takes a column name written in the template",
    "{{ is_private(lim[0:]) }}": "takes a column name written in the template",
    "{% set f = is_public %}{{ f(lim|lower) }}": "is a helper",
    "{{ lim if lim is escaped else lim }}": "'escaped' test",
    "{{ table[0:3] }}": "cannot be indexed, sliced",
    "{{ [table][0][0:3] }}": "cannot be indexed, sliced",
    "{{ [table][0][0] }}": "cannot be indexed, sliced",
    "{% macro m(v) %}{{ v + lim }}{% endmacro %}{{ m(table) }}": "'+' cannot combine",
    "{% macro m(v) %}{{ v[0:3] }}{% endmacro %}{{ m(table) }}": "cannot be indexed, sliced",
    "{{ table.format(lim) }}": "cannot be indexed, sliced or have its attributes used",
    "{% set w = in_window() %}{{ w.join([lim]) }}": "cannot be indexed, sliced or have its attributes used",
}


@pytest.mark.parametrize("expression", list(REFUSED_AT_LOAD))
def test_splicing_constructs_are_refused_at_load_with_file_and_line(tmp_path: Path, expression: str) -> None:
    with pytest.raises(QueryDefinitionError) as err:
        loading.load_file(write(tmp_path, select(expression)))
    assert err.value.line == LINE, err.value
    assert REFUSED_AT_LOAD[expression] in str(err.value)
    assert str(err.value).startswith(f"{tmp_path / 'probe.sql'}:{LINE}: ")


REFUSED_AT_RENDER = [
    "{% macro m() %}{{ varargs[0].format(lim) }}{% endmacro %}{{ m(table) }}",
    "{% macro m() %}{{ varargs[0].join([lim]) }}{% endmacro %}{{ m(table) }}",
    "{% macro m() %}{{ varargs[0][0] }}{% endmacro %}{{ m(table) }}",
    "{% macro m() %}{{ varargs[0] + lim }}{% endmacro %}{{ m(in_window()) }}",
    "{{ lim|default(table) }}",
    "{{ table|lower }}",
    "{{ [table]|first }}",
]


@pytest.mark.parametrize("expression", REFUSED_AT_RENDER)
def test_what_a_static_check_cannot_see_is_refused_by_the_sandbox(tmp_path: Path, expression: str) -> None:
    inv = loading.load_file(write(tmp_path, select(expression)))
    with pytest.raises(QueryDefinitionError) as err:
        inv.render(SPEC, {"lim": "zqx' OR 1=1 --", **WINDOW}, cache=False)
    assert "not allowed in an investigation" in str(err.value) and err.value.line == LINE, err.value


def test_the_reported_renders_now_refuse(tmp_path: Path) -> None:
    """The issue's reproductions: |e and |forceescape rendered `0 AND 1=0` raw; |tojson made a column."""
    for expression in ("{{ lim|e }}", "{{ lim|forceescape }}", "{{ lim|tojson }}"):
        with pytest.raises(QueryDefinitionError, match="filter is not available"):
            loading.load_file(write(tmp_path, select(expression)))


def test_allowlisted_filters_keep_values_literal(tmp_path: Path) -> None:
    inv = loading.load_file(write(tmp_path, select("{{ lim|upper|trim }}")))
    sql = inv.render(SPEC, {"lim": " x' OR '1'='1 ", **WINDOW}, cache=False).sql
    tree = sqlglot.parse_one(sql, read="athena")
    assert "X' OR '1'='1" in [lit.this for lit in tree.find_all(exp.Literal) if lit.is_string]
    assert not tree.find(exp.Or)


# --- the property: every builtin filter, refused at load or literals only ----------------------

MARK = "zqxmark"
ARGUMENTS = ["", "'x'", "1", "table", "lim", '"\'"', "none", "true"]
hostile = st.builds(
    lambda a, b: MARK + a + b,
    st.sampled_from(["", "'", "' OR '1'='1", " AND 1=0", "'; DROP TABLE t; --", '"bytes"', ") OR (1=1"]),
    st.text(alphabet=st.sampled_from(list("'\";-/* ()x,%_")), max_size=12),
)


def outside_literals(sql: str) -> str:
    """The statement with every string literal emptied, lower-cased: what a value must not reach."""
    tree = sqlglot.parse_one(sql, read="athena")
    emptied = tree.transform(
        lambda n: exp.Literal.string("") if isinstance(n, exp.Literal) and n.is_string else n
    )
    return emptied.sql(dialect="athena").lower()


def columns(sql: str) -> set[str]:
    return {c.name for c in sqlglot.parse_one(sql, read="athena").find_all(exp.Column)}


def test_the_literal_check_sees_a_spliced_value() -> None:
    spliced = f"SELECT srcaddr FROM t WHERE srcaddr = {MARK} OR 1 = 1"
    assert MARK in outside_literals(spliced)
    assert MARK not in outside_literals(f"SELECT srcaddr FROM t WHERE srcaddr = '{MARK}'' OR 1=1'")


@pytest.mark.parametrize("name", sorted(set(DEFAULT_FILTERS) - set(sandbox.ALLOWED_FILTERS)))
def test_every_builtin_filter_outside_the_allowlist_is_refused_at_load(tmp_path: Path, name: str) -> None:
    with pytest.raises(QueryDefinitionError, match=f"the {name} filter is not available") as err:
        loading.load_file(write(tmp_path, select(f"{{{{ lim|{name} }}}}")))
    assert err.value.line == LINE


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(DEFAULT_FILTERS)),
    args=st.lists(st.sampled_from(ARGUMENTS), max_size=2),
    value=hostile,
)
def test_every_builtin_filter_is_refused_at_load_or_renders_only_literals(
    name: str, args: list[str], value: str
) -> None:
    call = f"({', '.join(a for a in args if a)})" if any(args) else ""
    with tempfile.TemporaryDirectory() as folder:
        try:
            inv = loading.load_file(write(Path(folder), select(f"{{{{ lim|{name}{call} }}}}")))
        except QueryDefinitionError:
            assert name not in sandbox.ALLOWED_FILTERS
            return
        assert name in sandbox.ALLOWED_FILTERS
        try:
            sql = inv.render(SPEC, {"lim": value, **WINDOW}, cache=False).sql
        except FlowsqlError:
            return  # refused while rendering (SQL as an argument, a type the filter cannot take)
    assert MARK not in outside_literals(sql), sql
    assert columns(sql) <= {"srcaddr", "dstaddr", "packets", "start", "date_partition"}, sql
