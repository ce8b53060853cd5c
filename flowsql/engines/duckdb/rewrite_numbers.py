"""Types and arithmetic: Trino's result types for sqlglot's annotator, integer aggregates kept
BIGINT, integer and decimal division, modulo, try(), and CAST/TRY_CAST with Trino's conversion rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flowsql.engines.duckdb.nodes import RewriteBase, _is, _kind, _name
from flowsql.engines.duckdb.rewrite_ip import _ip_value
from flowsql.errors import UnsupportedConstruct, ValidationError

if TYPE_CHECKING:
    from sqlglot import exp


@lru_cache(maxsize=1)
def _metadata() -> dict[Any, Any]:
    """Athena's result types where sqlglot's defaults differ from Trino's."""
    from sqlglot import exp
    from sqlglot.dialects.athena import Athena

    def same_as(arg: str) -> dict[str, Any]:
        return {"annotator": lambda self, e: self._annotate_by_args(e, arg)}

    def returns(kind: exp.DType) -> dict[str, Any]:
        return {"returns": kind}

    def sum_type(self: Any, e: exp.Expr) -> exp.Expr:
        arg = e.this.type
        if arg is not None and arg.is_type(*exp.DataType.INTEGER_TYPES):
            return self._set_type(e, exp.DType.BIGINT)
        if arg is not None and arg.is_type(*exp.DataType.FLOAT_TYPES):
            return self._set_type(e, exp.DType.DOUBLE)
        return self._annotate_by_args(e, "this")

    def anonymous(self: Any, e: exp.Expr) -> exp.Expr:
        name = e.name.lower()
        if name in ("format_datetime", "to_iso8601"):
            return self._set_type(e, exp.DType.VARCHAR)
        if name == "parse_datetime":
            return self._set_type(e, exp.DType.TIMESTAMPTZ)
        return self._set_type(e, exp.DType.UNKNOWN)

    def literal(self: Any, e: exp.Literal) -> exp.Expr:
        # Trino: 1.5 is DECIMAL(2,1), 1e0 is DOUBLE, 7 is INTEGER (BIGINT when it does not fit).
        if e.is_string:
            return self._annotate_literal(e)
        text = e.this.lstrip("+-")
        if "e" in text.lower():
            return self._set_type(e, exp.DType.DOUBLE)
        if "." in text:
            whole, _, fraction = text.partition(".")
            digits = len(whole.lstrip("0")) + len(fraction)
            return self._set_type(e, exp.DataType.build(f"DECIMAL({max(digits, 1)}, {len(fraction)})"))
        return self._set_type(e, exp.DType.INT if abs(int(text)) < 2**31 else exp.DType.BIGINT)

    metadata = dict(Athena.EXPRESSION_METADATA)
    metadata.update(
        {
            exp.Sum: {"annotator": sum_type},
            exp.Literal: {"annotator": literal},
            exp.ApproxQuantile: same_as("this"),
            exp.ArgMax: same_as("this"),
            exp.ArgMin: same_as("this"),
            exp.AnyValue: same_as("this"),
            exp.TimestampTrunc: same_as("this"),
            exp.DateTrunc: same_as("this"),
            exp.DateAdd: same_as("this"),
            exp.UnixToTime: returns(exp.DType.TIMESTAMPTZ),
            exp.CurrentTimestamp: returns(exp.DType.TIMESTAMPTZ),
            exp.ParseDatetime: returns(exp.DType.TIMESTAMPTZ),
            exp.StrToTime: returns(exp.DType.TIMESTAMP),
            exp.TimeToUnix: returns(exp.DType.DOUBLE),
            exp.Count: returns(exp.DType.BIGINT),
            exp.CountIf: returns(exp.DType.BIGINT),
            exp.ApproxDistinct: returns(exp.DType.BIGINT),
            exp.DateDiff: returns(exp.DType.BIGINT),
            exp.Split: {"annotator": lambda self, e: self._set_type(e, exp.DataType.build("ARRAY<VARCHAR>"))},
            exp.Anonymous: {"annotator": anonymous},
        }
    )
    return metadata


