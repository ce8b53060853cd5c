"""The SQL macros translated statements call (macros.sql), and which of them a statement needs."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

MACROS = (Path(__file__).with_name("macros.sql")).read_text(encoding="utf-8")
_MACRO_NAME = re.compile(r"\bflowsql_[a-z0-9_]+\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _macro_statements() -> dict[str, tuple[str, frozenset[str]]]:
    """macro name -> (its CREATE statement, the other macros it calls)."""
    statements: dict[str, tuple[str, frozenset[str]]] = {}
    for chunk in MACROS.split(";\n"):
        body = "\n".join(line for line in chunk.splitlines() if not line.lstrip().startswith("--")).strip()
        if not body:
            continue
        name = _MACRO_NAME.search(body)
        assert name is not None, body
        calls = {n.lower() for n in _MACRO_NAME.findall(body)} - {name.group(0).lower()}
        statements[name.group(0).lower()] = (body, frozenset(calls))
    return statements


def macros_needed(statement: str) -> dict[str, str]:
    """The CREATE MACRO statements a translated statement relies on (dependencies first)."""
    known = _macro_statements()
    ordered: dict[str, str] = {}

    def add(name: str) -> None:
        if name in ordered or name not in known:
            return
        body, calls = known[name]
        for call in sorted(calls):
            add(call)
        ordered[name] = body

    for name in sorted({n.lower() for n in _MACRO_NAME.findall(statement)}):
        add(name)
    return ordered
