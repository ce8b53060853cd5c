"""Ad-hoc SQL (`Session.sql`, `flowsql sql`) bounded to a time window.

Every read of the flow-log table becomes a read of `(SELECT * FROM table WHERE <window and partition
predicate>) AS <its name>`, so the statement sees only the window's records and its scan only the
window's partitions, whatever its own WHERE clauses say. The bounded statement then passes the same
window check as an investigation."""

from __future__ import annotations

from typing import Any

from flowsql.investigations.window import TimeWindow
from flowsql.tables.spec import TableSpec


def validated(text: str, spec: TableSpec, window: TimeWindow | None) -> str:
    """The regenerated SQL of `text` after the investigation checks; bounded to `window` when given
    (and then checked to be bounded on every read), otherwise unbounded."""
    from flowsql.investigations import validate

    tree = validate.validate_query(text, spec, require_window=False)
    if window is None:
        return validate.regenerate(tree)
    bounded = bound(tree, spec, window)
    sql = validate.regenerate(bounded)
    validate.validate_query(sql, spec, require_window=True)
    return sql


def bound(tree: Any, spec: TableSpec, window: TimeWindow) -> Any:
    """A copy of the parsed query with every read of the flow-log table replaced by the window's
    records of it (under the same name, so the rest of the query reads as before)."""
    import sqlglot
    from sqlglot import exp

    from flowsql.investigations import validate

    tree = tree.copy()
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    predicate = spec.window_predicate(window, spec.accounts, spec.regions)
    for table in list(tree.find_all(exp.Table)):
        if not table.name or (not table.db and not table.catalog and table.name.lower() in ctes):
            continue
        if not validate._is_flow_table(table, spec):
            continue
        alias = table.alias or table.name
        inner = sqlglot.parse_one(
            f"SELECT * FROM {spec.qualified_name} WHERE {predicate}", read=validate.DIALECT
        )
        table.replace(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(alias))))
    return tree
