"""The query library: investigations loaded from `.sql` files, rendered and validated for a table.

A query file is a metadata header followed by a Jinja template of Athena SQL:

    -- name: rejected_ssh_sources
    -- title: Top sources of rejected SSH
    -- description: |
    --   What it finds, and how to read the result.
    -- category: security
    -- fields: [srcaddr, dstaddr, dstport, action, bytes, start, log_status]
    -- params:
    --   port: {type: port, default: 22, help: destination port}
    -- columns: [srcaddr, attempts, bytes, targets]
    SELECT …

The header is the run of lines at the very top that start with `--`; it ends at the first line that
does not (a blank line or the SQL). Each line loses its `--` and one following space, and the rest is
YAML. Comments further down belong to the SQL (prefer Jinja's `{# … #}` there). Files whose names
start with `_` are not investigations.

Rendering keeps the template's line numbers (the header becomes blank lines and block tags leave their
line in place), so a validation error's line and column point into the file.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from flowsql.errors import (
    ConfigError,
    FlowsqlError,
    NotAvailable,
    ParameterError,
    QueryDefinitionError,
    QueryNotFound,
    ValidationError,
)
from flowsql.investigations import params as paramsmod
from flowsql.investigations.params import Param
from flowsql.investigations.window import TimeWindow
from flowsql.tables.fields import Field, column_name
from flowsql.tables.spec import TableSpec

CATEGORIES = ("security", "troubleshooting", "cost/usage", "health")
HEADER_KEYS = ("name", "title", "description", "category", "fields", "params", "columns")
_REQUIRED_KEYS = ("name", "title", "description", "category", "fields", "columns")
_STEM = re.compile(r"^[a-z][a-z0-9_]*$")
_FIELD = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class Rendered:
    """A rendered, validated investigation: `sql` is exactly what an engine runs."""

    investigation: Investigation
    sql: str
    window: TimeWindow
    values: dict[str, Any]
    # The parsed tree of `sql`'s source, so an engine can translate without parsing again.
    tree: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Investigation:
    """One canned investigation: its metadata, declared parameters and Jinja SQL template."""

    name: str
    title: str
    description: str
    category: str
    fields: tuple[str, ...]
    params: Mapping[str, Param]
    columns: tuple[str, ...]
    path: Path
    source: str  # "packaged" or "user"
    overrides: bool
    template: str
    header_lines: int = 0

    def available(self, spec: TableSpec) -> list[Field]:
        """The fields this investigation needs that the table lacks (empty: it can run)."""
        return spec.missing_fields(self.fields)

    def unavailable_reason(self, spec: TableSpec) -> str | None:
        missing = self.available(spec)
        return f"needs {describe_fields(missing)}" if missing else None

    def render(
        self,
        spec: TableSpec,
        params: Mapping[str, Any] | None = None,
        *,
        max_window_days: float = 31,
        now: datetime | None = None,
        cache: bool = True,
    ) -> Rendered:
        """Check the parameters, render the template for `spec`, validate it, regenerate the SQL.

        With `cache`, a statement validated before (same rendered text, table and validator) is taken
        from disk without importing sqlglot; its `tree` is then None."""
        missing = self.available(spec)
        if missing:
            raise NotAvailable(
                f"{self.name} is not available for this table: needs {describe_fields(missing)}",
                hint="the flow log's format must include these fields (see `flowsql show "
                f"{self.name}`); with --log-format, tell flowsql the format the logs really have",
            )
        given = dict(params or {})
        start, end = given.pop("start", None), given.pop("end", None)
        window = TimeWindow.parse(start, end, max_span=timedelta(days=max_window_days), now=now)
        values = paramsmod.resolve(self.params, given, investigation=self.name)
        text = self.render_text(spec, window, values)
        values = {"start": window.start, "end": window.end, **values}
        if not cache:
            sql, tree = self._validate(text, spec)
            return Rendered(self, sql, window, values, tree)
        from flowsql import diskcache

        here = Path(__file__)
        sql = diskcache.remember(
            "validated-sql",
            (str(here), str(here.with_name("validate.py"))),
            [text, spec.to_json(), list(self.columns), str(self.path)],
            lambda: self._validate(text, spec)[0],
        )
        return Rendered(self, sql, window, values)

    def _validate(self, text: str, spec: TableSpec) -> tuple[str, Any]:
        """The regenerated SQL of rendered text and its tree, or the first problem with file:line:col."""
        from flowsql.investigations import validate

        try:
            tree = validate.validate_query(text, spec)
        except ValidationError as exc:
            raise type(exc)(
                f"{self._where(exc.line, exc.col)}: {self.name} does not validate: {exc.message}",
                line=exc.line,
                col=exc.col,
                hint=exc.hint,
            ) from None
        returned = validate.output_columns(tree)
        if returned != list(self.columns):
            raise ValidationError(
                f"{self.path}: {self.name} returns columns {', '.join(returned)} but its header "
                f"promises {', '.join(self.columns)}"
            )
        return validate.regenerate(tree), tree

    def render_text(self, spec: TableSpec, window: TimeWindow, values: Mapping[str, Any]) -> str:
        """The template's output before validation (line numbers match the file's)."""
        from flowsql.investigations import macros

        context = {**macros.helpers(spec, window), **values}
        try:
            return self._compiled().render(context)
        except QueryDefinitionError:
            raise
        except Exception as exc:
            line = _template_line(exc, str(self.path))
            raise QueryDefinitionError(_template_message(exc), path=str(self.path), line=line) from None

    def _compiled(self) -> Any:
        cached = self.__dict__.get("_template")
        if cached is None:
            cached = _compile(self.template, self.header_lines, str(self.path))
            object.__setattr__(self, "_template", cached)
        return cached

    def _where(self, line: int | None, col: int | None) -> str:
        if line is None:
            return str(self.path)
        return f"{self.path}:{line}" + (f":{col}" if col is not None else "")

    def example_params(self) -> dict[str, Any]:
        """Values for the required parameters, enough to render the investigation."""
        return {n: p.example_value() for n, p in self.params.items() if p.required}

    def variants(self) -> Iterator[dict[str, Any]]:
        """Parameter sets that between them take every branch a template is likely to have:
        the defaults, each optional parameter set, each choice."""
        base = self.example_params()
        yield base
        for name, param in self.params.items():
            if param.type == "choice":
                for choice in param.choices:
                    if choice != param.default:
                        yield {**base, name: choice}
            elif not param.required and param.default is None:
                example = param.example if param.example is not None else paramsmod.TYPES[param.type][1]
                yield {**base, name: example}


def describe_fields(missing: Sequence[Field]) -> str:
    """'tcp_flags (version 3), reject_reason (version 8)'."""
    return ", ".join(f"{f.column} (version {f.version})" if f.known else f.column for f in missing)


# --- compiling templates -------------------------------------------------------------------


@functools.cache
def _environment() -> Any:
    from flowsql.investigations import templates

    # The one environment, with block tags leaving their lines in place so positions match the file.
    env = templates.environment().overlay(trim_blocks=False, lstrip_blocks=False)
    env.filters = {**env.filters, "safe": _refuse_safe}
    return env


_REFUSED_FILTERS = ("safe", "join")


def _refuse_safe(*_args: Any, **_kwargs: Any) -> str:
    # `|safe` would let a parameter value through as SQL text.
    from flowsql.investigations.macros import MacroError

    raise MacroError("the safe filter is not available in investigations: values are always literals")


def _source(template: str, header_lines: int) -> str:
    return "\n" * header_lines + template


def _compile(template: str, header_lines: int, filename: str) -> Any:
    env = _environment()
    code = env.compile(_source(template, header_lines), name=None, filename=filename)
    return env.template_class.from_code(env, code, env.make_globals(None))


def _template_line(exc: BaseException, filename: str) -> int | None:
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _template_message(exc: BaseException) -> str:
    import jinja2

    if isinstance(exc, jinja2.UndefinedError):
        return f"template uses an undefined name: {exc}"
    return str(exc) or type(exc).__name__


# --- reading files -------------------------------------------------------------------------


def split_header(text: str) -> tuple[list[str], str]:
    """The header's YAML lines (without `--`) and the template after it."""
    lines = text.splitlines()
    header: list[str] = []
    for line in lines:
        if not line.startswith("--"):
            break
        body = line[2:]
        header.append(body[1:] if body.startswith(" ") else body)
    return header, "\n".join(lines[len(header) :])


