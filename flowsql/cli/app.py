"""The `flowsql` click group. Commands are added to it in one place, `flowsql.cli.COMMANDS`."""

from __future__ import annotations

import click

from flowsql.cli.options import Context


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
