"""`flowsql compliance`: evidence that network traffic is logged, delivered, complete and retained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from flowsql.cli.options import Context, pass_context, table_options, window_options


@click.command("compliance")
@table_options
@window_options
@click.option(
    "--retention",
    help="Retention your policy requires, e.g. 365d, 52w, 1y; lifecycle rules expiring flow logs "
    "sooner fail. No default: without it the retention control is a warning.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "html"]),
    default="text",
    show_default=True,
    help="Terminal summary, JSON, or a standalone Markdown/HTML report.",
)
@click.option(
    "--assume-role",
    metavar="ROLE",
    help="Role name to assume in each of --accounts other than the credentials' own, to read its "
    "VPCs and flow logs.",
)
@click.option(
    "--records",
    is_flag=True,
    help="S3: also count the period's records per interface and hour through the table on Athena "
    "(quiet NODATA hours, SKIPDATA, silent interfaces); scans the period's partitions, at Athena's "
    "price. A local folder's records are always counted, on DuckDB.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option("-v", "--verbose", is_flag=True, help="Text: every evidence line, also for passing controls.")
@pass_context
def compliance(
    ctx: Context,
    table_opts: dict[str, Any],
    window: dict[str, str],
    retention: str | None,
    fmt: str,
    assume_role: str | None,
    records: bool,
    output: str | None,
    verbose: bool,
) -> None:
    """Compliance evidence for VPC Flow Logs: one line per control, PASS/FAIL/WARN, with evidence.

    Coverage (every VPC has a flow log of ALL traffic; destinations and formats), delivery
    (DeliverLogsStatus, newest object, hours without objects), retention and protection of the
    bucket (lifecycle against --retention, versioning, encryption, Block Public Access, policy) and
    the Athena/Glue table. Reads EC2, S3 and Glue for the credentials' account in --regions (or
    the config's); with a local --location only delivery, gaps and the table are checked.

    The period is --start/--end/--last (the last 24 hours by default; at most 93 days).

    Exits 1 when a control fails. The requirement each control is commonly mapped to is guidance,
    not certification.
    """
    from datetime import datetime, timezone

    from flowsql.compliance import render, report
    from flowsql.compliance.controls_bucket import parse_retention

    now = datetime.now(timezone.utc).replace(microsecond=0)
    first, last = report.period(window, now)
    days = parse_retention(retention) if retention is not None else None
    spec = ctx.spec(table_opts) if (table_opts.get("location") or ctx.config.table.get("location")) else None
    if spec is not None and not spec.is_s3:
        result = report.local_report(spec=spec, start=first, end=last, retention_days=days, now=now)
    else:
        settings = ctx.athena(table_opts)
        regions = _regions(table_opts, spec, settings)
        accounts = table_opts.get("accounts") or (spec.accounts if spec else ())
        result = report.aws_report(
            spec=spec,
            settings=settings,
            regions=regions,
            accounts=accounts,
            start=first,
            end=last,
            retention_days=days,
            now=now,
            assume_role=assume_role,
            records=records,
        )
    text = render.render(result, fmt, verbose=verbose)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        counts = ", ".join(f"{n} {s}" for s, n in result.counts().items() if n)
        click.echo(f"wrote {output}: {counts}", err=True)
    else:
        click.echo(text, nl=False)
    if result.failed:
        click.get_current_context().exit(1)


def _regions(table_opts: dict[str, Any], spec: Any, settings: Any) -> tuple[str, ...]:
    from flowsql import aws
    from flowsql.errors import ConfigError

    regions = table_opts.get("regions") or (spec.regions if spec else ())
    if regions:
        return tuple(regions)
    region = settings.region or aws.session(settings).region_name
    if not region:
        raise ConfigError("no Region to check", hint="pass --regions us-east-1,eu-west-1 (or --region)")
    return (region,)
