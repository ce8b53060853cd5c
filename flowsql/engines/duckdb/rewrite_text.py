"""Strings and collections: regexp_extract/replace, strpos, split, concat, substring, subscripts,
and the Trino functions sqlglot does not model (format_datetime, to_iso8601)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowsql.engines.duckdb.nodes import RewriteBase, _is, _kind
from flowsql.engines.duckdb.rewrite_dates import _java_replacement, java_to_strftime
from flowsql.errors import UnsupportedConstruct

if TYPE_CHECKING:
    from sqlglot import exp


class TextRewrites(RewriteBase):
    """String functions whose DuckDB spelling or edge cases differ from Trino's."""

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
