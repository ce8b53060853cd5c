"""flowsql: Athena tables and canned investigations for Amazon VPC Flow Logs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowsql.errors import FlowsqlError

if TYPE_CHECKING:
    from flowsql.investigations.window import TimeWindow
    from flowsql.results import Rows
    from flowsql.session import Session, connect
    from flowsql.tables.spec import TableSpec

__all__ = ["FlowsqlError", "Rows", "Session", "TableSpec", "TimeWindow", "connect"]
__version__ = "0.1.0"

# Loaded on first use so `import flowsql` (and the CLI's start-up) stays light.
_LAZY = {
    "connect": "flowsql.session",
    "Session": "flowsql.session",
    "Rows": "flowsql.results",
    "TableSpec": "flowsql.tables.spec",
    "TimeWindow": "flowsql.investigations.window",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flowsql' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
