"""No parameter value can change a statement's shape: property tests with hypothesis.

For every string a user could pass, rendering either refuses it with a ParameterError or yields SQL
that parses to the same tree as a harmless value does, with the value sitting inside literals only
(compared after replacing the value's literals by a placeholder)."""

from __future__ import annotations

import functools
from typing import Any

import pytest
import sqlglot
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from flowsql.errors import ParameterError
from flowsql.investigations import investigation, library
from flowsql.investigations.params import TYPES
from flowsql.tables import fields
from flowsql.tables.spec import TableSpec

SPEC = TableSpec(
    location="s3://bucket-one/",
    fields=tuple(fields.BY_NAME[n] for n in fields.ALL_FIELDS),
    layout="hive",
    hourly=True,
)
WINDOW = {"start": "2024-05-01T00:00:00Z", "end": "2024-05-02T00:00:00Z"}
PLACEHOLDER = "\u2063placeholder\u2063"

NASTY = [
    "'",
    "''",
    "\\'",
    "\\",
    "'; DROP TABLE flow_logs; --",
    "' OR '1'='1",
    "x' UNION SELECT * FROM secret --",
    "*/ SELECT 1 /*",
    "-- comment",
    "/* open",
    '"; DELETE FROM t; "',
    "}}{{ table }}{%",
    "{{ in_window() }}",
    "{% raw %}",
    "\n\r\t",
    "é漢字😀\u202e\u2028",
    "%s %(x)s %%",
    "?",
    "$1",
    "OR 1=1",
    "",
    " ",
]

hostile = st.one_of(
    st.text(max_size=60),
    st.sampled_from(NASTY),
    st.text(alphabet=st.sampled_from(list("'\";-/*\\\n\t%_ ()x{}")), max_size=30),
    st.builds(lambda a, b: a + b, st.sampled_from(NASTY), st.text(max_size=10)),
)

SYNTHETIC = """\
-- name: every_string
-- title: Every string-typed parameter in several positions
-- description: Used only by the injection tests.
-- category: security
-- fields: [account_id, interface_id, srcaddr, dstaddr, start, action, log_status]
-- params:
--   label: {type: text, default: benign, help: free text}
--   maybe: {type: text, default: null, help: optional free text}
--   mode: {type: choice, choices: [ACCEPT, REJECT], default: ACCEPT, help: action}
--   ip: {type: ip, default: 10.0.0.1, help: an address}
--   net: {type: cidr, default: 10.0.0.0/8, help: a network}
--   eni: {type: eni, default: eni-0123456789abcdef0, help: an interface}
--   account: {type: account, default: "123456789012", help: an account}
-- columns: [srcaddr, label, kind, n]
SELECT
  srcaddr,
  {{ label }} AS label,
  CASE WHEN srcaddr = {{ label }} THEN 'same' ELSE {{ label }} END AS kind,
  count(*) AS n
FROM {{ table }}
WHERE {{ in_window() }}
  AND log_status = 'OK'
  AND (srcaddr = {{ label }} OR dstaddr LIKE {{ label }} OR interface_id IN ({{ label }}, {{ eni }}))
  {% if maybe is not none %}
  AND srcaddr <> {{ maybe }}
  {% endif %}
  AND account_id = {{ account }}
  AND contains({{ net }}, CAST(NULLIF(dstaddr, '-') AS IPADDRESS))
  AND dstaddr <> {{ ip }}
  AND action = {{ mode }}
GROUP BY srcaddr
ORDER BY n DESC, srcaddr
"""


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> investigation.Investigation:
    folder = tmp_path_factory.mktemp("queries")
    (folder / "every_string.sql").write_text(SYNTHETIC, encoding="utf-8")
    return library.load([folder]).get("every_string")


def _string_literals(tree: exp.Expression) -> list[str]:
    return [lit.this for lit in tree.find_all(exp.Literal) if lit.is_string]


def _masked(tree: exp.Expression, value: str) -> exp.Expression:
    def mask(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Literal) and node.is_string and node.this == value:
            return exp.Literal.string(PLACEHOLDER)
        return node

    return tree.copy().transform(mask)


def _generic(tree: exp.Expression) -> exp.Expression:
    """The statement's shape: every literal a placeholder, every IN list of literals one item."""

    def mask(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Literal):
            return exp.Literal.string(PLACEHOLDER)
        if (
            isinstance(node, exp.In)
            and node.expressions
            and all(isinstance(e, exp.Literal) for e in node.expressions)
        ):
            return exp.In(this=node.this.copy(), expressions=[exp.Literal.string(PLACEHOLDER)])
        return node

    return tree.copy().transform(mask)


def _needs(inv: investigation.Investigation) -> bool:
    """Render the ones that need the inventory as if it were there (their SQL joins it)."""
    return inv.inventory == "required"


