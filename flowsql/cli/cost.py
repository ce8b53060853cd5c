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
@window_options(last_default="none: every day")
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
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress on stderr: no status line, no line per partition."
)
@pass_context
def compact(
    ctx: Context,
    table_opts: dict[str, Any],
    dest: str,
    engine: str | None,
    window: dict[str, Any],
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

    Which days: every day, unless --start/--end/--last say otherwise. They take the same times as
    on `flowsql run` (2024-05-01, 2024-05-01T13:00Z, now, today, yesterday, -6h; --end exclusive)
    and the window is widened to the whole UTC days it touches, which compact names on stderr:
    `--last 7d` is the 8 days from 7 days ago to today, `--start 2024-05-01 --end 2024-05-03` the
    1st and 2nd. --last has no default here: a lone --start runs to now, a lone --end from the
    first day there is.

    Progress, on stderr: on a terminal, a status line after about a second (partitions done of the
    total, gzip text read → Parquet written; on Athena the statement running), replaced by the
    summary; into a file or pipe, one line per partition (Athena: per statement), as a log has
    them. -q turns both off.
    """
    from flowsql.cli.terminal import progress_line
    from flowsql.cost import compact as compactmod
    from flowsql.cost import compact_local

    engine = engine or ("athena" if dest.startswith("s3://") else "duckdb")
    days = compactmod.day_range(window.get("start"), window.get("end"), window.get("last"))
    if days.describe():
        click.echo(f"compacting {days.describe()}", err=True)
    if engine == "athena":
        _compact_athena(ctx, table_opts, dest, days, compression, target_table, dry_run, quiet)
        return
    if target_table or dry_run:
        raise ConfigError("--target-table and --dry-run apply to --engine athena only")
    spec = ctx.spec(table_opts)
    bounds = None
    if days.first or days.last:
        bounds = (days.first or date.min, days.last or date.max)

    def log_line(result: Any) -> None:
        click.echo(f"{result.partition.label}: {result.status}, {result.rows:,} rows", err=True)

    line = progress_line("compact", quiet=quiet)
    try:
        report = compact_local.compact_local(
            spec,
            dest,
            days=bounds,
            compression=compression,
            threads=threads,
            on_partition=log_line if line is None and not quiet else None,
            on_progress=None if line is None else lambda state: line.update(_compact_text(state)),
        )
    finally:
        if line is not None:
            line.close()
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(report.summary(), err=True)
    click.echo("Query the Parquet copy with these table options:")
    click.echo("  " + compactmod.table_options_text(report.target))


def _compact_text(state: Any) -> str:
    """A CompactProgress for the status line: partitions done of the total, bytes read → written,
    and the partition being written."""
    from flowsql.results import format_bytes

    text = (
        f"{state.partitions:,}/{state.partitions_total:,} partitions, read {format_bytes(state.source_bytes)}"
        f" of {format_bytes(state.source_bytes_total)} → wrote {format_bytes(state.output_bytes)}"
    )
    now = state.current
    if now is not None:
        where = now.label if state.places > 1 else now.label.split("/", 2)[-1]  # the day (and hour)
        text += f", now {where}" + (f" {state.percent:.0f}%" if state.percent is not None else "")
    return text


def _compact_athena(
    ctx: Context,
    table_opts: dict[str, Any],
    dest: str,
    days: Any,
    compression: str,
    target_table: str | None,
    dry_run: bool,
    quiet: bool,
) -> None:
    from flowsql.cli.terminal import progress_line
    from flowsql.cost import compact as compactmod
    from flowsql.cost import compact_athena
    from flowsql.results import athena_cost, format_bytes, format_cost

    spec = ctx.spec(table_opts, discover_partitions=True)
    first, last = days.bounds(spec)
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
    line = progress_line("compact", quiet=quiet)

    def started(batch: Any, number: int, count: int) -> None:
        if line is not None:
            line.update(
                f"statement {number} of {count} ({batch.kind.upper()}, {batch.days[0]} … {batch.days[-1]}), "
                f"{format_bytes(total)} scanned so far"
            )

    def progress(batch: Any, rows: Any) -> None:
        nonlocal total
        scanned = rows.stats.bytes_scanned or 0
        total += scanned
        if line is None and not quiet:
            click.echo(
                f"{batch.kind.upper()} {batch.days[0]}..{batch.days[-1]}: {format_bytes(scanned)} scanned, "
                f"id {rows.stats.execution_id}",
                err=True,
            )

    try:
        target, done = compact_athena.compact_athena(
            spec,
            dest,
            settings,
            first,
            last,
            table=target_table,
            compression=compression,
            on_statement=progress,
            on_start=started,
        )
    finally:
        if line is not None:
            line.close()
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
