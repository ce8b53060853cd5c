"""The one Jinja environment, sandboxed (see `sandbox`). Every `{{ value }}` becomes a SQL literal
unless the library marked it trusted (table name, partition predicate), so a parameter value can never
change a statement's shape. The DDL templates are the package's own and render in the same one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timezone
from functools import cache
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from flowsql.errors import QueryDefinitionError
from flowsql.investigations.packaged import resource_dir

if TYPE_CHECKING:
    import jinja2

# The marker for SQL the library built itself. Jinja's autoescape keeps a Markup untouched, and
# macros return Markup, so trusted fragments and macro output pass through and nothing else does.
TrustedSql = Markup


def trusted(sql: str) -> Markup:
    return Markup(sql)


def sql_literal(value: Any) -> str:
    """A value as an Athena SQL literal. Objects may define __sql__() to render themselves."""
    if hasattr(value, "__sql__"):
        return str(value.__sql__())
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"cannot render {value!r} as a SQL literal")
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        moment = value.astimezone(timezone.utc) if value.tzinfo else value
        return f"TIMESTAMP '{moment:%Y-%m-%d %H:%M:%S}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else list(value)
        if not items:
            raise TypeError("cannot render an empty list as a SQL literal")
        return "(" + ", ".join(sql_literal(v) for v in items) + ")"
    raise TypeError(f"cannot render a {type(value).__name__} as a SQL literal")


def _finalize(value: Any) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(sql_literal(value))


@cache
def environment() -> jinja2.Environment:
    # Jinja loads only when a template is rendered: a statement found in the cache needs none.
    import jinja2

    from flowsql.investigations.sandbox import InvestigationSandbox

    return InvestigationSandbox(
        loader=jinja2.FileSystemLoader([str(resource_dir("ddl")), str(resource_dir("queries"))]),
        autoescape=True,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_string(source: str, context: Mapping[str, Any], *, name: str = "<template>") -> str:
    """Render template text; template errors name the file and line."""
    import jinja2

    env = environment()
    try:
        template = env.from_string(source)
        template.name = name
        return template.render(**context).strip()
    except jinja2.TemplateSyntaxError as exc:
        raise QueryDefinitionError(exc.message or str(exc), path=name, line=exc.lineno) from None
    except jinja2.UndefinedError as exc:
        raise QueryDefinitionError(f"template uses an undefined name: {exc}", path=name) from None
    except (jinja2.TemplateError, TypeError) as exc:  # SecurityError is a TemplateError
        raise QueryDefinitionError(str(exc), path=name) from None


def render_file(template: str, context: Mapping[str, Any]) -> str:
    """Render one of the packaged templates (ddl/*.sql) by file name."""
    path = resource_dir("ddl") / template
    return render_string(path.read_text(encoding="utf-8"), context, name=f"ddl/{template}")
