"""The Python API: `flowsql.connect()` returns a Session that lists, renders and runs investigations.

    fl = flowsql.connect(location="./flowlogs")                        # DuckDB over local files
    fl = flowsql.connect("athena", location="s3://bucket/", output_location="s3://bucket/athena/")
    rows = fl.run("rejected_ssh_sources", start="2024-05-01", end="2024-05-02", port=22)
    fl.render("top_talkers", start="2024-05-01")                       # the Athena SQL run() sends
    fl.sql('SELECT count(*) AS n FROM "vpc_flow_logs"."flow_logs"')    # ad-hoc, validated

Options are the CLI's TABLE OPTIONS and Athena settings as keywords, laid over the config file
(.flowsql.yaml in the working directory, or `config=`). Heavy modules (the engines, sqlglot, Jinja)
load on first use, and the engine is created by the first query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowsql import config as configmod
from flowsql.config import AthenaSettings, Config
from flowsql.errors import ConfigError
from flowsql.investigations.window import TimeWindow
from flowsql.results import Rows
from flowsql.tables.spec import TableSpec

if TYPE_CHECKING:
    from flowsql.engines import Engine
    from flowsql.engines.athena import AthenaProgress
    from flowsql.investigations.investigation import Investigation, Rendered
    from flowsql.investigations.library import Library

ENGINES = ("duckdb", "athena")
TABLE_OPTIONS = configmod.TABLE_KEYS
ATHENA_OPTIONS = tuple(f.name for f in fields(AthenaSettings))
_LIST_OPTIONS = ("accounts", "regions")


@dataclass(frozen=True)
class InvestigationInfo:
    """One investigation as `Session.investigations()` lists it: what it is, and whether this table
    has the fields it needs. Other attributes (params, fields, description, …) come from the
    investigation itself."""

    name: str
    title: str
    category: str
    missing: tuple[str, ...]
    investigation: Investigation = field(repr=False, compare=False)

    @property
    def available(self) -> bool:
        return not self.missing

    def __getattr__(self, name: str) -> Any:
        if name == "investigation":  # not set yet (copy/unpickle): avoid recursing
            raise AttributeError(name)
        return getattr(self.investigation, name)


class Session:
    """One table, one engine, one query library: the object `flowsql.connect()` returns."""

    # DuckDB: called with (percent done, seconds) while a statement runs longer than about a second.
    local_progress: Callable[[float, float], None] | None = None

    def __init__(
        self,
        spec: TableSpec,
        *,
        engine: str = "duckdb",
        settings: AthenaSettings | None = None,
        query_dirs: Sequence[str | Path] = (),
        skip_bad_files: bool = False,
        max_window_days: float = 31,
        threads: int | None = None,
        progress: Callable[[AthenaProgress], None] | None = None,
        config: Config | None = None,
        cache: bool | None = None,
        inventory: str | Path | None = None,
        cache_fill: str | None = None,
    ) -> None:
        if engine not in ENGINES:
            raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        self.spec = spec
        self.engine_name = engine
        self.settings = settings or AthenaSettings()
        self.query_dirs = [Path(d) for d in query_dirs]
        self.skip_bad_files = skip_bad_files
        self.max_window_days = max_window_days
        self.threads = threads
        self.progress = progress
        self.config = config or Config()
        self.cache = cache
        if cache_fill is not None:
            from flowsql.engines.duckdb.cache import fill_mode

            fill_mode(cache_fill, "cache_fill")
        self.cache_fill = cache_fill
        self.inventory_location = (
            str(inventory) if inventory is not None else self.config.inventory_location()
        )
        self._engine: Engine | None = None
        self._library: Library | None = None

    # --- the parts, created on first use ---------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The engine; created (DuckDB views, Athena connection settings) on first access."""
        if self._engine is None:
            self._engine = self._make_engine()
        return self._engine

    def _make_engine(self) -> Engine:
        if self.engine_name == "athena":
            from flowsql.engines.athena import AthenaEngine

            return AthenaEngine(self.spec, self.settings, progress=self.progress)
        from flowsql.engines.duckdb.cache import for_config
        from flowsql.engines.duckdb.engine import DuckDBEngine

        columnar = for_config(self.config.cache, self.cache, self.cache_fill)
        engine = DuckDBEngine(
            self.spec,
            skip_bad_files=self.skip_bad_files,
            threads=self.threads,
            cache=columnar,
            inventory=self.inventory_location if self.has_inventory else None,
        )
        engine.progress = self.local_progress
        return engine

    @property
    def has_inventory(self) -> bool:
        """Whether this engine can join the inventory: on DuckDB a local folder holding one, on
        Athena an s3:// location (its Glue tables are made by `flowsql inventory refresh`)."""
        from flowsql.inventory import location

        return location.available(self.inventory_location, self.engine_name)

    @property
    def library(self) -> Library:
        if self._library is None:
            from flowsql.investigations import library

            self._library = library.load(self.query_dirs)
        return self._library

    # --- investigations --------------------------------------------------------------------------

    def investigation(self, name: str) -> Investigation:
        return self.library.get(name)

    def investigations(self, *, available_only: bool = False) -> list[InvestigationInfo]:
        """Every investigation (sorted by name) with the fields this table lacks for it."""
        listed = []
        for inv in self.library:
            missing = tuple(f.column for f in inv.available(self.spec))
            if missing and available_only:
                continue
            listed.append(InvestigationInfo(inv.name, inv.title, inv.category, missing, inv))
        return listed

    def prepare(self, name: str, /, **params: Any) -> Rendered:
        """Check the parameters, render and validate: the Rendered SQL, window and typed values."""
        return self.investigation(name).render(
            self.spec, params, max_window_days=self.max_window_days, inventory=self.has_inventory
        )

    def render(self, name: str, /, **params: Any) -> str:
        """The validated Athena SQL that run() would send, for reading or pasting into the console."""
        return self.prepare(name, **params).sql

    def run(self, name: str, /, **params: Any) -> Rows:
        """Run an investigation; `start`/`end` bound the time window (default: the last 24 hours)."""
        rendered = self.prepare(name, **params)
        rows = self.execute(rendered.sql, window=rendered.window)
        rows.stats.params = dict(rendered.values)
        return rows

    def sql(
        self,
        text: str,
        *,
        start: Any = None,
        end: Any = None,
        last: Any = None,
    ) -> Rows:
        """Run ad-hoc Athena SQL against the table, after the same checks as an investigation
        (one read-only query, known columns, aliases). With start/end/last (the investigations'
        window rule), every read of the table is bounded to that window; without, it is unbounded."""
        sql, window = self.prepare_sql(text, start=start, end=end, last=last)
        return self.execute(sql, window=window)

    def prepare_sql(
        self, text: str, *, start: Any = None, end: Any = None, last: Any = None
    ) -> tuple[str, TimeWindow | None]:
        """The validated (and, when a window is given, bounded) SQL of `text`, and that window."""
        from datetime import timedelta

        from flowsql.investigations import adhoc

        window = None
        if any(v not in (None, "") for v in (start, end, last)):
            window = TimeWindow.parse(start, end, last=last, max_span=timedelta(days=self.max_window_days))
        return adhoc.validated(text, self.spec, window), window

    def execute(self, sql: str, *, window: TimeWindow | None = None) -> Rows:
        """Send already validated Athena SQL to the engine; `window` as the rendering bounded it."""
        rows = self.engine.execute(sql, window=window)
        rows.stats.window = window
        return rows

    # --- lifetime --------------------------------------------------------------------------------

    def close(self) -> None:
        engine, self._engine = self._engine, None
        closer = getattr(engine, "close", None)
        if closer is not None:
            closer()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<flowsql.Session {self.engine_name} {self.spec.qualified_name} at {self.spec.location}>"


