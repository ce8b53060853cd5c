"""What every rewrite shares: the Athena type of a node, its name, and building a function call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlglot import exp


def _is(node: exp.Expr, *kinds: Any) -> bool:
    return node.type is not None and node.type.is_type(*kinds)


def _kind(node: exp.Expr) -> str:
    return node.type.sql("trino") if node.type is not None else "unknown"


def _name(node: exp.Expr) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    text = node.sql("athena")
    return text.split("(", 1)[0].strip().lower() or type(node).__name__.lower()


# --- IP literals ------------------------------------------------------------------------------


class RewriteBase:
    """The base of each topic's rewrites: `exp` is sqlglot's expressions module, imported lazily."""

    exp: Any

    def fn(self, name: str, *args: exp.Expr) -> exp.Expr:
        return self.exp.Anonymous(this=name, expressions=list(args))
