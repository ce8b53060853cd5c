"""CLI command: sql — ad-hoc Athena SQL from the shell, with the checks, window, engines and output
of `flowsql run` (and of `Session.sql` in Python)."""

from __future__ import annotations

from typing import Any

import click

from flowsql.cli.options import (
    execution_options,
    output_options,
    pass_context,
    queries_option,
    table_options,
    window_options,
)
from flowsql.cli.run import open_session, report, scan_check


@click.command("sql")
@click.argument("statement", required=False)
@click.option(
    "-f",
    "--file",
    "sql_file",
    type=click.File("r", encoding="utf-8"),
    help="Read the statement from FILE ('-' for stdin).",
)
@window_options
@execution_options
@table_options
@output_options
@queries_option
@click.option("--yes", is_flag=True, default=False, help="Athena: run an unbounded statement (no window).")
@pass_context
def sql_command(
    ctx: Any,
    statement: str | None,
    sql_file: Any,
    window: dict[str, Any],
    engine: str | None,
    table_opts: dict[str, Any],
    fmt: str,
    output_file: str | None,
    wide: bool,
    queries: tuple[str, ...],
    skip_bad_files: bool,
    timeout: float | None,
    no_cache: bool,
    quiet: bool,
    estimate_only: bool,
    max_scan: str | None,
    yes: bool,
    chart: bool,
    chart_column: str | None,
) -> None:
    """Run one read-only SELECT against the flow-log table and print its rows.

    STATEMENT (or -f FILE) is Athena SQL over the table (its name, e.g. flow_logs, or
    database.table); it is checked like an investigation: one read-only query, only this table and
    its own WITH names, known columns, every computed column named with AS.

    With --start/--end/--last every read of the table is bounded to that window (and its partitions);
    without, the statement reads the whole table, which on Athena needs --max-scan or --yes.
    """
    from flowsql.errors import ParameterError, ScanLimitExceeded

    if (statement is None) == (sql_file is None):
        raise ParameterError(
            "sql needs one statement: as an argument or with -f FILE, not both"
            if statement is not None
            else 'sql needs a statement: flowsql sql "SELECT …" or flowsql sql -f FILE.sql',
            hint='e.g. flowsql sql "SELECT action, count(*) AS flows FROM flow_logs GROUP BY action" '
            "--last 1d",
        )
    text = statement if statement is not None else sql_file.read()
    session, settings, progress = open_session(
        ctx, table_opts, engine, queries, skip_bad_files=skip_bad_files, timeout=timeout, no_cache=no_cache
    )
    try:
        sql, bounds = session.prepare_sql(text, **window)
        if bounds is None:
            click.echo(
                "note: no --start/--end/--last: the statement is unbounded and reads the whole table",
                err=True,
            )
            if session.engine_name == "athena" and not (yes or max_scan or estimate_only):
                raise ScanLimitExceeded(
                    "an unbounded statement on Athena scans every object under the location",
                    hint="bound it with --start/--end or --last, cap it with --max-scan SIZE, "
                    "or pass --yes to run it anyway",
                )
        if scan_check(ctx, session, settings, bounds, max_scan, estimate_only):
            return
        rows = session.execute(sql, window=bounds)
    finally:
        if progress is not None:
            progress.clear()
        session.close()
    report(
        session, settings, rows, fmt=fmt, output_file=output_file, wide=wide, quiet=quiet,
        chart=chart, chart_column=chart_column,
    )  # fmt: skip
