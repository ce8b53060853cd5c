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
DEFAULT_INVENTORY = ".flowsql/inventory"

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

    def __post_init__(self) -> None:
        if self.endpoint_url:
            from flowsql import config_schema

            try:
                config_schema.endpoint_url(self.endpoint_url)
            except config_schema.Wrong as exc:
                raise ConfigError(
                    f"the endpoint URL (--endpoint-url, athena.endpoint_url) must be {exc.expected}, "
                    f"got {config_schema.shown(self.endpoint_url)}"
                ) from None

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
    cache: dict[str, Any] | None = None  # the columnar cache: {enabled: bool, max_size: 2GB, fill}
    path: Path | None = None
    # Where the inventory is: a local folder (relative to the config file) or s3://… for Athena.
    inventory: str | None = None

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

    def inventory_location(self) -> str:
        """The inventory's folder or S3 prefix: `inventory:` as configured, or the default
        `.flowsql/inventory` next to the config file (the working directory without one)."""
        base = self.path.parent if self.path else Path.cwd()
        if self.inventory and self.inventory.startswith("s3://"):
            return self.inventory
        return str(base / (self.inventory or DEFAULT_INVENTORY))

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
        if self.cache is not None:
            data["cache"] = self.cache
        if self.inventory:
            data["inventory"] = self.inventory
        return data


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else Path.cwd() / DEFAULT_NAME


def load(explicit: str | os.PathLike[str] | None = None) -> Config:
    """The config file if there is one, else defaults. A named file that is missing is an error.

    Every value is checked against one typed schema (`config_schema`); a relative local `location`
    and relative `queries` folders are relative to the config file's folder, not the current one."""
    from flowsql import config_schema

    path = config_path(explicit)
    if not path.exists():
        if explicit:
            raise ConfigError(f"config file {path} does not exist")
        return Config(path=path)
    document, lines = config_schema.read(path)
    data = config_schema.check(document, path, lines)
    table = dict(data.get("table") or {})
    location = table.get("location")
    if location and not is_remote(location) and not os.path.isabs(os.path.expanduser(location)):
        table["location"] = os.path.normpath(os.path.join(os.path.abspath(path.parent), location)) + "/"
    return Config(
        table=table,
        athena=AthenaSettings(**(data.get("athena") or {})),
        engine=data.get("engine") or "duckdb",
        queries=list(data.get("queries") or []),
        max_window_days=data.get("max_window_days", 31),
        max_scan=data.get("max_scan"),
        cache=data.get("cache"),
        path=path,
        inventory=str(data["inventory"]) if data.get("inventory") else None,
    )


def is_remote(location: str) -> bool:
    return "://" in location


def _saved_location(location: str, folder: Path) -> str:
    """A local location as the config file keeps it: an absolute one relative to the file's folder when
    inside it; a relative one is already relative to that folder (the file's rule) and kept."""
    if is_remote(location) or not os.path.isabs(os.path.expanduser(location)):
        return location
    absolute = os.path.abspath(os.path.expanduser(location))
    base = os.path.abspath(folder)
    if absolute == base or absolute.startswith(base.rstrip(os.sep) + os.sep):
        relative = os.path.relpath(absolute, base)
        return "./" if relative == "." else f"./{relative}/"
    return absolute.rstrip(os.sep) + "/"


def save(config: Config) -> Path:
    import yaml

    path = config.path or config_path()
    data = config.to_dict()
    if data["table"].get("location"):
        data["table"] = {**data["table"], "location": _saved_location(data["table"]["location"], path.parent)}
    path.write_text(
        "# flowsql project settings, written by `flowsql init`; flags override them.\n"
        + yaml.safe_dump(data, sort_keys=False),
        encoding="utf-8",
    )
    return path