class NumberRewrites(RewriteBase):
    """Aggregates, division and try() as Trino computes them."""

    def sum(self, node: exp.Sum) -> exp.Expr | None:
        # Trino: SUM of integers is BIGINT (an error on overflow); DuckDB widens to HUGEINT.
        arg = node.this
        if isinstance(arg, self.exp.Distinct) and len(arg.expressions) == 1:
            arg = arg.expressions[0]
        if not _is(arg, *self.exp.DataType.INTEGER_TYPES):
            if arg.type is None or _is(arg, self.exp.DType.UNKNOWN):
                raise UnsupportedConstruct(
                    f"SUM over an expression of unknown type ({arg.sql('athena')})",
                    hint="give the table's schema so the type can be checked",
                )
            return None
        return self.wrap_bigint(node)

    def bigint_aggregate(self, node: exp.Expr) -> exp.Expr | None:
        return self.wrap_bigint(node)

    def wrap_bigint(self, node: exp.Expr) -> exp.Expr | None:
        exp = self.exp
        # Inside a window the cast goes around the whole window expression.
        target = node.parent if isinstance(node.parent, exp.Window) else node
        if target is not node:
            # The window itself is visited after this node: mark it for wrapping.
            target.meta["flowsql_bigint"] = True
            return None
        return exp.cast(node.copy(), exp.DType.BIGINT)

    def window(self, node: exp.Window) -> exp.Expr | None:
        if node.meta.get("flowsql_bigint"):
            return self.exp.cast(node.copy(), self.exp.DType.BIGINT)
        return None

    def approx_distinct(self, node: exp.ApproxDistinct) -> exp.Expr:
        # Exact distinct count: within any error bound Trino's estimate promises, and deterministic.
        exp = self.exp
        count = exp.Count(this=exp.Distinct(expressions=[node.this]))
        return count

    def approx_percentile(self, node: exp.ApproxQuantile) -> exp.Expr:
        # Exact nearest-rank quantile (a value of the input, of its type, like Trino's): the value at
        # position floor((n - 1) * p) of the sorted input.
        if node.args.get("weight") is not None or node.args.get("accuracy") is not None:
            raise UnsupportedConstruct("approx_percentile() with a weight or accuracy argument")
        return self.fn("quantile_disc", node.this, node.args["quantile"])

    def max_by(self, node: exp.Expr) -> exp.Expr:
        # Trino's max_by returns the value on the row of the largest key even when that value is NULL;
        # DuckDB's arg_max skips NULL values, arg_max_null does not.
        exp = self.exp
        if node.args.get("count") is not None:
            raise UnsupportedConstruct(f"{_name(node)}() with a count argument")
        name = "arg_max_null" if isinstance(node, exp.ArgMax) else "arg_min_null"
        return self.fn(name, node.this, node.expression)

    def div(self, node: exp.Div) -> exp.Expr | None:
        exp = self.exp
        left, right = node.this, node.expression
        ints = exp.DataType.INTEGER_TYPES
        floats = exp.DataType.FLOAT_TYPES
        if _is(left, *ints) and _is(right, *ints):
            # Trino divides integers as integers, truncating toward zero, as DuckDB's // does.
            return exp.IntDiv(this=left, expression=right)
        if _is(left, *floats) or _is(right, *floats):
            return None
        shapes = (_decimal_shape(left), _decimal_shape(right))
        if _is(left, exp.DType.DECIMAL) or _is(right, exp.DType.DECIMAL):
            if shapes[0] is None or shapes[1] is None:
                raise UnsupportedConstruct(
                    f"division of a DECIMAL by an operand of unknown precision ({node.sql('athena')})"
                )
            return self.decimal_div(left, right, shapes[0], shapes[1])
        raise UnsupportedConstruct(
            f"division of operands of unknown type ({node.sql('athena')}: {_kind(left)} / {_kind(right)})",
            hint="cast an operand to double or bigint so the kind of division is explicit",
        )

    def decimal_div(
        self, left: exp.Expr, right: exp.Expr, a: tuple[int, int], b: tuple[int, int]
    ) -> exp.Expr:
        """Trino's DECIMAL division: scale max(a, b), quotient rounded half up at that scale (DuckDB
        would divide in double precision). Done on unscaled HUGEINT values, then scaled back exactly."""
        exp = self.exp
        (p1, s1), (_, s2) = a, b
        scale = max(s1, s2)
        precision = min(38, p1 + s2 + max(s2 - s1, 0))
        hugeint = exp.DataType.build("HUGEINT", dialect="duckdb")

        def unscaled(value: exp.Expr, value_scale: int, extra: int) -> exp.Expr:
            scaled = exp.Mul(
                this=exp.paren(value, copy=False), expression=exp.Literal.number(10**value_scale)
            )
            cast = exp.cast(scaled if value_scale else value, hugeint)
            if extra:
                return exp.Mul(this=cast, expression=exp.cast(exp.Literal.number(10**extra), hugeint))
            return cast

        quotient = self.fn("flowsql_div_half_up", unscaled(left, s1, scale - s1 + s2), unscaled(right, s2, 0))
        whole = exp.cast(quotient, exp.DataType.build("DECIMAL(38, 0)"))
        if scale:
            step = exp.cast(
                exp.Literal.string(f"1e-{scale}"), exp.DataType.build(f"DECIMAL({scale + 1}, {scale})")
            )
            whole = exp.Mul(this=whole, expression=step)
        result = exp.cast(whole, exp.DataType.build(f"DECIMAL({precision}, {scale})"))
        result.type = exp.DataType.build(f"DECIMAL({precision}, {scale})")
        result.meta["flowsql_typed"] = True
        return result

    def mod(self, node: exp.Mod) -> exp.Expr | None:
        exp = self.exp
        known = (*exp.DataType.INTEGER_TYPES, *exp.DataType.FLOAT_TYPES)
        if _is(node.this, *known) and _is(node.expression, *known):
            return None
        raise UnsupportedConstruct(
            f"% on operands of type {_kind(node.this)} and {_kind(node.expression)}",
            hint="use integers or doubles",
        )

    def try_(self, node: exp.Try) -> exp.Expr | None:
        # DuckDB's TRY(expr) returns NULL on an error like Trino's try(); casts inside were already
        # turned into their try_ forms (see _Casts), so no volatile error() call is left in it.
        if node.find(self.exp.Anonymous) and any(
            a.name.startswith("flowsql_in_net") or a.name == "flowsql_contains_cidr"
            for a in node.find_all(self.exp.Anonymous)
        ):
            raise UnsupportedConstruct("contains(cidr, address) inside try()")
        return None

    def avg(self, node: exp.Avg) -> exp.Expr | None:
        exp = self.exp
        if _is(node.this, *exp.DataType.REAL_TYPES) and not _is(node.this, *exp.DataType.FLOAT_TYPES):
            # Trino's avg of a DECIMAL is a DECIMAL rounded to its scale; DuckDB's is a double.
            raise UnsupportedConstruct("avg() of a DECIMAL value", hint="write avg(CAST(x AS double))")
        return None


