"""CLI commands: the table manager (ddl, init, partitions, describe)."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import click

from flowsql.cli.flowlog import apply_flow_logs, flow_log_option
from flowsql.cli.options import Context, pass_context, table_options
from flowsql.errors import ConfigError


@click.command()
@table_options
@pass_context
def ddl(ctx: Context, table_opts: dict[str, Any]) -> None:
    """Print the Athena DDL for the table (database, table, partition projection).

    With partition projection and no --accounts/--regions, the location is listed to find them.
    """
    from flowsql.tables import ddl as ddlmod

    spec = ctx.spec(table_opts, discover_partitions=_projection(ctx, table_opts))
    click.echo(ddlmod.script(ddlmod.statements(spec)))


def _projection(ctx: Context, table_opts: dict[str, Any]) -> bool:
    chosen = table_opts.get("partitioning") or ctx.config.table.get("partitioning") or "projection"
    return chosen == "projection"


@click.command()
@table_options
@click.option(
    "--engine",
    type=click.Choice(["athena", "duckdb"]),
    help="Create the Glue/Athena table, or set up a local folder for DuckDB [athena for s3://, else duckdb].",
)
@click.option(
    "--via",
    type=click.Choice(["glue", "athena"]),
    default="glue",
    show_default=True,
    help="Create through the Glue API (free, no result bucket) or by running the DDL on Athena.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be done; change nothing.")
@click.option("--replace", is_flag=True, help="Overwrite a table of that name with another definition.")
@flow_log_option
@pass_context
def init(
    ctx: Context,
    table_opts: dict[str, Any],
    engine: str | None,
    via: str,
    dry_run: bool,
    replace: bool,
    flow_logs: tuple[str, ...] = (),
) -> None:
    """Look at the flow-log files, create their table, and save the settings in the project config.

    The files tell the layout (aws or hive), daily or hourly partitions, text or Parquet, the
    accounts and Regions, and the log format (from the header lines); options given are checked
    against them. On S3 the Athena workgroup tells where query results go (else pass
    --output-location). Idempotent: a second run changes nothing. A table of the same name with a
    different definition is refused, with the differences, unless --replace.
    """
    from flowsql import config as configmod
    from flowsql.tables.findings import Finding

    table_opts = apply_flow_logs(ctx, table_opts, flow_logs)
    settings = ctx.athena(table_opts)
    found = _detected(ctx, table_opts, settings)
    spec = found.spec
    engine = engine or ("athena" if spec.is_s3 else "duckdb")
    if engine == "duckdb" and spec.is_s3:
        raise ConfigError("--engine duckdb reads a local folder; pass --location DIR")
    if engine == "athena" and not spec.is_s3:
        raise ConfigError(f"--engine athena needs an s3:// location, got {spec.location}")
    _echo_findings(found.findings)
    cfg = ctx.config
    if engine == "athena":
        from flowsql.engines.athena_workgroup import resolve_results

        given_by = None
        if not table_opts.get("output_location") and cfg.athena.output_location:
            given_by = f"output_location (saved in {configmod.config_path(cfg.path)})"
        results = resolve_results(settings, given_by=given_by)
        _echo_findings([Finding("engine", "athena"), *results.findings])
        settings.workgroup, settings.output_location = results.workgroup, results.output_location
        settings.region = settings.region or results.region
        if via == "glue":
            from flowsql.tables.catalog import GlueCatalog

            actions = GlueCatalog(settings).init(spec, replace=replace, dry_run=dry_run).actions
        else:
            actions = _init_via_athena(spec, settings, replace=replace, dry_run=dry_run)
        cfg.athena.output_location = None  # the workgroup's own location, when it has one, wins
    else:
        _echo_findings([Finding("engine", "duckdb, over the local files (no AWS account needed)")])
        actions = []
    cfg.table = spec.to_dict()
    if not spec.is_s3:  # --location is relative to here; the config file keeps it for its own folder
        cfg.table["location"] = os.path.abspath(spec.location) + "/"
    cfg.engine = engine
    for key, value in vars(settings).items():
        if value is not None:
            setattr(cfg.athena, key, value)
    prefix = "would " if dry_run else ""
    for action in actions:
        click.echo(f"{prefix}{action}")
    if dry_run:
        click.echo(f"would save settings to {configmod.config_path(cfg.path)}")
        return
    path = configmod.save(cfg)
    click.echo(f"saved settings to {path}")
    click.echo("next:")
    click.echo(f"  {'flowsql list':<36}# the investigations these fields support")
    if spec.is_s3:
        click.echo(f"  {'flowsql run top_talkers --estimate':<36}# what the last 24 hours would scan, in $")
        click.echo("  flowsql run top_talkers")
    else:
        click.echo(f"  flowsql run top_talkers{_window(found.first_day, found.last_day)}")


def _detected(ctx: Context, table_opts: dict[str, Any], settings: Any) -> Any:
    """The table the files describe, from the options given (flags over the config file).
    Another source of options (a flow log's description) would return the same Detection."""
    from flowsql.tables.detect import detect

    opts = dict(table_opts)
    detect_format = opts.pop("detect_format", False)
    if detect_format and opts.get("log_format"):
        raise ConfigError("--log-format and --detect-format exclude each other: give one")
    saved = ctx.config.table
    if opts.get("location") and saved.get("location"):
        from flowsql.tables.spec import normalize_location

        if normalize_location(opts["location"]) != normalize_location(str(saved["location"])):
            # Another location: what the config says about the old files does not bind the new ones.
            keep = ("database", "table", "partitioning", "start_date")
            saved = {k: v for k, v in saved.items() if k in keep}
    given = {**saved, **{k: v for k, v in opts.items() if v not in (None, ())}}
    if detect_format:
        given.pop("log_format", None)
    if not given.get("location"):
        raise ConfigError("no location given", hint="pass --location s3://bucket/prefix or a local folder")
    return detect(given, settings)


def _echo_findings(findings: list[Any]) -> None:
    """Findings as an aligned list: the topic once, then what was found; warnings marked."""
    previous = None
    for finding in findings:
        topic = "" if finding.topic == previous else f"{finding.topic}:"
        mark = "! " if finding.warning else ""
        click.echo(f"  {topic:<10} {mark}{finding.text}")
        previous = finding.topic


def _window(first: date | None, last: date | None) -> str:
    """` --start … --end …` over the days the files hold (at most the last 31), or nothing."""
    from datetime import timedelta

    if first is None or last is None:
        return ""
    end = last + timedelta(days=1)
    start = max(first, end - timedelta(days=31))
    return f" --start {start.isoformat()} --end {end.isoformat()}"


def _init_via_athena(spec: Any, settings: Any, *, replace: bool, dry_run: bool) -> list[str]:
    """Run the DDL on Athena. Athena's catalog is Glue, so the conflict check reads Glue first."""
    from flowsql.tables import ddl as ddlmod
    from flowsql.tables.catalog import GlueCatalog, differences_allowed

    statements = ddlmod.statements(spec)
    catalog = GlueCatalog(settings)
    existing = catalog.get_table(spec.database, spec.table) if catalog.has_database(spec.database) else None
    if existing is not None:
        if not differences_allowed(existing, spec, replace=replace):
            return [f"table {spec.database}.{spec.table} is up to date"]
        statements = [statements[0], ddlmod.drop_table(spec), statements[1]]
    if dry_run:
        return [f"run on Athena: {s.purpose}" for s in statements]
    from flowsql.engines.athena import AthenaEngine

    engine = AthenaEngine(spec, settings)
    actions = []
    for statement in statements:
        engine.execute(statement.sql)
        actions.append(f"ran on Athena: {statement.purpose}")
    return actions


MAX_PARTITION_DAYS = 3660


@click.group()
def partitions() -> None:
    """Classic Glue partitions, for tables created with --partitioning partitions."""


@partitions.command("add")
@table_options
@click.option("--start", "first", required=True, help="First day (YYYY-MM-DD).")
@click.option("--end", "last", required=True, help="Last day, inclusive (YYYY-MM-DD).")
@click.option(
    "--via",
    type=click.Choice(["glue", "athena", "print"]),
    default="glue",
    show_default=True,
    help="BatchCreatePartition, ALTER TABLE … ADD PARTITION on Athena, or print the statements.",
)
@pass_context
def partitions_add(ctx: Context, table_opts: dict[str, Any], first: str, last: str, via: str) -> None:
    """Add the partitions of every account, Region and day (and hour) in a date range."""
    from flowsql.tables import ddl as ddlmod

    spec = ctx.spec(table_opts, discover_partitions=True)
    if spec.partitioning.value != "partitions":
        raise ConfigError(
            f"table {spec.database}.{spec.table} uses partition projection: it needs no partitions",
            hint="partitions are for tables created with --partitioning partitions",
        )
    day_first, day_last = _day(first, "--start"), _day(last, "--end")
    if day_last < day_first:
        raise ConfigError(f"--end {last} is before --start {first}")
    if (day_last - day_first).days >= MAX_PARTITION_DAYS:
        raise ConfigError(
            f"--start {first} --end {last} spans {(day_last - day_first).days + 1:,} days; "
            f"partitions add covers at most {MAX_PARTITION_DAYS:,} days (ten years) at a time",
            hint="add a range in several runs, or use partition projection (--partitioning projection)",
        )
    settings = ctx.athena(table_opts)
    if via == "glue":
        from flowsql.tables.catalog import GlueCatalog

        created = GlueCatalog(settings).add_partitions(spec, day_first, day_last)
        click.echo(f"added {created} partition(s) to {spec.database}.{spec.table}")
        return
    statements = ddlmod.add_partitions(spec, day_first, day_last)
    if via == "print":
        click.echo(ddlmod.script(statements))
        return
    from flowsql.engines.athena import AthenaEngine

    engine = AthenaEngine(spec, settings)
    for statement in statements:
        engine.execute(statement.sql)
        click.echo(f"ran on Athena: {statement.purpose}")


@partitions.command("repair")
@table_options
@pass_context
def partitions_repair(ctx: Context, table_opts: dict[str, Any]) -> None:
    """Load Hive-compatible partitions with MSCK REPAIR TABLE (layout hive only)."""
    from flowsql.tables import ddl as ddlmod

    spec = ctx.spec(table_opts)
    if spec.layout.value != "hive":
        raise ConfigError(
            "MSCK REPAIR TABLE only finds Hive-compatible prefixes (key=value folders)",
            hint="for the aws layout use `flowsql partitions add --start … --end …`",
        )
    from flowsql.engines.athena import AthenaEngine

    AthenaEngine(spec, ctx.athena(table_opts)).execute(ddlmod.repair_table(spec).sql)
    click.echo(f"ran on Athena: MSCK REPAIR TABLE {spec.database}.{spec.table}")


@click.command()
@table_options
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@pass_context
def describe(ctx: Context, table_opts: dict[str, Any], fmt: str) -> None:
    """Read the table back from the Glue catalog and print its TABLE OPTIONS."""
    import json

    from flowsql.tables.catalog import GlueCatalog, spec_from_table

    opts = ctx.config.table | {k: v for k, v in table_opts.items() if v not in (None, (), False)}
    database = opts.get("database") or "vpc_flow_logs"
    name = opts.get("table") or "flow_logs"
    table = GlueCatalog(ctx.athena(table_opts)).get_table(database, name)
    if table is None:
        raise ConfigError(f"table {database}.{name} does not exist in the Glue catalog")
    data = spec_from_table(table).to_dict()
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        import yaml

        click.echo(yaml.safe_dump(data, sort_keys=False).rstrip())


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} must be a date YYYY-MM-DD, got {text!r}") from None