def _yaml_load(text: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


def _key_lines(header: str) -> dict[str, int]:
    """1-based line of each top-level key, and of each parameter as 'params.NAME'."""
    import yaml

    lines: dict[str, int] = {}
    try:
        root = yaml.compose(header, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            lines[str(key.value)] = key.start_mark.line + 1
            if key.value == "params" and isinstance(value, yaml.MappingNode):
                for pkey, _ in value.value:
                    lines[f"params.{pkey.value}"] = pkey.start_mark.line + 1
    return lines


def load_file(path: str | Path, *, source: str = "user", overrides: bool = False) -> Investigation:
    """Read one query file; any problem is a QueryDefinitionError naming the file and line."""
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryDefinitionError(f"cannot read the file: {exc}", path=where) from None
    header_lines, template = split_header(text)
    if not header_lines:
        raise QueryDefinitionError(
            "missing the metadata header: the file must start with `-- name: …` comment lines",
            path=where,
            line=1,
        )
    header = "\n".join(header_lines)

    def fail(message: str, key: str | None = None, line: int | None = None) -> QueryDefinitionError:
        if line is None and key is not None:
            line = _key_lines(header).get(key)
        return QueryDefinitionError(message, path=where, line=line or 1)

    import yaml

    try:
        meta = _yaml_load(header)
    except yaml.YAMLError as exc:
        # Where the broken construct starts is nearer the mistake than where the parser gave up.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise fail(
            f"the metadata header is not valid YAML: {problem}", line=mark.line + 1 if mark else 1
        ) from None
    if not isinstance(meta, dict):
        raise fail("the metadata header must be a YAML mapping (name: …, title: …)")
    for key in meta:
        if key not in HEADER_KEYS:
            close = difflib.get_close_matches(str(key), HEADER_KEYS, n=1)
            raise fail(
                f"unknown header key {key!r}" + (f" (did you mean {close[0]}?)" if close else ""),
                key=str(key),
            )
    for key in _REQUIRED_KEYS:
        if key not in meta:
            raise fail(f"the header has no {key}: it needs {', '.join(_REQUIRED_KEYS)}")
    name = meta["name"]
    if not _STEM.match(path.stem):
        raise fail(f"file name {path.name!r} must be a lowercase identifier with .sql (top_talkers.sql)")
    if name != path.stem:
        raise fail(f"name {name!r} must equal the file name without .sql ({path.stem!r})", key="name")
    for key in ("title", "description"):
        if not isinstance(meta[key], str) or not meta[key].strip():
            raise fail(f"{key} must be non-empty text", key=key)
    if meta["category"] not in CATEGORIES:
        raise fail(
            f"category must be one of {', '.join(CATEGORIES)}, got {meta['category']!r}", key="category"
        )
    needed = _name_list(meta["fields"], "fields", fail, pattern=_FIELD)
    columns = _name_list(meta["columns"], "columns", fail, pattern=_STEM)
    declared: dict[str, Param] = {}
    raw_params = meta.get("params") or {}
    if not isinstance(raw_params, dict):
        raise fail("params must be a mapping of name: {type: …, default: …}", key="params")
    for pname, pdata in raw_params.items():
        key = f"params.{pname}"
        try:
            declared[str(pname)] = paramsmod.from_metadata(str(pname), pdata)
        except ValueError as exc:
            raise fail(str(exc), key=key) from None
    investigation = Investigation(
        name=name,
        title=meta["title"].strip(),
        description=meta["description"].strip(),
        category=meta["category"],
        fields=tuple(column_name(f) for f in needed),
        params=MappingProxyType(declared),
        columns=tuple(columns),
        path=path,
        source=source,
        overrides=overrides,
        template=template,
        header_lines=len(header_lines),
    )
    _check_template(investigation, header, fail)
    return investigation


def _name_list(value: Any, key: str, fail: Any, *, pattern: re.Pattern[str]) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise fail(f"{key} must be a non-empty list of names: [a, b]", key=key)
    for item in value:
        if not pattern.match(item):
            raise fail(f"{key}: {item!r} is not a valid name", key=key)
    if len(set(value)) != len(value):
        raise fail(f"{key} lists a name twice", key=key)
    return list(value)


def _check_template(inv: Investigation, header: str, fail: Any) -> None:
    """Declared parameters and the names the template uses must agree."""
    import jinja2
    from jinja2 import meta, nodes

    from flowsql.investigations import macros

    env = _environment()
    try:
        ast = env.parse(_source(inv.template, inv.header_lines))
    except jinja2.TemplateSyntaxError as exc:
        raise fail(f"template syntax: {exc.message}", line=exc.lineno) from None
    used = meta.find_undeclared_variables(ast) - set(env.globals)
    for node in ast.find_all(nodes.Filter):
        if node.name in _REFUSED_FILTERS:
            raise fail(
                f"the {node.name} filter is not available in investigations: values are always rendered "
                "as SQL literals (a list renders as (a, b))",
                line=node.lineno,
            )

    def first_use(name: str) -> int | None:
        lines = [n.lineno for n in ast.find_all(nodes.Name) if n.name == name and n.ctx == "load"]
        return min(lines) if lines else None

    for name in sorted(used, key=lambda n: first_use(n) or 0):
        if name in inv.params or name in macros.HELPER_NAMES:
            continue
        if name in paramsmod.WINDOW_PARAMS:
            raise fail(
                f"the template uses {name!r}: the window is applied with {{{{ in_window() }}}}, "
                "not through start/end variables",
                line=first_use(name),
            )
        close = difflib.get_close_matches(name, [*inv.params, *macros.HELPER_NAMES], n=1)
        raise fail(
            f"the template uses {name!r}, which is not a declared parameter"
            + (f" (did you mean {close[0]}?)" if close else "; declare it under params:"),
            line=first_use(name),
        )
    for name in inv.params:
        if name not in used:
            raise fail(f"parameter {name} is declared but the template never uses it", key=f"params.{name}")
    if "in_window" not in used:
        raise fail("the template never calls {{ in_window() }}: every read of the table must be bounded")


# --- the library ---------------------------------------------------------------------------


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
    from flowsql.investigations.templates import resource_dir

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
        for values in inv.variants():
            try:
                rendered = inv.render(spec, values, now=now, cache=False)
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