class _Casts:
    """CAST / TRY_CAST with Trino's rules: which texts convert, how doubles round, how times print."""

    def __init__(self, rewriter: RewriteBase) -> None:
        self.r = rewriter
        self.exp = rewriter.exp

    def rewrite(self, node: exp.Expr) -> exp.Expr | None:
        exp = self.exp
        target: exp.DataType = node.args["to"]
        value = node.this
        lenient = isinstance(node, exp.TryCast) or node.find_ancestor(exp.Try) is not None
        if target.is_type(exp.DType.IPADDRESS):
            # Rewritten by the comparison or contains() around it; anything else has no translation.
            parent = node.parent
            allowed = (
                exp.ArrayContains,
                exp.EQ,
                exp.NEQ,
                exp.GT,
                exp.GTE,
                exp.LT,
                exp.LTE,
                exp.Between,
                exp.In,
            )
            if not isinstance(parent, allowed) or (
                isinstance(parent, exp.ArrayContains) and parent.expression is not node
            ):
                raise UnsupportedConstruct(
                    "CAST(... AS IPADDRESS) outside contains(cidr, ...) or a comparison "
                    "(an IPADDRESS value itself has no DuckDB equivalent)"
                )
            if not _is(value, *exp.DataType.TEXT_TYPES) and not isinstance(value, exp.Null):
                raise UnsupportedConstruct(f"CAST of a {_kind(value)} AS IPADDRESS")
            if isinstance(value, exp.Literal) and value.is_string:
                _ip_value(value.this)  # a malformed literal is an error here, as in Athena
            node.meta["flowsql_ip_text"] = value
            node.meta["flowsql_ip_try"] = lenient
            return None
        if value.type is None or _is(value, exp.DType.UNKNOWN):
            if isinstance(value, exp.Null):
                return None
            raise UnsupportedConstruct(
                f"CAST of an expression of unknown type ({node.sql('athena')})",
                hint="give the table's schema so the type can be checked",
            )
        if _is(value, *exp.DataType.TEXT_TYPES):
            return self.from_text(node, value, target, lenient)
        if _is(value, *exp.DataType.FLOAT_TYPES) and target.is_type(*exp.DataType.INTEGER_TYPES):
            # Trino rounds half away from zero; DuckDB rounds half to even.
            rounded = exp.Round(this=value)
            return self.keep(node, rounded, target, lenient)
        if target.is_type(*exp.DataType.TEXT_TYPES):
            if _is(value, *exp.DataType.FLOAT_TYPES):
                raise UnsupportedConstruct(
                    "CAST of a double AS varchar (Trino prints scientific notation such as 1.5E0)"
                )
            if _is(value, exp.DType.TIMESTAMPTZ, exp.DType.TIMESTAMPLTZ):
                return self.r.fn("strftime", value, exp.Literal.string("%Y-%m-%d %H:%M:%S.%g UTC"))
            if _is(value, exp.DType.TIMESTAMP):
                return self.r.fn("strftime", value, exp.Literal.string("%Y-%m-%d %H:%M:%S.%g"))
        return None

    def text_rule(self, target: exp.DataType) -> tuple[str, Callable[[exp.Expr], exp.Expr]] | None:
        """The macro that tells which texts Trino converts to `target`, and how to hand them to DuckDB."""
        exp = self.exp
        same: Callable[[exp.Expr], exp.Expr] = lambda v: v  # noqa: E731
        if target.is_type(*exp.DataType.INTEGER_TYPES):
            return "flowsql_is_integer_text", same
        if target.is_type(*exp.DataType.FLOAT_TYPES):
            return "flowsql_is_double_text", lambda v: self.r.fn("flowsql_double_text", v)
        if target.is_type(exp.DType.DECIMAL, exp.DType.BIGDECIMAL):
            return "flowsql_is_decimal_text", same
        if target.is_type(exp.DType.BOOLEAN):
            return "flowsql_is_boolean_text", same
        if target.is_type(exp.DType.DATE):
            return "flowsql_is_date_text", lambda v: exp.Trim(this=v)
        if target.is_type(exp.DType.TIMESTAMP):
            return "flowsql_is_timestamp_text", lambda v: exp.Trim(this=v)
        return None

    def keep(self, node: exp.Expr, value: exp.Expr, target: exp.DataType, lenient: bool) -> exp.Expr:
        kind = self.exp.TryCast if lenient else self.exp.Cast
        return kind(this=value, to=_duck_type(target))

    def from_text(
        self, node: exp.Expr, value: exp.Expr, target: exp.DataType, lenient: bool
    ) -> exp.Expr | None:
        exp = self.exp
        if target.is_type(*exp.DataType.TEXT_TYPES):
            return None
        found = self.text_rule(target)
        if found is None:
            raise UnsupportedConstruct(f"CAST of a varchar AS {target.sql('trino')}")
        check, prepare = found
        if isinstance(value, exp.Literal) and value.is_string and check in _LITERAL_CHECKS:
            # A literal (DATE '2024-05-01' parses as a cast) is checked here, once.
            if _LITERAL_CHECKS[check].fullmatch(value.this):
                return self.keep(node, exp.Literal.string(value.this.strip()), target, lenient)
            if lenient:
                return exp.cast(exp.Null(), target)
            raise ValidationError(
                f"cannot cast {value.sql('athena')} to {target.sql('trino')} (as on Athena)"
            )
        # Same checked text twice: DuckDB evaluates CASE branches only for the rows that reach them.
        target = _duck_type(target)
        converted = exp.TryCast(this=prepare(value.copy()), to=target)
        if lenient:
            return exp.Case(ifs=[exp.If(this=self.r.fn(check, value.copy()), true=converted)])
        failure = self.r.fn(
            "flowsql_cast_error", value.copy(), exp.Literal.string(target.sql("trino").upper())
        )
        return exp.Case(
            ifs=[
                exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=exp.Null()),
                exp.If(this=self.r.fn(check, value.copy()), true=exp.Cast(this=prepare(value), to=target)),
            ],
            default=exp.cast(failure, target),
        )


