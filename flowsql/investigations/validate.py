"""sqlglot checks for every statement flowsql runs against a flow-log table.

A query passes when it parses (athena dialect) into exactly one read-only SELECT/WITH, reads only the
table and its own CTEs, every column resolves against the table's columns, every computed output
column has an alias and, unless asked otherwise, each read of the table is bounded by the time window
on `start` and by the partition predicate on date_partition.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

from flowsql.errors import ValidationError
from flowsql.tables.spec import DATE, TableSpec

DIALECT = "athena"

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_WHERE = re.compile(r"\. Line: (\d+), Col: (\d+)\.?$")
_NAMED = re.compile(r"^Column '([^']+)'")
_CATALOGS = {"awsdatacatalog"}

# Anything that writes, defines or runs something else; none belongs in an investigation.
_FORBIDDEN = tuple(
    getattr(exp, name)
    for name in (
        "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Command", "Use", "Set",
        "Grant", "Revoke", "TruncateTable", "Copy", "Describe", "Show", "Pragma", "Transaction",
        "Commit", "Rollback", "Into", "LoadData", "Analyze", "Cache", "Uncache", "Refresh", "Kill",
    )
    if hasattr(exp, name)
)  # fmt: skip


class _Source:
    """Turns sqlglot's token offsets into the 1-based line and column where a token starts."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.starts = [0]
        for index, char in enumerate(sql):
            if char == "\n":
                self.starts.append(index + 1)

    def at(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def position(self, node: exp.Expression) -> tuple[int | None, int | None]:
        """Line and column of the first token under `node` that sqlglot recorded."""
        for sub in node.walk():
            meta = getattr(sub, "_meta", None)
            if meta and "start" in meta:
                return self.at(meta["start"])
            if meta and "line" in meta:
                return meta["line"], meta["col"]
        return None, None

    def name_start(self, line: int, col: int, name: str) -> int:
        """sqlglot reports where a name ends; find where it starts on that line."""
        if not 1 <= line <= len(self.starts):
            return col
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.sql)
        text = self.sql[self.starts[line - 1] : end]
        found = text.lower().rfind(name.lower(), 0, col)
        return found + 1 if found >= 0 else col


def _at(line: int | None, col: int | None) -> str:
    return f" at line {line}, col {col}" if line is not None else ""


