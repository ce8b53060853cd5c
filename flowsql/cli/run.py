"""CLI commands: run. Rows go to stdout in the chosen format; progress, skipped files and the run's
statistics go to stderr, so `--format json` output can be piped as it is."""

from __future__ import annotations

import sys
from typing import Any

import click

from flowsql.cli.options import (
    execution_options,
    merge_window,
    output_options,
    params_option,
    pass_context,
    table_options,
    window_options,
)
from flowsql.cli.terminal import StatusLine


class TerminalProgress(StatusLine):
    """Athena's state, time and bytes scanned so far, as a status line."""

    def __call__(self, report: Any) -> None:
        from flowsql.results import format_bytes

        text = f"athena: {report.state.lower()} {report.elapsed_seconds:.1f}s"
        if report.bytes_scanned:
            text += f", {format_bytes(report.bytes_scanned)} scanned"
        self.show(text)


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def open_session(
    ctx: Any,
    table_opts: dict[str, Any],
    engine: str | None,
    queries: tuple[str, ...],
    *,
    skip_bad_files: bool = False,
    timeout: float | None = None,
    no_cache: bool = False,
) -> tuple[Any, Any, Any]:
    """The Session for a command that runs SQL, its Athena settings, and the progress line (or None)."""
    from flowsql.cli.terminal import LocalProgress
    from flowsql.session import Session

    settings = ctx.athena(table_opts)
    if timeout is not None:
        settings.timeout_seconds = timeout
    engine_name = engine or ctx.config.engine
    progress: Any = None
    if _stderr_is_terminal():
        progress = TerminalProgress(sys.stderr) if engine_name == "athena" else LocalProgress(sys.stderr)
    session = Session(
        ctx.spec(table_opts),
        engine=engine_name,
        settings=settings,
        query_dirs=ctx.config.query_dirs(list(queries)),
        skip_bad_files=skip_bad_files,
        max_window_days=ctx.config.max_window_days,
        progress=progress if engine_name == "athena" else None,
        config=ctx.config,
        cache=False if no_cache else None,
    )
    if engine_name != "athena":
        session.local_progress = progress
    return session, settings, progress


def report(
    session: Any,
    settings: Any,
    rows: Any,
    *,
    fmt: str,
    output_file: str | None,
    wide: bool,
    quiet: bool,
    chart: bool = False,
    chart_column: str | None = None,
) -> None:
    """Rows (or their chart) to stdout or FILE; skipped files, an empty window and the statistics
    line to stderr."""
    from flowsql.cli.terminal import table_width, write_rows

    if chart:
        from flowsql import charts

        text = charts.terminal_chart(rows, column=chart_column, width=table_width(sys.stdout) or 80)
        if output_file:
            with open(output_file, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            click.echo(text, nl=False)
    else:
        write_rows(rows.columns, rows, fmt, output_file, wide=wide)
    for path, reason in rows.stats.files_skipped:
        click.echo(f"warning: skipped {path}: {reason}", err=True)
    for warning in rows.stats.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not rows and rows.stats.window is not None:
        from flowsql.tables.coverage import empty_window_note

        note = empty_window_note(session.spec, rows.stats.window, settings)
        if note:
            click.echo(f"warning: {note}", err=True)
    if not quiet:
        click.echo(rows.stats.summary(), err=True)


def scan_check(
    ctx: Any, session: Any, settings: Any, window: Any, max_scan: str | None, estimate_only: bool
) -> bool:
    """--estimate and --max-scan: True when the estimate was printed and the command should stop."""
    limit = max_scan or (ctx.config.max_scan if session.engine_name == "athena" else None)
    if not (estimate_only or limit):
        return False
    from flowsql.cost.estimate import check_scan

    found = check_scan(session.spec, window, settings, limit, estimate_only)
    if estimate_only and found is not None:
        click.echo(found.summary())
        if found.objects == 0:
            from flowsql.tables.coverage import empty_window_note

            note = empty_window_note(session.spec, window, settings, objects=0)
            if note:
                click.echo(f"warning: {note}", err=True)
        return True
    return False


@click.command()
@click.argument("name", required=False)
@params_option
@window_options
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    help="How many rows, for investigations with a limit parameter (as -p limit=N).",
)
@execution_options
@table_options
@output_options
@pass_context
def run(
    ctx: Any,
    name: str | None,
    params: tuple[str, ...],
    queries: tuple[str, ...],
    window: dict[str, Any],
    limit: int | None,
    engine: str | None,
    table_opts: dict[str, Any],
    fmt: str,
    output_file: str | None,
    wide: bool,
    chart: bool,
    chart_column: str | None,
    skip_bad_files: bool,
    timeout: float | None,
    no_cache: bool,
    quiet: bool,
    estimate_only: bool,
    max_scan: str | None,
) -> None:
    """Run investigation NAME and print its rows.

    The time window is --start/--end/--last (or -p start=… -p end=…), UTC. A lone --start covers
    --last (24 hours unless given) from it, never past now; a lone --end the --last before it;
    neither, the --last up to now. Times: 2024-05-01, 2024-05-01T13:00Z, now, today, yesterday,
    -6h. `flowsql show NAME` lists the other parameters.
    """
    from flowsql.errors import ParameterError
    from flowsql.investigations.params import parse_assignments

    if not name:
        raise ParameterError(
            "run needs the NAME of an investigation",
            hint="`flowsql list` shows them all; `flowsql show NAME` its parameters",
        )
    values = merge_window(parse_assignments(params), window)
    session, settings, progress = open_session(
        ctx, table_opts, engine, queries, skip_bad_files=skip_bad_files, timeout=timeout, no_cache=no_cache
    )
    try:
        if limit is not None:
            values = _with_limit(session.investigation(name), values, limit)
        rendered = session.prepare(name, **values)
        if scan_check(ctx, session, settings, rendered.window, max_scan, estimate_only):
            return
        rows = session.execute(rendered.sql, window=rendered.window)
        rows.stats.params = dict(rendered.values)
    finally:
        if progress is not None:
            progress.clear()
        session.close()
    report(
        session, settings, rows, fmt=fmt, output_file=output_file, wide=wide, quiet=quiet,
        chart=chart, chart_column=chart_column,
    )  # fmt: skip


def _with_limit(inv: Any, values: dict[str, Any], limit: int) -> dict[str, Any]:
    from flowsql.errors import ParameterError

    if "limit" not in inv.params:
        raise ParameterError(
            f"{inv.name} has no limit parameter, so --limit does not apply",
            hint=f"its parameters: {', '.join(['start', 'end', 'last', *inv.params])} "
            f"(`flowsql show {inv.name}`)",
        )
    if "limit" in values:
        raise ParameterError("limit was given twice: as --limit and as -p limit=…", hint="keep --limit")
    return {**values, "limit": limit}