# Python spellings of the text checks in macros.sql, for literals.


_LITERAL_CHECKS = {
    "flowsql_is_integer_text": re.compile(r"[+-]?[0-9]+"),
    "flowsql_is_date_text": re.compile(r"\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}\s*"),
    "flowsql_is_timestamp_text": re.compile(
        r"\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}( [0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\.[0-9]{1,12})?)?)?\s*"
    ),
}

_INTEGER_DIGITS = {"TINYINT": 3, "SMALLINT": 5, "INT": 10, "BIGINT": 19}


def _decimal_shape(node: exp.Expr) -> tuple[int, int] | None:
    """(precision, scale) of an integer or DECIMAL operand as Trino coerces it for decimal arithmetic."""
    from sqlglot import exp

    kind = node.type
    if kind is None:
        return None
    if kind.this.name in _INTEGER_DIGITS:
        return _INTEGER_DIGITS[kind.this.name], 0
    if kind.is_type(exp.DType.DECIMAL) and len(kind.expressions) == 2:
        precision, scale = (int(e.this.name) for e in kind.expressions)
        return precision, scale
    return None


def _duck_type(target: exp.DataType) -> exp.DataType:
    """Trino's timestamp(p) is DuckDB's TIMESTAMP (microseconds); TIMESTAMP(0) would drop fractions."""
    from sqlglot import exp

    if target.is_type(exp.DType.TIMESTAMP, exp.DType.TIMESTAMPTZ) and target.expressions:
        return exp.DataType(this=target.this)
    return target
