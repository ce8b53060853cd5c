"""CLI commands: speed and cost — `compact` (text flow logs → Parquet) and `estimate` (what an
Athena run would scan and cost)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import click

from flowsql.cli.options import Context, pass_context, table_options, window_options
from flowsql.errors import ConfigError

COMPRESSIONS = ("zstd", "snappy", "gzip")  # flowsql.cost.compact.COMPRESSIONS, kept here to stay light


@click.command()
@table_options
@click.option(
    "--to",
    "dest",
    required=True,
    metavar="DEST",
    help="Where the Parquet copy goes: a local folder (duckdb) or an s3:// prefix (athena).",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "athena"]),
    help="Rewrite local files with DuckDB, or run CTAS/INSERT on Athena [athena when DEST is s3://].",
)
@click.option("--start", help="First day to compact (UTC) [duckdb: every day; athena: --start-date].")
@click.option("--end", help="Last day to compact, inclusive (UTC) [duckdb: every day; athena: today].")
@click.option(
    "--compression",
    type=click.Choice(COMPRESSIONS),
    default="zstd",
    show_default=True,
    help="Parquet compression codec.",
)
@click.option("--target-table", help="Athena: name of the Parquet table to create [TABLE_parquet].")
@click.option("--dry-run", is_flag=True, help="Athena: print the validated statements, run nothing.")
@click.option("--threads", type=click.IntRange(min=1), help="DuckDB threads [all cores].")
@click.option("-q", "--quiet", is_flag=True, help="No line per partition on stderr.")
@pass_context
def compact(
    ctx: Context,
    table_opts: dict[str, Any],
    dest: str,
    engine: str | None,
    start: str | None,
    end: str | None,
    compression: str,
    target_table: str | None,
    dry_run: bool,
    threads: int | None,
    quiet: bool,
) -> None:
    """Rewrite text flow logs as Parquet, laid out as AWS writes Parquet flow logs.

    Locally (DuckDB) each partition becomes Parquet files under DEST in Hive-compatible prefixes;
    a rerun skips partitions already complete (checked by row counts) and redoes missing or changed
    ones. On Athena, a CTAS creates the Parquet table at DEST and INSERT INTO statements fill it, at
    most 100 partitions each. Either way, the table options for the copy are printed at the end.
    """
    from flowsql.cost import compact as compactmod
    from flowsql.cost import compact_local

    engine = engine or ("athena" if dest.startswith("s3://") else "duckdb")
    if engine == "athena":
        _compact_athena(ctx, table_opts, dest, start, end, compression, target_table, dry_run, quiet)
        return
    if target_table or dry_run:
        raise ConfigError("--target-table and --dry-run apply to --engine athena only")
    spec = ctx.spec(table_opts)
    days = None
    if start or end:
        first, last = compactmod.day_range(spec, start, end)
        days = (first if start else date.min, last)

    def progress(result: Any) -> None:
        if not quiet:
            click.echo(f"{result.partition.label}: {result.status}, {result.rows:,} rows", err=True)

    report = compact_local.compact_local(
        spec, dest, days=days, compression=compression, threads=threads, on_partition=progress
    )
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(report.summary(), err=True)
    click.echo("Query the Parquet copy with these table options:")
    click.echo("  " + compactmod.table_options_text(report.target))


def _compact_athena(
    ctx: Context,
    table_opts: dict[str, Any],
    dest: str,
    start: str | None,
    end: str | None,
    compression: str,
    target_table: str | None,
    dry_run: bool,
    quiet: bool,
) -> None:
    from flowsql.cost import compact as compactmod
    from flowsql.cost import compact_athena
    from flowsql.results import athena_cost, format_bytes, format_cost

    spec = ctx.spec(table_opts, discover_partitions=True)
    first, last = compactmod.day_range(spec, start, end)
    if dry_run:
        target, batches = compact_athena.athena_batches(
            spec, dest, first, last, table=target_table, compression=compression
        )
        for i, batch in enumerate(batches, 1):
            click.echo(f"-- {i}/{len(batches)}: {batch.kind.upper()}, up to {batch.partitions} partitions")
            click.echo(batch.sql + ";\n")
        click.echo(f"-- then query the Parquet table with: {compactmod.table_options_text(target)}")
        return
    settings = ctx.athena(table_opts)
    total = 0

    def progress(batch: Any, rows: Any) -> None:
        nonlocal total
        scanned = rows.stats.bytes_scanned or 0
        total += scanned
        if not quiet:
            click.echo(
                f"{batch.kind.upper()} {batch.days[0]}..{batch.days[-1]}: {format_bytes(scanned)} scanned, "
                f"id {rows.stats.execution_id}",
                err=True,
            )

    target, done = compact_athena.compact_athena(
        spec, dest, settings, first, last, table=target_table, compression=compression, on_statement=progress
    )
    cost = sum(athena_cost(rows.stats.bytes_scanned or 0) or 0 for _, rows in done)
    click.echo(
        f"{len(done)} statement(s) on Athena: {format_bytes(total)} scanned, {format_cost(cost)}", err=True
    )
    click.echo(f"Table {target.database}.{target.table} written. Query it with these table options:")
    click.echo("  " + compactmod.table_options_text(target))


@click.command()
@table_options
@window_options
@click.option("--max-scan", metavar="SIZE", help="Exit with status 3 above this size (10GB, 1TiB…).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_context
def estimate(
    ctx: Context,
    table_opts: dict[str, Any],
    window: dict[str, Any],
    max_scan: str | None,
    fmt: str,
) -> None:
    """Estimate what an Athena query over a time window scans and costs, before running it.

    Lists the objects under exactly the partitions the window's partition predicate selects and sums
    their sizes (text: the compressed bytes Athena bills; Parquet: an upper bound). The window is
    --start/--end/--last, by the rule `flowsql show NAME` states (a lone --start: --last from it,
    never past now).
    """
    from datetime import timedelta

    from flowsql.cost import estimate as estimatemod
    from flowsql.investigations.window import TimeWindow

    spec = ctx.spec(table_opts)
    bounds = TimeWindow.parse(**window, max_span=timedelta(days=ctx.config.max_window_days))
    limit = max_scan or ctx.config.max_scan
    settings = ctx.athena(table_opts)
    found = estimatemod.check_scan(spec, bounds, settings, limit, True)
    assert found is not None
    if fmt == "json":
        click.echo(
            json.dumps({**found.to_dict(), "start": bounds.start.isoformat(), "end": bounds.end.isoformat()})
        )
    else:
        click.echo(f"{found.summary()} (window {bounds.describe()})")
    if found.objects == 0:
        from flowsql.tables.coverage import empty_window_note

        note = empty_window_note(spec, bounds, settings, objects=0)
        if note:
            click.echo(f"warning: {note}", err=True)
