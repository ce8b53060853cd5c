"""What the commands share: the TABLE OPTIONS, the -p/--queries options, and the Context every command
gets (the config file, and the TableSpec built from config plus flags)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import click

from flowsql.errors import ConfigError

ATHENA_KEYS = ("region", "profile", "workgroup", "output_location", "endpoint_url")


def _split_list(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip())


def table_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The TABLE OPTIONS every command shares, gathered into one `table_opts` dict."""
    options = [
        click.option("--location", help="s3://bucket[/prefix] or a local folder holding AWSLogs/."),
        click.option("--database", help="Glue database [vpc_flow_logs]."),
        click.option("--table", help="Table name [flow_logs]."),
        click.option(
            "--layout",
            type=click.Choice(["aws", "hive"]),
            help="S3 prefixes: AWS default, or Hive-compatible (aws-account-id=…) [aws].",
        ),
        click.option("--hourly/--daily", default=None, help="Per-hour partitions [daily]."),
        click.option("--file-format", type=click.Choice(["text", "parquet"]), help="[text]"),
        click.option("--log-format", help="The flow log's LogFormat, e.g. '${version} ${srcaddr} …'."),
        click.option(
            "--detect-format",
            is_flag=True,
            default=False,
            help="Read the field order from the newest text file's header line.",
        ),
        click.option("--accounts", callback=_split_list, help="Comma-separated account ids."),
        click.option("--regions", callback=_split_list, help="Comma-separated Region names."),
        click.option("--start-date", help="First day partition projection covers (YYYY-MM-DD)."),
        click.option(
            "--partitioning",
            type=click.Choice(["projection", "partitions"]),
            help="Partition projection, or classic Glue partitions [projection].",
        ),
        click.option("--region", help="AWS Region for Athena and Glue."),
        click.option("--profile", help="AWS profile."),
        click.option("--workgroup", help="Athena workgroup."),
        click.option("--output-location", help="s3:// prefix for Athena query results."),
        click.option("--endpoint-url", help="AWS endpoint URL (testing, VPC endpoints)."),
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        names = [
            "location", "database", "table", "layout", "hourly", "file_format", "log_format",
            "detect_format", "accounts", "regions", "start_date", "partitioning", *ATHENA_KEYS,
        ]  # fmt: skip
        kwargs["table_opts"] = {name: kwargs.pop(name) for name in names}
        return command(*args, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


class Context:
    """What every command gets: the config file, and the TableSpec built from config plus flags."""

    def __init__(self, config_file: str | None) -> None:
        from flowsql import config

        self.config = config.load(config_file)

    def spec(self, table_opts: dict[str, Any], *, discover_partitions: bool = False) -> Any:
        """The TableSpec from config and flags; with discover_partitions, accounts and regions
        missing for partition projection are found by listing the location."""
        opts = dict(table_opts)
        detect = opts.pop("detect_format", False)
        if detect and opts.get("log_format"):
            raise ConfigError("--log-format and --detect-format exclude each other: give one")
        spec = self.config.table_spec(opts)
        if detect or (discover_partitions and not (spec.accounts and spec.regions)):
            from dataclasses import replace

            from flowsql.tables import discovery as discover
            from flowsql.tables import fields

            if detect:
                fmt = discover.detect_format(spec, self.athena(table_opts))
                spec = replace(spec, fields=fields.parse_log_format(fmt))
            if discover_partitions:
                spec = discover.with_discovered(spec, self.athena(table_opts))
        return spec

    def athena(self, table_opts: dict[str, Any]) -> Any:
        return self.config.athena.merged({k: table_opts.get(k) for k in ATHENA_KEYS})


pass_context = click.make_pass_decorator(Context)


# A table description needs a location; listing and validating need no real one.
PLACEHOLDER_LOCATION = "s3://flowsql-placeholder/"


def queries_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--queries DIR (repeatable, as `queries`)."""
    return click.option(
        "--queries",
        "queries",
        multiple=True,
        type=click.Path(file_okay=False),
        help="Folder of your own investigations (repeatable); they override packaged ones.",
    )(command)


def params_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """-p/--param NAME=VALUE (repeatable, as `params`) and --queries DIR."""
    return click.option(
        "-p",
        "--param",
        "params",
        multiple=True,
        metavar="NAME=VALUE",
        help="Investigation parameter (repeatable), e.g. -p start=2024-05-01 -p port=22.",
    )(queries_option(command))


def load_library(ctx: Context, queries: Sequence[str] = ()) -> Any:
    """The library with the user folders from --queries, $FLOWSQL_QUERIES and the config file."""
    from flowsql.investigations import library

    return library.load(ctx.config.query_dirs(list(queries)))


def configured_spec(ctx: Context) -> Any:
    """The configured table, or the default version 2 table when none is configured."""
    if ctx.config.table.get("location"):
        return ctx.config.table_spec()
    return ctx.config.table_spec({"location": PLACEHOLDER_LOCATION})


WINDOW_HELP = (
    "A lone --start covers --last (24h unless given) from it, never past now; a lone --end the --last "
    "before it; neither, the --last up to now. Times: 2024-05-01, 2024-05-01T13:00Z, now, today, "
    "yesterday, -6h."
)


def window_options(
    command: Callable[..., Any] | None = None, *, last_default: str = "24h"
) -> Callable[..., Any]:
    """--start, --end and --last, gathered into one `window` dict (only the ones given).
    `@window_options(last_default=…)` names another default of --last in the help."""
    if command is None:
        return functools.partial(window_options, last_default=last_default)
    options = [
        click.option("--start", "window_start", metavar="TIME", help="Window start (UTC, inclusive)."),
        click.option("--end", "window_end", metavar="TIME", help="Window end (UTC, exclusive)."),
        click.option(
            "--last", "window_last", metavar="SPAN", help=f"Window length: 30m, 6h, 7d, 2w [{last_default}]."
        ),
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {key: kwargs.pop(f"window_{key}") for key in ("start", "end", "last")}
        kwargs["window"] = {k: v for k, v in given.items() if v not in (None, "")}
        return command(*args, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def merge_window(values: dict[str, Any], window: dict[str, Any]) -> dict[str, Any]:
    """-p values with --start/--end/--last laid over them; the same side given both ways is refused."""
    from flowsql.errors import ParameterError

    both = sorted(k for k in window if k in values)
    if both:
        name = both[0]
        raise ParameterError(
            f"{name} was given twice: as --{name} and as -p {name}=…", hint=f"keep one of them (--{name})"
        )
    return {**values, **window}


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--format, --output FILE and --wide, as `fmt`, `output_file` and `wide`."""
    from flowsql.output import FORMATS

    options = [
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True),
        click.option(
            "-o",
            "--output",
            "output_file",
            type=click.Path(dir_okay=False, writable=True),
            metavar="FILE",
            help="Write the rows to FILE instead of stdout.",
        ),
        click.option(
            "--wide", is_flag=True, default=False, help="Table: never cut long cells to fit the terminal."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def execution_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """What every command that runs SQL takes (`run`, `sql`): the engine, bad files, Athena's timeout
    and scan limit, the cache, the statistics line and the terminal chart."""
    options = [
        click.option(
            "--engine",
            type=click.Choice(["duckdb", "athena"]),
            help="Where to run: DuckDB over local files, or Athena [the config's engine, else duckdb].",
        ),
        click.option(
            "--chart",
            is_flag=True,
            default=False,
            help="Draw a time series (traffic_by_hour, traffic_over_time, …) as a chart in the terminal.",
        ),
        click.option(
            "--chart-column", metavar="COLUMN", help="The column --chart draws [the first numeric one]."
        ),
        click.option(
            "--skip-bad-files",
            is_flag=True,
            default=False,
            help="DuckDB: skip files that cannot be read (each is listed on stderr) instead of stopping.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            metavar="SECONDS",
            help="Athena: stop the query after SECONDS [config athena.timeout_seconds].",
        ),
        click.option(
            "--no-cache",
            is_flag=True,
            default=False,
            help="DuckDB: read the text files, not the columnar cache of earlier runs, and write none.",
        ),
        click.option("-q", "--quiet", is_flag=True, default=False, help="No statistics line on stderr."),
        click.option(
            "--estimate",
            "estimate_only",
            is_flag=True,
            default=False,
            help="Print the bytes and dollars the query would scan on Athena (listing its partitions),"
            " then stop.",
        ),
        click.option(
            "--max-scan",
            metavar="SIZE",
            help="Athena: refuse to run above this estimated scan, e.g. 10GB or 1TiB [config max_scan].",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command
