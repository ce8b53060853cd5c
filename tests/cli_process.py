"""Run the real `flowsql` console script in a subprocess, as a user's shell does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import sqlglot
from sqlglot import exp


def flowsql_command() -> list[str]:
    script = Path(sys.executable).with_name("flowsql")
    if script.exists():
        return [str(script)]
    found = shutil.which("flowsql")
    return [found] if found else [sys.executable, "-m", "flowsql"]


def flowsql(
    *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "FLOWSQL_CONFIG")}
    environ.update(env or {})
    return subprocess.run(
        [*flowsql_command(), *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=timeout
    )


def start_bounds(sql: str) -> list[tuple[int, int]]:
    """(low, high) of every `start >= low AND start < high` pair in the statement, read by sqlglot."""
    tree = sqlglot.parse_one(sql, read="athena")
    lows = [int(n.expression.this) for n in tree.find_all(exp.GTE) if n.this.name == "start"]
    highs = [int(n.expression.this) for n in tree.find_all(exp.LT) if n.this.name == "start"]
    return list(zip(lows, highs, strict=True))


def read_terminal(fd: int) -> bytes:
    """Everything written to a pseudo-terminal until every writer has closed it (then reading fails
    with EIO, or returns nothing)."""
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)
