"""`flowsql doctor`: the answer to "why does my table return 0 rows (or shifted columns)?"."""

from __future__ import annotations

import sys
from typing import Any

import click

from flowsql.cli.options import Context, pass_context, table_options
from flowsql.errors import ConfigError


@click.command()
@table_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_context
def doctor(ctx: Context, table_opts: dict[str, Any], fmt: str) -> None:
    """Check the table against the objects under its location; print each finding with its evidence
    and the command or option that fixes it.

    Without --database/--table, the table the config and flags describe is checked; with them, the
    Glue table of that name (made by flowsql or not), from its own columns and properties. Exit
    status 0 when nothing is wrong, 1 otherwise.
    """
    import json

    from flowsql.tables import doctor as doctormod

    settings = ctx.athena(table_opts)
    if table_opts.get("database") or table_opts.get("table"):
        subject = _glue_subject(ctx, table_opts, settings)
    else:
        spec = ctx.spec(table_opts)
        subject = doctormod.subject_from_spec(spec)
        if spec.is_s3 and spec.partitioning.value == "partitions":
            glue = _glue_subject(
                ctx, {**table_opts, "database": spec.database, "table": spec.table}, settings
            )
            subject.partitions = glue.partitions
    report = doctormod.examine(subject, settings)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.text())
    if not report.healthy:
        sys.exit(1)


def _glue_subject(ctx: Context, table_opts: dict[str, Any], settings: Any) -> Any:
    from flowsql.tables import doctor as doctormod
    from flowsql.tables.catalog import GlueCatalog

    database = table_opts.get("database") or ctx.config.table.get("database") or "vpc_flow_logs"
    name = table_opts.get("table") or ctx.config.table.get("table") or "flow_logs"
    catalog = GlueCatalog(settings)
    table = catalog.get_table(database, name)
    if table is None:
        raise ConfigError(
            f"table {database}.{name} does not exist in the Glue catalog",
            hint="check --database/--table and --region, or create it with `flowsql init`",
        )
    partitions = None
    if table.get("Parameters", {}).get("projection.enabled", "").lower() != "true":
        partitions = catalog.partitions(database, name)
    return doctormod.subject_from_glue(table, partitions)
