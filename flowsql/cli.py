"""The `flowsql` command: a thin click shell over the library. Heavy modules are imported inside
commands so `flowsql --help`, `list` and `show` start fast."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from flowsql.errors import ConfigError, FlowsqlError

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

            from flowsql import discover, fields

            if detect:
                fmt = discover.detect_format(spec, self.athena(table_opts))
                spec = replace(spec, fields=fields.parse_log_format(fmt))
            if discover_partitions:
                spec = discover.with_discovered(spec, self.athena(table_opts))
        return spec

    def athena(self, table_opts: dict[str, Any]) -> Any:
        return self.config.athena.merged({k: table_opts.get(k) for k in ATHENA_KEYS})


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_file",
    envvar="FLOWSQL_CONFIG",
    help="Project config file [./.flowsql.yaml].",
)
@click.version_option(package_name="flowsql")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """Athena tables and canned investigations for Amazon VPC Flow Logs.

    Runs locally on DuckDB over a folder of flow logs (the default, no AWS account needed) or on
    Athena. Start with `flowsql demo`.
    """
    ctx.obj = Context(config_file)


# Each module adds its commands to `cli`; they import their heavy dependencies lazily.
from flowsql.commands import queries, run, sample, speed, table  # noqa: E402, F401


def main(argv: list[str] | None = None) -> None:
    """Entry point: any FlowsqlError becomes one message on stderr and a non-zero exit."""
    try:
        code = cli.main(args=argv, prog_name="flowsql", standalone_mode=False)
        # Outside standalone mode click returns ctx.exit(n)'s status instead of exiting with it.
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except FlowsqlError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        # A bug, not a user's mistake: say so in one line; FLOWSQL_DEBUG=1 shows the traceback.
        import os

        if os.environ.get("FLOWSQL_DEBUG"):
            raise
        click.echo(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "  hint: this is a flowsql bug; rerun with FLOWSQL_DEBUG=1 for the traceback and report it",
            err=True,
        )
        sys.exit(70)


if __name__ == "__main__":
    main()
