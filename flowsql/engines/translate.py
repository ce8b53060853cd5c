"""Athena (Trino) SQL -> DuckDB SQL with the same answers, or an UnsupportedConstruct naming what differs.

A plain sqlglot transpile gets a third of the constructs flow-log investigations use wrong (see
shared/reference/engines.md). The statement is parsed in Athena's dialect, qualified and typed against
the table's schema (division, SUM, casts and to_iso8601 depend on operand types), then every node is
checked against the list of functions whose DuckDB translation is known to match Trino; the ones that
need it are rewritten, bottom-up, each by a small function below. The SQL macros they call live in
macros.sql; the engine creates the ones a statement needs (macros_needed).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowsql.errors import UnsupportedConstruct, ValidationError

if TYPE_CHECKING:
    from sqlglot import exp

MACROS = (Path(__file__).with_name("macros.sql")).read_text(encoding="utf-8")
_MACRO_NAME = re.compile(r"\bflowsql_[a-z0-9_]+\b", re.IGNORECASE)

Schema = Mapping[str, Mapping[str, Mapping[str, str]]]


# --- a translation cache on disk ------------------------------------------------------------------


def cached_to_duckdb(sql: str, *, schema: Schema | None = None) -> str:
    """to_duckdb(), remembered on disk across runs (see flowsql.diskcache): loading sqlglot's DuckDB
    dialect and typing the tree costs more than many local queries."""
    from flowsql import diskcache

    sources = (__file__, str(Path(__file__).with_name("macros.sql")))
    return diskcache.remember("duckdb-sql", sources, [sql, schema], lambda: to_duckdb(sql, schema=schema))


@lru_cache(maxsize=1)
def _macro_statements() -> dict[str, tuple[str, frozenset[str]]]:
    """macro name -> (its CREATE statement, the other macros it calls)."""
    statements: dict[str, tuple[str, frozenset[str]]] = {}
    for chunk in MACROS.split(";\n"):
        body = "\n".join(line for line in chunk.splitlines() if not line.lstrip().startswith("--")).strip()
        if not body:
            continue
        name = _MACRO_NAME.search(body)
        assert name is not None, body
        calls = {n.lower() for n in _MACRO_NAME.findall(body)} - {name.group(0).lower()}
        statements[name.group(0).lower()] = (body, frozenset(calls))
    return statements


def macros_needed(statement: str) -> dict[str, str]:
    """The CREATE MACRO statements a translated statement relies on (dependencies first)."""
    known = _macro_statements()
    ordered: dict[str, str] = {}

    def add(name: str) -> None:
        if name in ordered or name not in known:
            return
        body, calls = known[name]
        for call in sorted(calls):
            add(call)
        ordered[name] = body

    for name in sorted({n.lower() for n in _MACRO_NAME.findall(statement)}):
        add(name)
    return ordered


def to_duckdb(sql: str, *, schema: Schema | None = None) -> str:
    """DuckDB SQL answering `sql` (one Athena query) exactly as Athena would.

    `schema` is {database: {table: {column: athena type}}}; without it, column types are unknown and
    constructs whose meaning depends on them (integer division, for one) are refused.
    """
    from sqlglot import exp, parse
    from sqlglot.errors import ErrorLevel, OptimizeError, ParseError, UnsupportedError

    try:
        statements = [s for s in parse(sql, read="athena") if s is not None]
    except ParseError as err:
        first = err.errors[0] if err.errors else {}
        raise ValidationError(
            f"cannot parse the query: {first.get('description') or err}",
            line=first.get("line"),
            col=first.get("col"),
        ) from None
    if len(statements) != 1:
        raise UnsupportedConstruct(f"expected one statement, got {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise UnsupportedConstruct(f"only queries run on the local engine, not {tree.key.upper()} statements")
    try:
        tree = _typed(tree, schema)
    except OptimizeError as err:
        raise ValidationError(f"the query does not match the table: {err}") from None
    _Rewriter().run(tree)
    try:
        # Any argument sqlglot's DuckDB generator would drop (strpos's instance, split's limit, ...)
        # is an error rather than a silently different query.
        return tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as err:
        raise UnsupportedConstruct(f"no faithful DuckDB translation: {err}") from None


def _typed(tree: exp.Expr, schema: Schema | None) -> exp.Expr:
    from sqlglot.optimizer.annotate_types import annotate_types
    from sqlglot.optimizer.qualify import qualify

    if schema:
        # An unqualified table name means the table in the schema's (only) database, as on Athena
        # with that database selected.
        databases = list(schema)
        tree = qualify(
            tree,
            schema=dict(schema),  # type: ignore[arg-type]
            db=databases[0] if len(databases) == 1 else None,
            dialect="athena",
            validate_qualify_columns=False,
            identify=True,
        )
    return annotate_types(tree, schema=dict(schema or {}), dialect="athena", expression_metadata=_metadata())


# --- types ------------------------------------------------------------------------------------


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


def _is(node: exp.Expr, *kinds: Any) -> bool:
    return node.type is not None and node.type.is_type(*kinds)


def _kind(node: exp.Expr) -> str:
    return node.type.sql("trino") if node.type is not None else "unknown"


# --- the rewriter -----------------------------------------------------------------------------


class _Rewriter:
    """Checks every node, rewrites the ones Trino and DuckDB disagree on, children before parents."""

    def __init__(self) -> None:
        from sqlglot import exp

        self.exp = exp
        x = exp
        # Functions whose plain sqlglot translation was checked against Trino (tests/test_translate.py)
        # and needs nothing more.
        self.as_is: frozenset[type] = frozenset(
            {
                x.And, x.Or, x.Exists, x.Array,
                x.Count, x.Avg, x.Min, x.Max, x.AnyValue, x.ArrayAgg, x.Stddev, x.StddevSamp,
                x.StddevPop, x.Variance, x.VariancePop, x.LogicalAnd, x.LogicalOr,
                x.Coalesce, x.Nullif, x.If, x.Case, x.Greatest, x.Least, x.Abs, x.Round, x.Floor,
                x.Ceil, x.Sqrt, x.Lower, x.Upper, x.Length, x.StrPosition, x.Concat, x.Reverse,
                x.StartsWith, x.RegexpLike, x.Replace, x.Trim, x.Split, x.ArrayToString,
                x.ArraySize, x.GenerateSeries, x.Unnest,
                x.UnixToTime, x.TimeToUnix, x.TimestampTrunc, x.DateTrunc, x.DateAdd,
                x.Hour, x.Minute, x.Second, x.Day, x.DayOfMonth, x.Month, x.Year, x.Quarter,
                x.DayOfWeekIso, x.DayOfYear, x.Date, x.CurrentTimestamp, x.CurrentDate,
                x.TimeToStr, x.StrToTime,
                x.RowNumber, x.Rank, x.DenseRank, x.Lag, x.Lead, x.FirstValue, x.LastValue,
                x.NthValue, x.PercentRank, x.CumeDist, x.Ntile,
            }
        )  # fmt: skip
        self.handlers: dict[type, Callable[[Any], exp.Expr | None]] = {
            x.Sum: self.sum,
            x.CountIf: self.bigint_aggregate,
            x.ApproxDistinct: self.approx_distinct,
            x.ApproxQuantile: self.approx_percentile,
            x.ArgMax: self.max_by,
            x.ArgMin: self.max_by,
            x.Div: self.div,
            x.Mod: self.mod,
            x.Cast: self.cast,
            x.TryCast: self.cast,
            x.Try: self.try_,
            x.ArrayContains: self.contains,
            x.DateDiff: self.date_diff,
            x.RegexpExtract: self.regexp_extract,
            x.RegexpReplace: self.regexp_replace,
            x.SplitPart: self.split_part,
            x.Substring: self.substring,
            x.ParseDatetime: self.parse_datetime,
            x.Anonymous: self.anonymous,
            x.EQ: self.comparison,
            x.NEQ: self.comparison,
            x.GT: self.comparison,
            x.GTE: self.comparison,
            x.LT: self.comparison,
            x.LTE: self.comparison,
            x.Between: self.between,
            x.In: self.in_,
            x.Bracket: self.bracket,
            x.TimestampTrunc: self.date_trunc,
            x.DateTrunc: self.date_trunc,
            x.UnixToTime: self.from_unixtime,
            x.DateAdd: self.date_add,
            x.Window: self.window,
            x.StrPosition: self.strpos,
            x.Extract: self.extract,
            x.AtTimeZone: self.at_time_zone,
            x.Split: self.split,
            x.Avg: self.avg,
            x.DPipe: self.concat,
            x.Concat: self.concat,
        }
        # Trino functions sqlglot does not model, passed through under the same name.
        self.anonymous_as_is = frozenset({"histogram"})

    def run(self, tree: exp.Expr) -> None:
        # Reversed pre-order: every node after all of its descendants, so a handler sees its operands
        # already rewritten (each replacement keeps the Athena type of what it replaced).
        for node in reversed(list(tree.walk())):
            handler = self.handlers.get(type(node))
            if handler is not None:
                new = handler(node)
                if new is not None and new is not node:
                    if not new.meta.get("flowsql_typed"):
                        new.type = node.type
                    node.replace(new)
                continue
            if isinstance(node, self.exp.Func) and type(node) not in self.as_is:
                raise UnsupportedConstruct(
                    f"{_name(node)}() has no faithful DuckDB translation in flowsql",
                    hint="rewrite the query with other functions, or run it on Athena",
                )

    # --- helpers ---

    def fn(self, name: str, *args: exp.Expr) -> exp.Expr:
        return self.exp.Anonymous(this=name, expressions=list(args))

    def cast(self, node: exp.Cast) -> exp.Expr | None:
        return _Casts(self).rewrite(node)

    # --- aggregates ---

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

    # --- arithmetic ---

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

    # --- IP addresses ---

    def contains(self, node: exp.ArrayContains) -> exp.Expr | None:
        exp = self.exp
        network, address = node.this, node.expression
        if not getattr(address, "meta", {}).get("flowsql_ip_text"):
            if _is(network, *exp.DataType.TEXT_TYPES):
                raise UnsupportedConstruct(
                    "contains(cidr, x) needs x to be CAST(x AS IPADDRESS) (Athena rejects a varchar)"
                )
            return None  # contains(array, element)
        text = address.meta["flowsql_ip_text"]
        if node.find_ancestor(exp.Try):
            raise UnsupportedConstruct("contains(cidr, address) inside try()")
        if isinstance(network, exp.Literal) and network.is_string:
            is_v4, high, shift = _parse_cidr(network.this)
            if is_v4:
                pattern = exp.Literal.string(_ipv4_network_regex(high, shift))
                return self.fn(
                    "flowsql_in_net4", text, pattern, exp.Literal.number(high), exp.Literal.number(shift)
                )
            if shift == 128:
                return exp.Not(this=self.fn("flowsql_is_ipv4_value", self.fn("flowsql_ip", text)))
            if shift >= 112 and high != 0:
                # decided by the first group: no 128-bit parse per row (see macros.sql)
                return self.fn(
                    "flowsql_in_net6_head", text, exp.Literal.number(high), exp.Literal.number(shift)
                )
            return self.fn("flowsql_in_net6", text, exp.Literal.string(str(high)), exp.Literal.number(shift))
        return self.fn("flowsql_contains_cidr", network, text)

    def comparison(self, node: exp.Binary) -> exp.Expr | None:
        operands = [node.this, node.expression]
        ip = [bool(o.meta.get("flowsql_ip_text")) for o in operands]
        if any(ip):
            if not all(ip):
                raise UnsupportedConstruct(
                    f"comparing an IPADDRESS with a {_kind(operands[ip.index(False)])}"
                )
            for operand in operands:
                operand.replace(self.ip_value(operand))
            return None
        self.check_comparable(node, *operands)
        return None

    def between(self, node: exp.Between) -> exp.Expr | None:
        operands = [node.this, node.args["low"], node.args["high"]]
        if any(o.meta.get("flowsql_ip_text") for o in operands):
            if not all(o.meta.get("flowsql_ip_text") for o in operands):
                raise UnsupportedConstruct("BETWEEN mixing IPADDRESS and other types")
            for operand in operands:
                operand.replace(self.ip_value(operand))
            return None
        self.check_comparable(node, *operands)
        return None

    def in_(self, node: exp.In) -> exp.Expr | None:
        operands = [node.this, *node.expressions]
        if any(o.meta.get("flowsql_ip_text") for o in operands):
            if not all(o.meta.get("flowsql_ip_text") for o in operands):
                raise UnsupportedConstruct("IN mixing IPADDRESS and other types")
            for operand in operands:
                operand.replace(self.ip_value(operand))
            return None
        self.check_comparable(node, *operands)
        return None

    def ip_value(self, operand: exp.Expr) -> exp.Expr:
        """The 128-bit value DuckDB compares for an operand that was CAST(x AS IPADDRESS)."""
        exp = self.exp
        text = operand.meta["flowsql_ip_text"]
        if isinstance(text, exp.Literal) and text.is_string:
            value = _ip_value(text.this)
            return exp.cast(exp.Literal.string(str(value)), exp.DataType.build("UHUGEINT", dialect="duckdb"))
        name = "flowsql_try_ip" if operand.meta.get("flowsql_ip_try") else "flowsql_ip"
        return self.fn(name, text)

    def check_comparable(self, node: exp.Expr, *operands: exp.Expr) -> None:
        """Trino refuses to compare varchar with a number (DuckDB would cast one side silently)."""
        exp = self.exp
        text = [o for o in operands if _is(o, *exp.DataType.TEXT_TYPES)]
        numbers = [o for o in operands if _is(o, *exp.DataType.NUMERIC_TYPES)]
        if text and numbers:
            raise UnsupportedConstruct(
                f"comparing varchar with a number ({node.sql('athena')}): Athena rejects it",
                hint="compare numbers with numbers and text with quoted strings, or CAST one side",
            )

    # --- dates and times ---

    def date_diff(self, node: exp.DateDiff) -> exp.Expr:
        # Trino counts whole units elapsed (00:59 -> 01:01 is 0 hours); DuckDB's date_diff counts
        # boundaries crossed, its date_sub counts whole units.
        exp = self.exp
        unit = node.args.get("unit")
        name = unit.name.lower() if unit is not None else "day"
        if name not in _DATE_UNITS:
            raise UnsupportedConstruct(f"date_diff unit {name!r}")
        return exp.cast(
            self.fn("date_sub", exp.Literal.string(name), node.expression, node.this), exp.DType.BIGINT
        )

    def date_trunc(self, node: exp.Expr) -> exp.Expr | None:
        exp = self.exp
        unit = node.args.get("unit")
        name = unit.name.lower() if unit is not None else ""
        if name not in _DATE_UNITS:
            raise UnsupportedConstruct(f"date_trunc unit {name!r}")
        if _is(node.this, exp.DType.DATE):
            # Trino keeps a DATE a DATE; DuckDB's date_trunc returns a TIMESTAMP.
            trunc = self.fn("date_trunc", exp.Literal.string(name), node.this)
            return exp.cast(trunc, exp.DType.DATE)
        return None

    def extract(self, node: exp.Extract) -> exp.Expr:
        # Every TIMESTAMP WITH TIME ZONE flowsql lets through is in UTC (zone-changing functions are
        # refused), the session zone, so DuckDB's date_part reads the same fields as Trino's extract.
        unit = node.this.name.lower()
        return self.fn("date_part", self.exp.Literal.string(unit), node.expression)

    def at_time_zone(self, node: exp.Expr) -> exp.Expr:
        raise UnsupportedConstruct("AT TIME ZONE (flowsql's local engine keeps every timestamp in UTC)")

    def date_add(self, node: exp.DateAdd) -> exp.Expr | None:
        exp = self.exp
        unit = node.args.get("unit")
        name = unit.name.lower() if unit is not None else "day"
        if name not in _DATE_UNITS:
            raise UnsupportedConstruct(f"date_add unit {name!r}")
        if _is(node.this, exp.DType.DATE):
            # DATE + INTERVAL is a TIMESTAMP in DuckDB; Trino's date_add keeps the DATE.
            plain = node.copy()
            plain.type = None
            return exp.cast(plain, exp.DType.DATE)
        return None

    def from_unixtime(self, node: exp.UnixToTime) -> exp.Expr | None:
        if any(node.args.get(k) is not None for k in ("zone", "hours", "minutes", "scale", "format")):
            raise UnsupportedConstruct("from_unixtime() with a time zone argument")
        return None

    def parse_datetime(self, node: exp.ParseDatetime) -> exp.Expr:
        exp = self.exp
        pattern = node.args.get("format") or node.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise UnsupportedConstruct("parse_datetime() with a pattern that is not a string literal")
        fmt = java_to_strftime(pattern.this, parsing=True)
        parsed = self.fn("strptime", node.this, exp.Literal.string(fmt))
        return exp.cast(parsed, exp.DType.TIMESTAMPTZ)

    def anonymous(self, node: exp.Anonymous) -> exp.Expr | None:
        exp = self.exp
        name = node.name.lower()
        args = node.expressions
        if name == "format_datetime":
            if len(args) != 2 or not (isinstance(args[1], exp.Literal) and args[1].is_string):
                raise UnsupportedConstruct("format_datetime() with a pattern that is not a string literal")
            return self.fn("strftime", args[0], exp.Literal.string(java_to_strftime(args[1].this)))
        if name == "to_iso8601":
            value = args[0]
            if _is(value, exp.DType.DATE):
                fmt = "%Y-%m-%d"
            elif _is(value, exp.DType.TIMESTAMPTZ, exp.DType.TIMESTAMPLTZ):
                fmt = "%Y-%m-%dT%H:%M:%S.%gZ"
            elif _is(value, exp.DType.TIMESTAMP):
                fmt = "%Y-%m-%dT%H:%M:%S.%g"
            else:
                raise UnsupportedConstruct(f"to_iso8601() of a {_kind(value)}")
            return self.fn("strftime", value, exp.Literal.string(fmt))
        if name in self.anonymous_as_is:
            return None
        raise UnsupportedConstruct(
            f"{name}() has no faithful DuckDB translation in flowsql",
            hint="rewrite the query with other functions, or run it on Athena",
        )

    # --- strings and collections ---

    def regexp_extract(self, node: exp.RegexpExtract) -> exp.Expr:
        # Trino returns NULL when the pattern does not match; DuckDB returns ''.
        exp = self.exp
        group = node.args.get("group") or exp.Literal.number(0)
        for extra in ("position", "occurrence", "parameters"):
            if node.args.get(extra) is not None:
                raise UnsupportedConstruct(f"regexp_extract() with a {extra} argument")
        return self.fn("flowsql_regexp_extract", node.this, node.expression, group)

    def regexp_replace(self, node: exp.RegexpReplace) -> exp.Expr:
        exp = self.exp
        replacement = node.args.get("replacement")
        if replacement is None:
            replacement = exp.Literal.string("")
        if not (isinstance(replacement, exp.Literal) and replacement.is_string):
            raise UnsupportedConstruct("regexp_replace() with a replacement that is not a string literal")
        for extra in ("position", "occurrence", "modifiers"):
            if node.args.get(extra) is not None:
                raise UnsupportedConstruct(f"regexp_replace() with a {extra} argument")
        return self.fn(
            "regexp_replace",
            node.this,
            node.expression,
            exp.Literal.string(_java_replacement(replacement.this)),
            exp.Literal.string("g"),
        )

    def strpos(self, node: exp.StrPosition) -> exp.Expr | None:
        if node.args.get("occurrence") is not None or node.args.get("position") is not None:
            raise UnsupportedConstruct("strpos() with an instance argument")
        return None

    def split(self, node: exp.Split) -> exp.Expr | None:
        if node.args.get("limit") is not None:
            raise UnsupportedConstruct("split() with a limit argument")
        return None

    def avg(self, node: exp.Avg) -> exp.Expr | None:
        exp = self.exp
        if _is(node.this, *exp.DataType.REAL_TYPES) and not _is(node.this, *exp.DataType.FLOAT_TYPES):
            # Trino's avg of a DECIMAL is a DECIMAL rounded to its scale; DuckDB's is a double.
            raise UnsupportedConstruct("avg() of a DECIMAL value", hint="write avg(CAST(x AS double))")
        return None

    def concat(self, node: exp.Expr) -> exp.Expr | None:
        # Trino concatenates varchar (or arrays) only; DuckDB would turn numbers into text silently.
        exp = self.exp
        operands = node.expressions if isinstance(node, exp.Concat) else [node.this, node.expression]
        for operand in operands:
            if _is(operand, *exp.DataType.NUMERIC_TYPES, *exp.DataType.TEMPORAL_TYPES, exp.DType.BOOLEAN):
                raise UnsupportedConstruct(
                    f"concatenating a {_kind(operand)} ({operand.sql('athena')}): "
                    "Athena concatenates varchar only",
                    hint="CAST(x AS varchar) first",
                )
        return None

    def split_part(self, node: exp.SplitPart) -> exp.Expr:
        return self.fn("flowsql_split_part", node.this, node.args["delimiter"], node.args["part_index"])

    def substring(self, node: exp.Substring) -> exp.Expr | None:
        exp = self.exp
        start = node.args.get("start")
        if isinstance(start, exp.Literal) and start.is_int and int(start.this) >= 1:
            length = node.args.get("length")
            if length is None or (isinstance(length, exp.Literal) and length.is_int):
                return None
        raise UnsupportedConstruct(
            "substr() with a start or length that is not a positive integer literal "
            "(Trino and DuckDB differ for 0 and for negative positions past the start)"
        )

    def bracket(self, node: exp.Bracket) -> exp.Expr | None:
        exp = self.exp
        if len(node.expressions) != 1:
            raise UnsupportedConstruct("subscript with several indexes")
        container = node.this
        index = node.expressions[0]
        if _is(container, exp.DType.MAP) or _is(container, exp.DType.ARRAY):
            if _is(container, exp.DType.ARRAY) and not node.args.get("safe"):
                # arr[i] past the end is an error in Trino, NULL in DuckDB.
                raise UnsupportedConstruct("array subscript x[i] (use element_at(x, i))")
            if _is(container, exp.DType.ARRAY) and isinstance(index, exp.Literal) and index.this in ("0",):
                raise UnsupportedConstruct("element_at(array, 0)")
            return None
        raise UnsupportedConstruct(f"subscript or element_at() on a {_kind(container)}")


class _Casts:
    """CAST / TRY_CAST with Trino's rules: which texts convert, how doubles round, how times print."""

    def __init__(self, rewriter: _Rewriter) -> None:
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

