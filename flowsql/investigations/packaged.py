"""Where the package's own data folders (queries/, ddl/) are, found without importlib.resources:
a wheel installs them inside the package, a checkout keeps them beside it."""

from __future__ import annotations

from pathlib import Path


def resource_dir(name: str) -> Path:
    """A data folder shipped with the package (wheel) or, in a checkout, beside the package."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"flowsql's {name}/ folder is missing from this installation")
