"""An investigation: its metadata, its parameters, and its rendering for a table and a window."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flowsql.errors import (
    NotAvailable,
    QueryDefinitionError,
    ValidationError,
)
from flowsql.investigations import params as paramsmod
from flowsql.investigations.params import Param
from flowsql.investigations.window import TimeWindow
from flowsql.tables.fields import Field
from flowsql.tables.spec import TableSpec

CATEGORIES = ("security", "troubleshooting", "cost/usage", "health")
HEADER_KEYS = (
    "name", "title", "description", "category", "fields", "params", "columns", "inventory",
    "inventory_columns",
)  # fmt: skip
# `inventory: required`: refused without an inventory; `optional`: runs either way, and adds the
# `inventory_columns` after `columns` when the inventory exists (so output without it never changes).
INVENTORY_MODES = ("required", "optional")
REFRESH_HINT = "run `flowsql inventory refresh` (or set `inventory:` in .flowsql.yaml to where one is)"
_REQUIRED_KEYS = ("name", "title", "description", "category", "fields", "columns")
_STEM = re.compile(r"^[a-z][a-z0-9_]*$")
_FIELD = re.compile(r"^[a-z][a-z0-9_-]*$")


# The libraries and modules whose code decides what a query file loads as, what it renders to and
# how it validates: the keys of both on-disk caches of the library (loaded files, rendered SQL).
LIBRARY_PACKAGES = ("sqlglot", "jinja2", "markupsafe", "yaml")


def library_code() -> tuple[str, ...]:
    """The source files of the query library's loading, rendering and validation."""
    here = Path(__file__).parent
    package = here.parent
    return (
        *sorted(str(p) for p in here.glob("*.py")),
        *(str(package / part) for part in ("tables/spec.py", "tables/fields.py", "inventory/tables.py")),
    )


