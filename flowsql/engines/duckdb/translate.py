"""Athena (Trino) SQL -> DuckDB SQL with the same answers, or an UnsupportedConstruct naming what differs.

A plain sqlglot transpile gets a third of the constructs flow-log investigations use wrong (see
shared/reference/engines.md). The statement is parsed in Athena's dialect, qualified and typed against
the table's schema (division, SUM, casts and to_iso8601 depend on operand types), then every node is
checked against the list of functions whose DuckDB translation is known to match Trino; the ones that
need it are rewritten, bottom-up, by the rewrites of its topic (rewrite_numbers, rewrite_dates,
rewrite_ip, rewrite_text; walked by rewriter). The SQL macros they call live in macros.sql; the engine
creates the ones a statement needs (macros_needed).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from flowsql.engines.duckdb.macros import MACROS, macros_needed
from flowsql.errors import UnsupportedConstruct, ValidationError

if TYPE_CHECKING:
    from sqlglot import exp

__all__ = ["MACROS", "cached_to_duckdb", "macros_needed", "to_duckdb"]

Schema = Mapping[str, Mapping[str, Mapping[str, str]]]


# --- a translation cache on disk ------------------------------------------------------------------


def cached_to_duckdb(sql: str, *, schema: Schema | None = None) -> str:
    """to_duckdb(), remembered on disk across runs (see flowsql.diskcache): loading sqlglot's DuckDB
    dialect and typing the tree costs more than many local queries."""
    from flowsql import diskcache

    # Every module of the translation, and its macros, are part of the key.
    here = Path(__file__).parent
    sources = (*sorted(str(p) for p in here.glob("*.py")), str(here / "macros.sql"))
    return diskcache.remember("duckdb-sql", sources, [sql, schema], lambda: to_duckdb(sql, schema=schema))


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
    # The rewrites load with sqlglot: a statement found in the cache needs neither.
    from flowsql.engines.duckdb.rewriter import _Rewriter

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

    from flowsql.engines.duckdb.rewrite_numbers import _metadata

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