_DATE_UNITS = frozenset(
    {"millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year"}
)


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


def _name(node: exp.Expr) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    text = node.sql("athena")
    return text.split("(", 1)[0].strip().lower() or type(node).__name__.lower()


# --- IP literals ------------------------------------------------------------------------------


def _ip_value(text: str) -> int:
    """The 128-bit IPADDRESS value of an address literal; IPv4 as ::ffff:a.b.c.d (like Trino)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not an IP address (CAST AS IPADDRESS fails on Athena)") from None
    if address.version == 4:
        return int(address) + 0xFFFF00000000
    return int(address)


_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"


def _ipv4_network_regex(high: int, shift: int) -> str:
    """A regular expression matching exactly the dotted quads (no leading zeros) in the network."""
    network = high << shift
    octets = [(network >> (24 - 8 * i)) & 255 for i in range(4)]
    prefix = 32 - shift
    parts = []
    for i, octet in enumerate(octets):
        bits = min(max(prefix - 8 * i, 0), 8)  # network bits inside this octet
        if bits == 8:
            parts.append(str(octet))
        elif bits == 0:
            parts.append(_OCTET)
        else:
            values = range(octet, octet + (1 << (8 - bits)))
            parts.append("(" + "|".join(str(v) for v in values) + ")")
    return r"\.".join(parts)


def _parse_cidr(cidr: str) -> tuple[bool, int, int]:
    """(is IPv4, network >> shift, shift) for a CIDR literal, with Trino's contains() checks."""
    base, slash, prefix_text = cidr.partition("/")
    if not slash:
        raise ValidationError(f"contains(): {cidr!r} is not a CIDR (Invalid CIDR on Athena)")
    try:
        address = ipaddress.ip_address(base)
    except ValueError:
        raise ValidationError(f"contains(): {cidr!r} has an invalid network address") from None
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # Java treats ::ffff:a.b.c.d as a 4-byte address
    try:
        prefix = int(prefix_text)
    except ValueError:
        raise ValidationError(f"contains(): {cidr!r} has an invalid prefix length") from None
    bits = 32 if address.version == 4 else 128
    if prefix < 0 or prefix > bits:
        raise ValidationError(f"contains(): prefix length in {cidr!r} is outside 0..{bits}")
    value = int(address)
    shift = bits - prefix
    if address.version == 4 and value & ((1 << shift) - 1):
        raise ValidationError(f"contains(): {cidr!r} has host bits set (Invalid CIDR on Athena)")
    return address.version == 4, value >> shift, shift