def connect(
    engine: str | None = None,
    *,
    config: str | Path | None = None,
    queries: Sequence[str | Path] = (),
    skip_bad_files: bool = False,
    max_window_days: float | None = None,
    threads: int | None = None,
    progress: Callable[[AthenaProgress], None] | None = None,
    cache: bool | None = None,
    inventory: str | Path | None = None,
    cache_fill: str | None = None,
    **options: Any,
) -> Session:
    """A Session for one flow-log table.

    engine: "duckdb" (local files, the default) or "athena"; None takes the config file's.
    config: the config file to read [./.flowsql.yaml or $FLOWSQL_CONFIG; none is fine].
    queries: extra folders of investigations (they override packaged ones of the same name).
    skip_bad_files: DuckDB: skip unreadable files (listed in rows.stats.files_skipped).
    max_window_days: the longest time window a run may ask for [config's, else 31].
    threads: DuckDB worker threads [all cores].
    progress: Athena: called with an AthenaProgress after every status poll.
    cache: DuckDB over text files: keep what was read as Parquet for later runs [config's
      cache.enabled, else True]; False reads the text every time.
    cache_fill: "background" (answer from the text, then fill the cache in a detached low-priority
      process) or "inline" (fill it while answering) [$FLOWSQL_CACHE_FILL, else config's cache.fill,
      else background].
    inventory: the inventory's folder (DuckDB) or s3:// prefix (Athena) [config's `inventory:`, else
      .flowsql/inventory next to the config file].
    options: TABLE OPTIONS (location, database, table, layout, hourly, file_format, log_format,
      accounts, regions, start_date, partitioning) and Athena settings (region, profile, workgroup,
      output_location, endpoint_url, result_reuse_minutes, timeout_seconds).
    """
    unknown = sorted(set(options) - set(TABLE_OPTIONS) - set(ATHENA_OPTIONS))
    if unknown:
        raise ConfigError(
            f"connect() got unknown option(s) {', '.join(unknown)}",
            hint=f"table options: {', '.join(TABLE_OPTIONS)}; Athena settings: {', '.join(ATHENA_OPTIONS)}",
        )
    cfg = configmod.load(config)
    table_opts = {k: _as_list(k, v) for k, v in options.items() if k in TABLE_OPTIONS}
    spec = cfg.table_spec(table_opts)
    settings = cfg.athena.merged({k: v for k, v in options.items() if k in ATHENA_OPTIONS})
    return Session(
        spec,
        engine=engine or cfg.engine,
        settings=settings,
        query_dirs=cfg.query_dirs([str(q) for q in queries]),
        skip_bad_files=skip_bad_files,
        max_window_days=cfg.max_window_days if max_window_days is None else max_window_days,
        threads=threads,
        progress=progress,
        config=cfg,
        cache=cache,
        inventory=inventory,
        cache_fill=cache_fill,
    )


def _as_list(key: str, value: Any) -> Any:
    """accounts/regions may be given as 'a,b' like on the command line."""
    if key in _LIST_OPTIONS and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value
