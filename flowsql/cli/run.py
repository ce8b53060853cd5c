"""CLI commands: run. Rows go to stdout in the chosen format; progress, skipped files and the run's
statistics go to stderr, so `--format json` output can be piped as it is."""

from __future__ import annotations

import sys
from typing import IO, Any

import click

from flowsql.cli.options import params_option, pass_context, table_options
from flowsql.output import FORMATS


class TerminalProgress:
    """One status line on stderr, rewritten in place while Athena works and erased when it ends."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.width = 0

    def __call__(self, report: Any) -> None:
        from flowsql.results import format_bytes

        text = f"athena: {report.state.lower()} {report.elapsed_seconds:.1f}s"
        if report.bytes_scanned:
            text += f", {format_bytes(report.bytes_scanned)} scanned"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(text))

    def clear(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


@click.command()
@click.argument("name")
@params_option
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "athena"]),
    help="Where to run: DuckDB over local files, or Athena [the config's engine, else duckdb].",
)
@table_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--skip-bad-files",
    is_flag=True,
    default=False,
    help="DuckDB: skip files that cannot be read (each is listed on stderr) instead of stopping.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Athena: stop the query after SECONDS [config athena.timeout_seconds].",
)
@click.option("-q", "--quiet", is_flag=True, default=False, help="No statistics line on stderr.")
@click.option(
    "--estimate",
    "estimate_only",
    is_flag=True,
    default=False,
    help="Print the bytes and dollars the query would scan on Athena (listing its partitions), then stop.",
)
@click.option(
    "--max-scan",
    metavar="SIZE",
    help="Athena: refuse to run above this estimated scan, e.g. 10GB or 1TiB [config max_scan].",
)
@pass_context
def run(
    ctx: Any,
    name: str,
    params: tuple[str, ...],
    queries: tuple[str, ...],
    engine: str | None,
    table_opts: dict[str, Any],
    fmt: str,
    skip_bad_files: bool,
    timeout: float | None,
    quiet: bool,
    estimate_only: bool,
    max_scan: str | None,
) -> None:
    """Run investigation NAME and print its rows.

    The time window is -p start=… -p end=… (UTC, ISO-8601 dates or datetimes; default the last 24
    hours). `flowsql show NAME` lists the other parameters.
    """
    from flowsql import output
    from flowsql.investigations.params import parse_assignments
    from flowsql.session import Session

    values = parse_assignments(params)
    settings = ctx.athena(table_opts)
    if timeout is not None:
        settings.timeout_seconds = timeout
    engine_name = engine or ctx.config.engine
    progress = TerminalProgress(sys.stderr) if engine_name == "athena" and _stderr_is_terminal() else None
    session = Session(
        ctx.spec(table_opts),
        engine=engine_name,
        settings=settings,
        query_dirs=ctx.config.query_dirs(list(queries)),
        skip_bad_files=skip_bad_files,
        max_window_days=ctx.config.max_window_days,
        progress=progress,
        config=ctx.config,
    )
    try:
        rendered = session.prepare(name, **values)
        limit = max_scan or (ctx.config.max_scan if engine_name == "athena" else None)
        if estimate_only or limit:
            from flowsql.cost.estimate import check_scan

            found = check_scan(session.spec, rendered.window, settings, limit, estimate_only)
            if estimate_only and found is not None:
                click.echo(found.summary())
                return
        rows = session.execute(rendered.sql, window=rendered.window)
    finally:
        if progress is not None:
            progress.clear()
        session.close()
    output.write(rows.columns, rows, fmt)
    for path, reason in rows.stats.files_skipped:
        click.echo(f"warning: skipped {path}: {reason}", err=True)
    if not quiet:
        click.echo(rows.stats.summary(), err=True)