# --- Java (Joda) date-time patterns -------------------------------------------------------------

# Joda letter runs with an exact strftime equivalent for UTC values. Zone letters print UTC's own
# spelling because every flowsql session runs in UTC.
_FORMAT_RUNS: dict[str, str] = {
    "yyyy": "%Y", "yyy": "%Y", "y": "%Y", "yy": "%y", "YYYY": "%Y", "Y": "%Y", "YY": "%y",
    "xxxx": "%G",
    "M": "%-m", "MM": "%m", "MMM": "%b", "MMMM": "%B",
    "d": "%-d", "dd": "%d", "D": "%-j", "DDD": "%j",
    "H": "%-H", "HH": "%H", "h": "%-I", "hh": "%I",
    "m": "%-M", "mm": "%M", "s": "%-S", "ss": "%S",
    "SSS": "%g", "SSSSSS": "%f",
    "a": "%p", "E": "%a", "EE": "%a", "EEE": "%a", "EEEE": "%A",
    "e": "%u", "w": "%-V", "ww": "%V",
    "Z": "+0000", "ZZ": "+00:00", "ZZZ": "UTC", "z": "UTC", "zz": "UTC", "zzz": "UTC",
    "G": "AD",
}  # fmt: skip
_PARSE_RUNS: dict[str, str] = {
    "yyyy": "%Y", "yy": "%y", "M": "%m", "MM": "%m", "MMM": "%b", "MMMM": "%B",
    "d": "%d", "dd": "%d", "H": "%H", "HH": "%H", "h": "%I", "hh": "%I",
    "m": "%M", "mm": "%M", "s": "%S", "ss": "%S", "SSS": "%g", "SSSSSS": "%f", "a": "%p",
    "E": "%a", "EEE": "%a", "EEEE": "%A",
}  # fmt: skip
# Zone letters are not parsed: a parsed zone would make a timestamp whose fields differ from UTC's.


