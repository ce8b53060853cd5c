"""The query library: the packaged investigations and the user's folders, looked up by name, rendered
for a table, and checked as a whole (`flowsql validate`). One file is loaded by `loading`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flowsql.errors import (
    ConfigError,
    FlowsqlError,
    ParameterError,
    QueryDefinitionError,
    QueryNotFound,
    ValidationError,
)
from flowsql.investigations.investigation import (
    Investigation,
    Rendered,
    describe_fields,
)
from flowsql.investigations.loading import (
    load_file,
)
from flowsql.tables.spec import TableSpec


@dataclass(frozen=True)
class _Entry:
    path: Path
    source: str  # "packaged" or "user"
    overrides: bool


class Library:
    """Investigations by name; files are parsed when first asked for."""

    def __init__(self, entries: Mapping[str, _Entry]) -> None:
        self._entries = dict(sorted(entries.items()))
        self._loaded: dict[str, Investigation] = {}

    def names(self) -> list[str]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[Investigation]:
        return (self.get(name) for name in self._entries)

    def entry(self, name: str) -> _Entry:
        """Where an investigation comes from, without parsing its file."""
        return self._entry(name)

    def get(self, name: str) -> Investigation:
        if name not in self._loaded:
            entry = self._entry(name)
            self._loaded[name] = load_file(entry.path, source=entry.source, overrides=entry.overrides)
        return self._loaded[name]

    def load_all(self) -> tuple[list[Investigation], list[QueryDefinitionError]]:
        """Every investigation that loads, and the errors of those that do not."""
        good, bad = [], []
        for name in self._entries:
            try:
                good.append(self.get(name))
            except QueryDefinitionError as exc:
                bad.append(exc)
        return good, bad

    def _entry(self, name: str) -> _Entry:
        entry = self._entries.get(name)
        if entry is None:
            import difflib

            close = difflib.get_close_matches(name, list(self._entries), n=3, cutoff=0.5)
            raise QueryNotFound(
                f"no investigation named {name!r}",
                hint=("did you mean " + " or ".join(close) + "?")
                if close
                else "`flowsql list` shows them all",
            )
        return entry


def _query_files(location: Path) -> list[Path]:
    if location.is_file():
        return [location]
    if not location.is_dir():
        raise ConfigError(f"query folder {location} does not exist")
    return sorted(p for p in location.glob("*.sql") if not p.name.startswith(("_", ".")) and p.is_file())


def load(extra_dirs: Sequence[str | Path] = ()) -> Library:
    """The packaged investigations, overlaid by user folders (earlier folders win among them)."""
    from flowsql.investigations.packaged import resource_dir

    entries: dict[str, _Entry] = {
        p.stem: _Entry(p, "packaged", False) for p in _query_files(resource_dir("queries"))
    }
    seen: set[str] = set()
    for location in extra_dirs:
        for path in _query_files(Path(location)):
            if path.stem in seen:
                continue
            seen.add(path.stem)
            packaged = entries.get(path.stem)
            overrides = packaged is not None and packaged.source == "packaged"
            entries[path.stem] = _Entry(path, "user", overrides)
    return Library(entries)


def render(
    name: str,
    spec: TableSpec,
    params: Mapping[str, Any] | None = None,
    *,
    extra_dirs: Sequence[str | Path] = (),
    max_window_days: float = 31,
    now: datetime | None = None,
) -> Rendered:
    """Shortcut: load the library and render one investigation."""
    return load(extra_dirs).get(name).render(spec, params, max_window_days=max_window_days, now=now)


# --- checking the library (flowsql validate) ------------------------------------------------

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