@dataclass(frozen=True)
class Rendered:
    """A rendered, validated investigation: `sql` is exactly what an engine runs. `window` is the
    span every read of the table is bounded to: the investigation's window, widened to the start of
    its baseline window when the template reads one (`in_baseline`); `values` hold start and end."""

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
    inventory: str | None = None
    inventory_columns: tuple[str, ...] = ()

    def available(self, spec: TableSpec) -> list[Field]:
        """The fields this investigation needs that the table lacks (empty: it can run)."""
        return spec.missing_fields(self.fields)

    def unavailable_reason(self, spec: TableSpec) -> str | None:
        missing = self.available(spec)
        return f"needs {describe_fields(missing)}" if missing else None

    def inventory_modes(self) -> tuple[bool, ...]:
        """The inventory states it renders in: with it, without it, or both."""
        if self.inventory == "required":
            return (True,)
        return (False, True) if self.inventory == "optional" else (False,)

    def output_columns(self, inventory: bool) -> tuple[str, ...]:
        if inventory and self.inventory == "optional":
            return (*self.columns, *self.inventory_columns)
        return self.columns

    def render(
        self,
        spec: TableSpec,
        params: Mapping[str, Any] | None = None,
        *,
        max_window_days: float = 31,
        now: datetime | None = None,
        cache: bool = True,
        inventory: bool = False,
    ) -> Rendered:
        """Check the parameters, render the template for `spec`, validate it, regenerate the SQL.

        With `cache`, a statement validated before (same rendered text, table and validator) is taken
        from disk without importing sqlglot; its `tree` is then None. `inventory`: whether the
        inventory tables exist (an investigation that requires them is refused without)."""
        missing = self.available(spec)
        if missing:
            raise NotAvailable(
                f"{self.name} is not available for this table: needs {describe_fields(missing)}",
                hint="the flow log's format must include these fields (see `flowsql show "
                f"{self.name}`); with --log-format, tell flowsql the format the logs really have",
            )
        if self.inventory == "required" and not inventory:
            raise NotAvailable(
                f"{self.name} needs the inventory (interfaces, security groups, NAT gateways, AWS IP "
                "ranges), and there is none",
                hint=REFRESH_HINT,
            )
        inventory = inventory and self.inventory is not None
        given = dict(params or {})
        start, end, last = given.pop("start", None), given.pop("end", None), given.pop("last", None)
        window = TimeWindow.parse(start, end, last=last, max_span=timedelta(days=max_window_days), now=now)
        values = paramsmod.resolve(self.params, given, investigation=self.name)
        columns = self.output_columns(inventory)
        shown = {"start": window.start, "end": window.end, **values}

        def rendered() -> tuple[str, TimeWindow, Any]:
            reads: list[TimeWindow] = []
            text = self.render_text(spec, window, values, inventory=inventory, reads=reads)
            span = TimeWindow(min(w.start for w in reads), max(w.end for w in reads)) if reads else window
            sql, tree = self._validate(text, spec, columns)
            return sql, span, tree

        if not cache:
            sql, span, tree = rendered()
            return Rendered(self, sql, span, shown, tree)
        import json

        from flowsql import diskcache

        def compute() -> str:
            sql, span, _tree = rendered()
            return json.dumps([sql, span.start.isoformat(), span.end.isoformat()])

        # Everything the statement is made of: the template, the table, the window and each value
        # with its type (a Price and a float of the same value render differently).
        material = [
            self.template,
            str(self.path),
            spec.to_json(),
            [window.start.isoformat(), window.end.isoformat()],
            sorted([name, type(v).__qualname__, repr(v)] for name, v in values.items()),
            inventory,
            list(columns),
        ]
        stored = diskcache.remember(
            "rendered-sql", library_code(), material, compute, packages=LIBRARY_PACKAGES
        )
        sql, span_start, span_end = json.loads(stored)
        span = TimeWindow(datetime.fromisoformat(span_start), datetime.fromisoformat(span_end))
        return Rendered(self, sql, span, shown)

    def _validate(
        self, text: str, spec: TableSpec, columns: tuple[str, ...] | None = None
    ) -> tuple[str, Any]:
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
        promised = list(self.columns if columns is None else columns)
        if returned != promised:
            raise ValidationError(
                f"{self.path}: {self.name} returns columns {', '.join(returned)} but its header "
                f"promises {', '.join(promised)}"
            )
        return validate.regenerate(tree), tree

    def render_text(
        self,
        spec: TableSpec,
        window: TimeWindow,
        values: Mapping[str, Any],
        *,
        inventory: bool = False,
        reads: list[TimeWindow] | None = None,
    ) -> str:
        """The template's output before validation (line numbers match the file's)."""
        from flowsql.investigations import macros

        context = {**macros.helpers(spec, window, inventory=inventory, reads=reads), **values}
        try:
            return self._compiled().render(context)
        except QueryDefinitionError:
            raise
        except Exception as exc:
            line = template_line(exc, str(self.path))
            raise QueryDefinitionError(template_message(exc), path=str(self.path), line=line) from None

    def _compiled(self) -> Any:
        cached = self.__dict__.get("_template")
        if cached is None:
            cached = compile_template(self.template, self.header_lines, str(self.path))
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
def environment() -> Any:
    from flowsql.investigations import templates

    # The one (sandboxed) environment, with block tags leaving their lines in place so positions
    # match the file.
    return templates.environment().overlay(trim_blocks=False, lstrip_blocks=False)


def template_source(template: str, header_lines: int) -> str:
    return "\n" * header_lines + template


def parse_template(template: str, header_lines: int, filename: str) -> Any:
    """The template's tree, checked for constructs that could put a value into SQL as text."""
    import jinja2

    from flowsql.investigations import macros, sandbox

    try:
        ast = environment().parse(template_source(template, header_lines), filename=filename)
    except jinja2.TemplateSyntaxError as exc:
        message = f"template syntax: {exc.message}"
        raise QueryDefinitionError(message, path=filename, line=exc.lineno) from None
    try:
        sandbox.check(ast, macros.LITERAL_HELPERS)
    except sandbox.TemplateRefused as exc:
        raise QueryDefinitionError(str(exc), path=filename, line=exc.line) from None
    return ast


def compile_template(template: str, header_lines: int, filename: str) -> Any:
    env = environment()
    code = env.compile(parse_template(template, header_lines, filename), name=None, filename=filename)
    return env.template_class.from_code(env, code, env.make_globals(None))


def template_line(exc: BaseException, filename: str) -> int | None:
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def template_message(exc: BaseException) -> str:
    import jinja2

    from flowsql.investigations import sandbox

    refused = sandbox.refused_message(exc)
    if refused is not None:
        return refused
    if isinstance(exc, jinja2.UndefinedError):
        return f"template uses an undefined name: {exc}"
    return str(exc) or type(exc).__name__