def java_to_strftime(pattern: str, *, parsing: bool = False) -> str:
    """A Joda/Java DateTimeFormat pattern as a DuckDB strftime/strptime format, or UnsupportedConstruct."""
    runs = _PARSE_RUNS if parsing else _FORMAT_RUNS
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            if pattern.startswith("''", i):
                out.append("'")
                i += 2
                continue
            # quoted text, in which '' stands for one quote
            i += 1
            while True:
                if i >= len(pattern):
                    raise UnsupportedConstruct(f"date-time pattern {pattern!r} has an unterminated quote")
                if pattern.startswith("''", i):
                    out.append("'")
                    i += 2
                elif pattern[i] == "'":
                    i += 1
                    break
                else:
                    out.append("%%" if pattern[i] == "%" else pattern[i])
                    i += 1
            continue
        if ch.isascii() and ch.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == ch:
                j += 1
            run = pattern[i:j]
            if run not in runs:
                raise UnsupportedConstruct(
                    f"date-time pattern letter(s) {run!r} in {pattern!r} have no DuckDB equivalent"
                )
            out.append(runs[run])
            i = j
            continue
        out.append("%%" if ch == "%" else ch)
        i += 1
    return "".join(out)


def _java_replacement(text: str) -> str:
    """A Java regex replacement ($1, \\$) in RE2's spelling (\\1, $)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\\\\" if nxt == "\\" else nxt)
            i += 2
            continue
        if ch == "$":
            j = i + 1
            while j < len(text) and text[j].isdigit():
                j += 1
            if j == i + 1:
                raise UnsupportedConstruct(f"regexp_replace() replacement {text!r} uses a named group")
            group = int(text[i + 1 : j])
            if group > 9:
                raise UnsupportedConstruct(f"regexp_replace() replacement refers to group {group} (> 9)")
            out.append("\\" + str(group))
            i = j
            continue
        out.append("\\\\" if ch == "\\" else ch)
        i += 1
    return "".join(out)
