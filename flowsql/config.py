"""The project config file `init` writes and every command reads; flags override it."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from flowsql.errors import ConfigError
from flowsql.tables.spec import TableSpec

CONFIG_ENV = "FLOWSQL_CONFIG"
QUERIES_ENV = "FLOWSQL_QUERIES"
DEFAULT_NAME = ".flowsql.yaml"

TABLE_KEYS = (
    "location", "database", "table", "layout", "hourly", "file_format", "log_format",
    "accounts", "regions", "partitioning", "start_date",
)  # fmt: skip


@dataclass
class AthenaSettings:
    """How to reach Athena; None means 'let boto3's standard environment decide'."""

    region: str | None = None
    profile: str | None = None
    workgroup: str | None = None
    output_location: str | None = None
    endpoint_url: str | None = None
    result_reuse_minutes: int | None = None
    timeout_seconds: float | None = None

    def merged(self, overrides: dict[str, Any]) -> AthenaSettings:
        known = {f.name for f in fields(self)}
        values = asdict(self) | {k: v for k, v in overrides.items() if k in known and v is not None}
        return AthenaSettings(**values)


@dataclass
class Config:
    """Everything a command needs besides its own arguments."""

    table: dict[str, Any] = field(default_factory=dict)
    athena: AthenaSettings = field(default_factory=AthenaSettings)
    engine: str = "duckdb"
    queries: list[str] = field(default_factory=list)
    max_window_days: float = 31
    max_scan: str | None = None
    path: Path | None = None

    def table_spec(self, overrides: dict[str, Any] | None = None) -> TableSpec:
        """The TableSpec from the saved table options with the given flags laid over them."""
        return TableSpec.from_dict(self.table_options(overrides))

    def table_options(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The saved table options with the given flags laid over them (what a user set)."""
        values = dict(self.table)
        for key, value in (overrides or {}).items():
            if key in TABLE_KEYS and value not in (None, ()):
                values[key] = value
        return values

    def query_dirs(self, extra: list[str] | tuple[str, ...] = ()) -> list[Path]:
        """User query folders: flags first, then FLOWSQL_QUERIES, then the config file's."""
        dirs = [*extra]
        env = os.environ.get(QUERIES_ENV)
        if env:
            dirs.extend(p for p in env.split(os.pathsep) if p)
        base = self.path.parent if self.path else Path.cwd()
        dirs.extend(str(base / q) for q in self.queries)
        return [Path(d) for d in dirs]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"engine": self.engine, "table": self.table}
        athena = {k: v for k, v in asdict(self.athena).items() if v is not None}
        if athena:
            data["athena"] = athena
        if self.queries:
            data["queries"] = self.queries
        if self.max_window_days != 31:
            data["max_window_days"] = self.max_window_days
        if self.max_scan:
            data["max_scan"] = self.max_scan
        return data


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else Path.cwd() / DEFAULT_NAME


def load(explicit: str | os.PathLike[str] | None = None) -> Config:
    """The config file if there is one, else defaults. A named file that is missing is an error."""
    import yaml

    path = config_path(explicit)
    if not path.exists():
        if explicit:
            raise ConfigError(f"config file {path} does not exist")
        return Config(path=path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of settings")
    unknown = set(data) - {"table", "athena", "engine", "queries", "max_window_days", "max_scan"}
    if unknown:
        raise ConfigError(f"config file {path}: unknown setting(s) {', '.join(sorted(unknown))}")
    try:
        athena = AthenaSettings(**(data.get("athena") or {}))
    except TypeError as exc:
        raise ConfigError(f"config file {path}: athena settings: {exc}") from None
    return Config(
        table=dict(data.get("table") or {}),
        athena=athena,
        engine=str(data.get("engine") or "duckdb"),
        queries=list(data.get("queries") or []),
        max_window_days=float(data.get("max_window_days") or 31),
        max_scan=data.get("max_scan"),
        path=path,
    )


def save(config: Config) -> Path:
    import yaml

    path = config.path or config_path()
    path.write_text(
        "# flowsql project settings, written by `flowsql init`; flags override them.\n"
        + yaml.safe_dump(config.to_dict(), sort_keys=False),
        encoding="utf-8",
    )
    return path
