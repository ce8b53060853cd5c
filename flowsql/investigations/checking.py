"""Checking the query library as `flowsql validate` does: each investigation loaded, rendered in
every parameter variant and validated against a table with every field and the default one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flowsql.errors import FlowsqlError, ParameterError, QueryDefinitionError, ValidationError
from flowsql.investigations.investigation import describe_fields
from flowsql.investigations.library import Library
from flowsql.tables.spec import TableSpec

VALIDATE_LOCATION = "s3://flowsql-validate/"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a query file; prints as FILE:LINE:COL: MESSAGE."""

    path: str
    line: int | None
    col: int | None
    message: str

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}" + (f":{self.col}" if self.col is not None else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Report:
    name: str
    problems: tuple[Problem, ...]
    note: str = ""


def validation_specs() -> tuple[TableSpec, TableSpec]:
    """A table with every known field (Hive layout, hourly: the richest partition predicate) and the
    default version 2 table (AWS layout, daily)."""
    from flowsql.tables import fields as flowfields

    everything = tuple(flowfields.BY_NAME[n] for n in flowfields.ALL_FIELDS)
    full = TableSpec(location=VALIDATE_LOCATION, fields=everything, layout="hive", hourly=True)
    return full, TableSpec(location=VALIDATE_LOCATION)


def check(library: Library, name: str, *, now: datetime | None = None) -> Report:
    """Load, render and validate one investigation the way `flowsql validate` does.

    Every parameter variant must validate on the full table; the fields the SQL reads must be
    exactly the declared `fields`; on the v2 table it must validate too when it is available."""
    from flowsql.investigations import validate

    entry = library.entry(name)
    try:
        inv = library.get(name)
    except QueryDefinitionError as exc:
        return Report(name, (Problem(str(entry.path), exc.line, None, _strip_where(exc, entry.path)),))
    full, v2 = validation_specs()
    problems: list[Problem] = []
    used: set[str] = set()
    for spec in (full, v2):
        if problems or (spec is v2 and inv.available(v2)):
            break
        for values, has_inventory in ((v, i) for i in inv.inventory_modes() for v in inv.variants()):
            try:
                rendered = inv.render(spec, values, now=now, cache=False, inventory=has_inventory)
            except ValidationError as exc:
                message = (
                    exc.message.split(": ", 1)[1] if exc.message.startswith(str(inv.path)) else exc.message
                )
                problems.append(Problem(str(inv.path), exc.line, exc.col, message))
                break
            except (QueryDefinitionError, ParameterError) as exc:
                problems.append(
                    Problem(str(inv.path), getattr(exc, "line", None), None, _strip_where(exc, inv.path))
                )
                break
            if spec is full:
                used |= validate.referenced_columns(rendered.tree, spec)
    if not problems:
        used -= set(full.partition_columns)
        undeclared = sorted(used - set(inv.fields))
        unused = sorted(set(inv.fields) - used)
        if undeclared:
            problems.append(
                Problem(
                    str(inv.path), None, None, f"the SQL reads {', '.join(undeclared)}, missing from fields:"
                )
            )
        if unused:
            problems.append(
                Problem(
                    str(inv.path), None, None, f"fields: lists {', '.join(unused)}, which the SQL never reads"
                )
            )
    missing = inv.available(v2)
    note = f"not available for the default v2 table: needs {describe_fields(missing)}" if missing else ""
    return Report(name, tuple(problems), note)


def _strip_where(exc: FlowsqlError, path: Path) -> str:
    """The message without the 'path:line: ' prefix QueryDefinitionError puts in front."""
    text = str(exc)
    prefix = str(path)
    if text.startswith(prefix):
        text = text[len(prefix) :]
        text = re.sub(r"^:\d+", "", text)
        text = text[2:] if text.startswith(": ") else text
    return text
