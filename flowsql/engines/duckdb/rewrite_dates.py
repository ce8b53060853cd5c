"""Dates and times: date_diff, date_trunc, date_add, extract, from_unixtime, AT TIME ZONE, and Java
date patterns (format_datetime, parse_datetime) as strftime patterns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowsql.engines.duckdb.nodes import RewriteBase, _is
from flowsql.errors import UnsupportedConstruct

if TYPE_CHECKING:
    from sqlglot import exp


class DateRewrites(RewriteBase):
    """Date arithmetic and Java patterns with Trino's meaning."""

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


_DATE_UNITS = frozenset(
    {"millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year"}
)


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
