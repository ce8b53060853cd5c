"""The query library: the packaged investigations and the user's folders, looked up by name and
rendered for a table. One file is loaded by `loading`; `checking` checks the library as a whole."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flowsql.errors import (
    ConfigError,
    QueryDefinitionError,
    QueryNotFound,
)
from flowsql.investigations.investigation import (
    Investigation,
    Rendered,
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
