"""The Jinja sandbox investigations render in, and the load-time check of a template's constructs.

A query file is code from wherever a `.flowsql.yaml` points, so it renders in Jinja's immutable
sandbox with an allowlist of filters, tests and globals. Inside it, SQL the library built (the table,
`in_window()`, the helpers' output) is `Markup`, and everything else is turned into a SQL literal on
output. Anything that could turn a parameter value into `Markup` would let it reach the statement as
raw text, so these are refused:

- filters outside the allowlist (`e`, `escape`, `forceescape`, `safe`, `tojson`, `urlize`,
  `xmlattr`, `string`, `format`, `join`, …) and filter blocks;
- `~` (it escapes its operands into Markup when one of them is SQL), and `+`, `%`, `*` with SQL on
  either side (Markup's operators escape the other operand into it);
- attributes, items, slices and methods of SQL fragments (`table.format(v)`, `table.join([v])`);
- an allowlisted filter given SQL as an argument or returning SQL;
- a helper called with anything but a column name written in the template (`is_private(col|lower)`
  would make a value an identifier);
- `include`, `import`, `extends` and `autoescape` blocks.

The template is checked when the file is loaded (`check`, with file:line); the sandbox refuses the
same at render time, for whatever a static check cannot see.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.defaults import DEFAULT_FILTERS, DEFAULT_TESTS
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError, safe_range
from markupsafe import Markup

# Filters whose result, for a value that is not SQL, is a plain value (rendered as a literal).
ALLOWED_FILTERS = (
    "abs", "count", "d", "default", "first", "float", "int", "last", "length", "list", "lower",
    "max", "min", "round", "sort", "sum", "trim", "unique", "upper",
)  # fmt: skip
ALLOWED_TESTS = (
    "!=", "<", "<=", "==", ">", ">=", "boolean", "defined", "divisibleby", "eq", "equalto", "even",
    "false", "float", "ge", "greaterthan", "gt", "in", "integer", "iterable", "le", "lessthan",
    "lower", "lt", "mapping", "ne", "none", "number", "odd", "sequence", "string", "true",
    "undefined", "upper",
)  # fmt: skip
ALLOWED_GLOBALS: dict[str, Any] = {"range": safe_range}

# Operators Markup overloads by escaping the other operand into itself.
_MARKUP_BINOPS = frozenset({"+", "%", "*"})
_BINOP_NODES = (nodes.Add, nodes.Mod, nodes.Mul)
_REFUSED_TAGS: dict[type[nodes.Node], str] = {
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from … import %}",
    nodes.Extends: "{% extends %}",
    nodes.FilterBlock: "a {% filter %} block",
    nodes.ScopedEvalContextModifier: "an {% autoescape %} block",
    nodes.EvalContextModifier: "an {% autoescape %} block",
}
# Names whose value is (or makes) SQL text.
_SQL_NAMES = frozenset({"table", "in_baseline", "caller", "self", "super"})


class TemplateRefused(Exception):
    """A construct an investigation may not use; `line` is where it is."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _refuse(message: str) -> SecurityError:
    return SecurityError(message)


def _guarded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """An allowlisted filter that refuses SQL fragments as input and as output."""

    @functools.wraps(function)  # keeps jinja_pass_arg, so Jinja passes the same leading argument
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if any(isinstance(a, Markup) for a in (*args, *kwargs.values())):
            raise _refuse(f"the {name} filter applies to parameter values, not to SQL flowsql builds")
        result = function(*args, **kwargs)
        if isinstance(result, Markup):
            raise _refuse(f"the {name} filter produced SQL text from a value")
        return result

    return guarded


class InvestigationSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with SQL fragments (Markup) closed to operators and attributes."""

    intercepted_binops = _MARKUP_BINOPS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters = {name: _guarded(name, DEFAULT_FILTERS[name]) for name in ALLOWED_FILTERS}
        self.tests = {name: DEFAULT_TESTS[name] for name in ALLOWED_TESTS}
        self.globals = dict(ALLOWED_GLOBALS)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if isinstance(left, Markup) or isinstance(right, Markup):
            raise _refuse(f"'{operator}' cannot combine SQL flowsql builds with other values")
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Markup):
            raise _refuse(f"SQL flowsql builds has no attribute {attribute!r} in a template")
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Markup):
            raise _refuse("SQL flowsql builds cannot be indexed or sliced in a template")
        return super().getitem(obj, argument)


# --- the load-time check -------------------------------------------------------------------


def check(ast: nodes.Template, helpers: frozenset[str]) -> None:
    """Raise TemplateRefused for the first construct that could put a value into SQL as raw text.

    `helpers` are the names of the SQL helpers a template may call with column names."""
    sql_names = _sql_names(ast, helpers)
    problems = sorted(_problems(ast, helpers, sql_names), key=lambda p: p[0] or 0)
    if problems:
        line, message = problems[0]
        raise TemplateRefused(message, line)


def _problems(
    ast: nodes.Template, helpers: frozenset[str], sql_names: set[str]
) -> Iterator[tuple[int | None, str]]:
    for kind, what in _REFUSED_TAGS.items():
        for node in ast.find_all(kind):
            yield node.lineno, f"{what} is not available in investigations"
    for node in ast.find_all(nodes.Filter):
        if node.name not in ALLOWED_FILTERS:
            yield (
                node.lineno,
                f"the {node.name} filter is not available in investigations: values are always rendered "
                "as SQL literals (a list renders as (a, b)); allowed filters: " + ", ".join(ALLOWED_FILTERS),
            )
    for node in ast.find_all(nodes.Test):
        if node.name not in ALLOWED_TESTS:
            yield node.lineno, f"the {node.name!r} test is not available in investigations"
    for node in ast.find_all(nodes.Concat):
        yield (
            node.lineno,
            "~ is not available in investigations: it would join values into SQL as text; "
            "write the SQL around {{ value }} instead",
        )
    for node in ast.find_all(_BINOP_NODES):
        if _mentions(node.left, sql_names) or _mentions(node.right, sql_names):
            yield node.lineno, f"'{node.operator}' cannot combine SQL flowsql builds with other values"
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        if _mentions(node.node, sql_names):
            yield node.lineno, "SQL flowsql builds cannot be indexed, sliced or have its attributes used"
    yield from _helper_calls(ast, helpers)


def _helper_calls(ast: nodes.Template, helpers: frozenset[str]) -> Iterator[tuple[int | None, str]]:
    called: set[int] = set()
    for call in ast.find_all(nodes.Call):
        if not isinstance(call.node, nodes.Name) or call.node.name not in helpers:
            continue
        called.add(id(call.node))
        name = call.node.name
        literal = all(isinstance(a, nodes.Const) and isinstance(a.value, str) for a in call.args)
        if call.kwargs or call.dyn_args or call.dyn_kwargs or not literal:
            yield (
                call.lineno,
                f'{name}() takes a column name written in the template, like {name}("srcaddr")',
            )
    for node in ast.find_all(nodes.Name):
        if node.name in helpers and node.ctx == "load" and id(node) not in called:
            yield node.lineno, f'{node.name} is a helper: call it, like {node.name}("srcaddr")'


def _sql_names(ast: nodes.Template, helpers: frozenset[str]) -> set[str]:
    """Names that may hold SQL text: the table, helpers, macros, captured blocks, and names assigned
    from any of them (to a fixed point)."""
    names = set(_SQL_NAMES | helpers)
    names |= {t.name for b in ast.find_all(nodes.AssignBlock) for t in _names_in(b.target)}
    bindings: list[tuple[nodes.Node, nodes.Node]] = []
    for node in ast.find_all((nodes.Assign, nodes.For)):
        bindings.append((node.target, node.node if isinstance(node, nodes.Assign) else node.iter))
    for node in ast.find_all(nodes.With):
        bindings.extend(zip(node.targets, node.values, strict=False))
    for node in ast.find_all(nodes.Keyword):
        bindings.append((nodes.Name(node.key, "store"), node.value))
    macros = {m.name: m for m in ast.find_all(nodes.Macro)}
    for call in ast.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name in macros:
            bindings.extend(zip(macros[call.node.name].args, call.args, strict=False))
    names |= set(macros)
    changed = True
    while changed:
        changed = False
        for target, value in bindings:
            if _mentions(value, names):
                for name in _names_in(target):
                    if name.name not in names:
                        names.add(name.name)
                        changed = True
    return names


def _names_in(node: nodes.Node) -> list[nodes.Name]:
    """The Name nodes of a tree, the root included (find_all yields descendants only)."""
    return [node] if isinstance(node, nodes.Name) else list(node.find_all(nodes.Name))


def _mentions(node: nodes.Node, names: set[str]) -> bool:
    return any(n.name in names for n in _names_in(node))


def refused_message(exc: BaseException) -> str | None:
    """The message of a sandbox refusal raised while rendering, else None."""
    if isinstance(exc, SecurityError):
        return f"not allowed in an investigation: {exc}"
    if isinstance(exc, jinja2.TemplateAssertionError):
        return str(exc)
    return None
