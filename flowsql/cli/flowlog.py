"""`flowsql init --flow-log fl-…`: the table options read from the flow log itself, merged under
the options given on the command line (a flag given explicitly wins)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from flowsql.cli.options import Context


def flow_log_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--flow-log fl-… (repeatable, or a comma-separated list), as `flow_logs`."""
    return click.option(
        "--flow-log",
        "flow_logs",
        multiple=True,
        metavar="FL-ID",
        help="Read location, log format, layout and file format from the flow log (DescribeFlowLogs); "
        "repeatable or comma-separated.",
    )(command)


def apply_flow_logs(ctx: Context, table_opts: dict[str, Any], flow_logs: tuple[str, ...]) -> dict[str, Any]:
    """table_opts with what the flow logs say filled in where no flag was given."""
    if not flow_logs:
        return table_opts
    from flowsql.tables import flowlog

    settings = ctx.athena(table_opts)
    ids = flowlog.split_ids(flow_logs)
    described = flowlog.describe(ids, settings)
    resolved = flowlog.table_options(described, settings)
    merged = dict(table_opts)
    for key, value in resolved.options.items():
        if key == "log_format" and merged.get("detect_format"):
            continue
        if merged.get(key) is None:
            merged[key] = value
        elif merged[key] != value:
            flag = "--" + key.replace("_", "-")
            click.echo(f"note: {flag} {merged[key]} given; the flow log says {value}", err=True)
    location = resolved.options["location"]
    notes = resolved.notes + flowlog.others_under(location, described, flowlog.all_flow_logs(settings))
    for note in notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"flow log {', '.join(ids)}: {location} ({described[0].fields_format})")
    return merged