def _render(inv: investigation.Investigation, values: dict[str, Any]) -> investigation.Rendered | None:
    try:
        return inv.render(
            SPEC, {**inv.example_params(), **values, **WINDOW}, cache=False, inventory=_needs(inv)
        )
    except ParameterError:
        return None


_REFERENCES: dict[tuple[str, str], tuple[exp.Expression, str]] = {}


def _reference(inv: investigation.Investigation, name: str) -> tuple[exp.Expression, str]:
    """The tree rendered with a harmless value no template contains, and that value."""
    key = (str(inv.path), name)
    if key not in _REFERENCES:
        benign = f"harmless value of {name}"
        rendered = inv.render(
            SPEC, {**inv.example_params(), name: benign, **WINDOW}, cache=False, inventory=_needs(inv)
        )
        _REFERENCES[key] = (sqlglot.parse_one(rendered.sql, read="athena"), benign)
    return _REFERENCES[key]


def _assert_value_only_in_literals(inv: investigation.Investigation, name: str, value: str) -> None:
    ref_tree, benign = _reference(inv, name)
    assume(value not in _string_literals(ref_tree))
    rendered = _render(inv, {name: value})
    if rendered is None:
        return
    for tree in (sqlglot.parse_one(rendered.sql, read="athena"), rendered.tree):
        assert _string_literals(tree).count(value) == _string_literals(ref_tree).count(benign) > 0
        assert _masked(tree, value) == _masked(ref_tree, benign)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=hostile)
def test_free_text_lands_in_literals_only(synthetic: investigation.Investigation, value: str) -> None:
    _assert_value_only_in_literals(synthetic, "label", value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=hostile)
def test_optional_text_lands_in_literals_only(synthetic: investigation.Investigation, value: str) -> None:
    _assert_value_only_in_literals(synthetic, "maybe", value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["mode", "ip", "net", "eni", "account"]), value=hostile)
def test_typed_strings_are_refused_or_keep_the_shape(
    synthetic: investigation.Investigation, name: str, value: str
) -> None:
    ref_tree, _ = _reference(synthetic, "label")
    rendered = _render(synthetic, {name: value})
    if rendered is not None:
        assert _generic(sqlglot.parse_one(rendered.sql, read="athena")) == _generic(ref_tree)


def test_values_that_look_valid_but_carry_sql_are_refused(synthetic: investigation.Investigation) -> None:
    for name, valid in [
        ("ip", "10.0.0.1"),
        ("net", "10.0.0.0/8"),
        ("eni", "eni-0123456789abcdef0"),
        ("account", "123456789012"),
        ("mode", "ACCEPT"),
    ]:
        for suffix in ("' OR '1'='1", "; DROP TABLE t", " --", "'"):
            with pytest.raises(ParameterError):
                synthetic.render(SPEC, {name: valid + suffix, **WINDOW}, cache=False)


# --- every parameter of every packaged investigation ------------------------------------------

PACKAGED = library.load()
PAIRS = [(inv.name, name) for inv in PACKAGED for name in inv.params]
TEXT_PAIRS = [(n, p) for n, p in PAIRS if PACKAGED.get(n).params[p].type == "text"]


def test_the_catalogue_has_free_text_parameters() -> None:
    assert len(TEXT_PAIRS) >= 2


@pytest.mark.parametrize("investigation, name", PAIRS)
@settings(max_examples=12, deadline=None)
@given(value=hostile)
def test_every_packaged_parameter_refuses_or_keeps_the_shape(
    investigation: str, name: str, value: str
) -> None:
    inv = PACKAGED.get(investigation)
    rendered = _render(inv, {name: value})
    if rendered is not None:
        assert _generic(sqlglot.parse_one(rendered.sql, read="athena")) == _shape_with_example(
            investigation, name
        )


@functools.cache
def _shape_with_example(investigation: str, name: str) -> exp.Expression:
    inv = PACKAGED.get(investigation)
    param = inv.params[name]
    example = next(v for v in (param.example, param.default, TYPES[param.type][1]) if v is not None)
    reference = inv.render(
        SPEC, {**inv.example_params(), name: example, **WINDOW}, cache=False, inventory=_needs(inv)
    )
    return _generic(sqlglot.parse_one(reference.sql, read="athena"))


@pytest.mark.parametrize("investigation, name", TEXT_PAIRS)
@settings(max_examples=60, deadline=None)
@given(value=hostile)
def test_packaged_free_text_lands_in_literals_only(investigation: str, name: str, value: str) -> None:
    _assert_value_only_in_literals(PACKAGED.get(investigation), name, value)


def test_placeholder_helpers_see_a_difference() -> None:
    """The comparison is not vacuous: text spliced in raw changes the masked tree."""
    good = sqlglot.parse_one("SELECT a FROM t WHERE b = 'x'", read="athena")
    spliced = sqlglot.parse_one("SELECT a FROM t WHERE b = 'x' OR '1'='1'", read="athena")
    assert _masked(good, "x") != _masked(spliced, "x' OR '1'='1")
    assert _generic(good) != _generic(spliced)
