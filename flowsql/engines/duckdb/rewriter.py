"""The rewriter: walks a typed tree bottom-up, lets each topic's rewrites replace the nodes Trino and
DuckDB disagree on, and refuses any function not known to translate faithfully."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flowsql.engines.duckdb.nodes import _name
from flowsql.engines.duckdb.rewrite_dates import DateRewrites
from flowsql.engines.duckdb.rewrite_ip import IpRewrites
from flowsql.engines.duckdb.rewrite_numbers import NumberRewrites, _Casts
from flowsql.engines.duckdb.rewrite_text import TextRewrites
from flowsql.errors import UnsupportedConstruct

if TYPE_CHECKING:
    from sqlglot import exp


class _Rewriter(NumberRewrites, IpRewrites, DateRewrites, TextRewrites):
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

    def cast(self, node: exp.Cast) -> exp.Expr | None:
        return _Casts(self).rewrite(node)