def parse_statement(sql: str, source: _Source | None = None) -> exp.Query:
    """The one read-only query in `sql`, or a ValidationError saying what else is there."""
    try:
        trees = [t for t in sqlglot.parse(sql, read=DIALECT) if t is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        line, col = first.get("line"), first.get("col")
        message = _ANSI.sub("", str(first.get("description") or exc))
        raise ValidationError(f"SQL does not parse: {message}{_at(line, col)}", line=line, col=col) from None
    except sqlglot.errors.TokenError as exc:
        raise ValidationError(f"SQL does not parse: {_ANSI.sub('', str(exc))}") from None
    if not trees:
        raise ValidationError("no SQL statement found")
    source = source or _Source(sql)
    if len(trees) > 1:
        line, col = source.position(trees[1])
        raise ValidationError(
            f"expected one statement, found {len(trees)}{_at(line, col)}",
            line=line,
            col=col,
            hint="an investigation is a single SELECT (WITH … SELECT); remove the second statement",
        )
    tree = trees[0]
    bad = tree if isinstance(tree, _FORBIDDEN) else tree.find(*_FORBIDDEN)
    if bad is not None or not isinstance(tree, exp.Query):
        node = bad or tree
        line, col = source.position(node)
        kind = "an unrecognised command" if isinstance(node, exp.Command) else type(node).__name__.upper()
        raise ValidationError(
            f"only a read-only SELECT or WITH query is allowed, found {kind}{_at(line, col)}",
            line=line,
            col=col,
        )
    return tree


def _cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def _is_flow_table(table: exp.Table, spec: TableSpec) -> bool:
    return (
        table.name.lower() == spec.table
        and table.db.lower() in ("", spec.database)
        and (not table.catalog or table.catalog.lower() in _CATALOGS)
    )


def _is_inventory_table(table: exp.Table, spec: TableSpec) -> bool:
    from flowsql.inventory.tables import schema

    return (
        table.name.lower() in schema()
        and table.db.lower() == spec.database
        and (not table.catalog or table.catalog.lower() in _CATALOGS)
    )


def check_tables(tree: exp.Expression, spec: TableSpec, source: _Source) -> None:
    """Only the flow-log table, the inventory tables and the query's own CTEs may be read."""
    ctes = _cte_names(tree)
    for table in tree.find_all(exp.Table):
        if not table.name:
            continue
        if not table.db and not table.catalog and table.name.lower() in ctes:
            continue
        if _is_flow_table(table, spec) or _is_inventory_table(table, spec):
            continue
        line, col = source.position(table)
        raise ValidationError(
            f"the query reads {table.sql(dialect=DIALECT)}{_at(line, col)}, but only "
            f"{spec.qualified_name} (and the query's own WITH names) may be read",
            line=line,
            col=col,
        )


def _outputs(query: exp.Expression) -> list[exp.Expression]:
    while isinstance(query, exp.SetOperation):
        query = query.left
    if isinstance(query, exp.Subquery):
        return _outputs(query.this)
    return list(query.expressions) if isinstance(query, exp.Select) else []


def check_aliases(tree: exp.Query, source: _Source) -> None:
    """Every computed output column (of the query and of each CTE) must be named with AS."""
    bodies = [tree, *(cte.this for cte in tree.find_all(exp.CTE))]
    for body in bodies:
        for item in _outputs(body):
            if isinstance(item, exp.Alias | exp.Column | exp.Star):
                continue
            line, col = source.position(item)
            raise ValidationError(
                f"output column `{item.sql(dialect=DIALECT)}` has no alias{_at(line, col)}",
                line=line,
                col=col,
                hint="name every computed column: … AS total_bytes",
            )


def output_columns(tree: exp.Expression) -> list[str]:
    """The names of the query's result columns (a star yields '*')."""
    names = []
    for item in _outputs(tree):
        names.append("*" if isinstance(item, exp.Star) else item.alias_or_name)
    return names


def _qualified(tree: exp.Query, spec: TableSpec, source: _Source | None = None) -> exp.Expression:
    from flowsql.inventory.tables import full_schema

    schema = full_schema(spec)
    try:
        return qualify(
            tree.copy(),
            schema=schema,
            db=spec.database,
            dialect=DIALECT,
            validate_qualify_columns=True,
            quote_identifiers=False,
            identify=False,
        )
    except OptimizeError as exc:
        text = _ANSI.sub("", str(exc))
        match = _WHERE.search(text)
        line, col = (int(match.group(1)), int(match.group(2))) if match else (None, None)
        message = _WHERE.sub("", text) if match else text
        name = _NAMED.search(message)
        if source is not None and line is not None and col is not None and name:
            col = source.name_start(line, col, name.group(1))
        raise ValidationError(f"{message}{_at(line, col)}", line=line, col=col) from None


def _conjuncts(condition: exp.Expression | None) -> Iterator[exp.Expression]:
    if condition is None:
        return
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if isinstance(condition, exp.And):
        yield from _conjuncts(condition.left)
        yield from _conjuncts(condition.right)
    else:
        yield condition


def _bounds(conjuncts: list[exp.Expression], table: str, column: str) -> tuple[bool, bool]:
    """Whether the conjuncts put a lower and an upper bound on table.column."""

    def is_col(node: exp.Expression) -> bool:
        return isinstance(node, exp.Column) and node.name == column and node.table in ("", table)

    low = high = False
    for term in conjuncts:
        if (isinstance(term, exp.Between | exp.In) and is_col(term.this)) or (
            isinstance(term, exp.EQ) and (is_col(term.left) or is_col(term.right))
        ):
            low = high = True
        elif isinstance(term, exp.GT | exp.GTE | exp.LT | exp.LTE):
            left, right = is_col(term.left), is_col(term.right)
            if left == right:
                continue
            lower = isinstance(term, exp.GT | exp.GTE) == left
            low, high = low or lower, high or not lower
    return low, high


def check_window(qualified: exp.Expression, spec: TableSpec, source: _Source) -> None:
    """Each read of the flow-log table is bounded on `start` and on date_partition."""
    for scope in traverse_scope(qualified):
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        for alias, table in scope.sources.items():
            if not isinstance(table, exp.Table) or not _is_flow_table(table, spec):
                continue
            terms = list(_conjuncts(select.args.get("where") and select.args["where"].this))
            for join in select.args.get("joins") or []:
                terms.extend(_conjuncts(join.args.get("on")))
            for column, what in ((DATE, "partition predicate"), ("start", "time window")):
                low, high = _bounds(terms, alias, column)
                if not (low and high):
                    line, col = source.position(table)
                    raise ValidationError(
                        f"the read of {spec.qualified_name}{_at(line, col)} has no {what}: "
                        f"{column} is not bounded on both sides in its WHERE clause",
                        line=line,
                        col=col,
                        hint="add {{ in_window() }} to the WHERE clause of every SELECT that reads the "
                        "table (AND-ed, not inside OR)",
                    )


def referenced_columns(tree: exp.Query, spec: TableSpec) -> set[str]:
    """Columns of the flow-log table the query reads (after resolving aliases and CTEs)."""
    qualified = _qualified(tree, spec)
    used: set[str] = set()
    for scope in traverse_scope(qualified):
        tables = {
            alias
            for alias, source in scope.sources.items()
            if isinstance(source, exp.Table) and _is_flow_table(source, spec)
        }
        for column in scope.columns:
            if column.table in tables:
                used.add(column.name)
        projections = scope.expression.expressions if isinstance(scope.expression, exp.Select) else []
        if tables and any(p.is_star for p in projections):
            used.update(spec.schema())
    return used


def validate_query(sql: str, spec: TableSpec, *, require_window: bool = True) -> exp.Query:
    """The parsed query, after every check; raises ValidationError (with .line/.col) on the first
    problem. Positions refer to `sql` as given."""
    source = _Source(sql)
    tree = parse_statement(sql, source)
    check_tables(tree, spec, source)
    check_aliases(tree, source)
    qualified = _qualified(tree, spec, source)
    if require_window:
        check_window(qualified, spec, source)
    return tree


def regenerate(tree: exp.Expression) -> str:
    """Pretty Athena SQL from the tree, without comments: what `render` prints and engines run."""
    if any(node.comments for node in tree.walk()):
        tree = tree.copy()
        for node in tree.walk():
            node.comments = None
    return tree.sql(dialect=DIALECT, pretty=True)
