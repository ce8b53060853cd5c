"""The `flowsql` command: a thin click shell over the library. Heavy modules are imported inside
commands so `flowsql --help`, `list` and `show` start fast.

The group lives in `app`, shared options in `options`, one module per command area; this module
registers the commands on the group (the only place that knows them all) and turns errors into
messages and exit statuses."""

from __future__ import annotations

import sys

import click

from flowsql.cli.app import cli
from flowsql.errors import FlowsqlError

# name -> (module, attribute, the summary `flowsql --help` shows). A command's module is imported
# only when it runs or shows its own help.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "ddl": (
        "flowsql.cli.tables",
        "ddl",
        "Print the Athena DDL for the table (database, table, partition projection).",
    ),
    "init": (
        "flowsql.cli.tables",
        "init",
        "Look at the flow-log files, create their table, and save the settings in the project config.",
    ),
    "partitions": (
        "flowsql.cli.tables",
        "partitions",
        "Classic Glue partitions, for tables created with --partitioning partitions.",
    ),
    "describe": (
        "flowsql.cli.tables",
        "describe",
        "Read the table back from the Glue catalog and print its TABLE OPTIONS.",
    ),
    "doctor": (
        "flowsql.cli.doctor",
        "doctor",
        "Check the table against the objects under its location; print each finding with its evidence"
        " and the command or option that fixes it.",
    ),
    "list": (
        "flowsql.cli.queries",
        "list_command",
        "List the investigations, and whether the configured table has the fields each needs.",
    ),
    "show": (
        "flowsql.cli.queries",
        "show",
        "Show everything about investigation NAME: description, parameters, fields, template.",
    ),
    "render": (
        "flowsql.cli.queries",
        "render",
        "Print the validated Athena SQL of investigation NAME, ready to paste into the console.",
    ),
    "validate": (
        "flowsql.cli.queries",
        "validate",
        "Check investigations: the packaged ones and your folders, or only PATH (files or folders).",
    ),
    "run": (
        "flowsql.cli.run",
        "run",
        "Run investigation NAME and print its rows.",
    ),
    "sql": (
        "flowsql.cli.sql",
        "sql_command",
        "Run one read-only SELECT against the flow-log table and print its rows.",
    ),
    "compact": (
        "flowsql.cli.cost",
        "compact",
        "Rewrite text flow logs as Parquet, laid out as AWS writes Parquet flow logs.",
    ),
    "estimate": (
        "flowsql.cli.cost",
        "estimate",
        "Estimate what an Athena query over a time window scans and costs, before running it.",
    ),
    "sample": (
        "flowsql.cli.sample",
        "sample_command",
        "Write realistic VPC flow logs with planted incidents into OUT.",
    ),
    "demo": (
        "flowsql.cli.sample",
        "demo_command",
        "Generate sample flow logs and tour the investigations that find what was planted in them.",
    ),
    "compliance": (
        "flowsql.cli.compliance",
        "compliance",
        "Compliance evidence for VPC Flow Logs: one line per control, PASS/FAIL/WARN, with evidence.",
    ),
    "inventory": (
        "flowsql.cli.inventory",
        "inventory",
        "The context investigations join flow records with: interfaces, security groups and rules,"
        " subnets, VPCs, NAT gateways (from EC2) and AWS's published IP ranges.",
    ),
    "cache": (
        "flowsql.cli.cache",
        "cache_group",
        "Show or free what flowsql keeps between runs (FLOWSQL_CACHE_DIR moves it, '' turns it off).",
    ),
}
cli.lazy = COMMANDS

__all__ = ["COMMANDS", "cli", "entry", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point: any FlowsqlError becomes one message on stderr and a non-zero exit."""
    try:
        code = cli.main(args=argv, prog_name="flowsql", standalone_mode=False)
        # Outside standalone mode click returns ctx.exit(n)'s status instead of exiting with it.
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except FlowsqlError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort as exc:
        # click turns a Ctrl-C into Abort; say what happened
        interrupted = isinstance(exc.__cause__, KeyboardInterrupt)
        click.echo("interrupted" if interrupted else "aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        from flowsql.cli.terminal import reader_may_leave

        with reader_may_leave():
            raise
    except OSError as exc:
        # The system refused (a full disk, a permission, a file gone): what it said, not "a bug".
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"error: {exc.strerror or exc}{where}", err=True)
        sys.exit(74)
    except Exception as exc:
        # A bug, not a user's mistake: say so in one line; FLOWSQL_DEBUG=1 shows the traceback.
        import os

        if os.environ.get("FLOWSQL_DEBUG"):
            raise
        click.echo(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "  hint: this is a flowsql bug; rerun with FLOWSQL_DEBUG=1 for the traceback and report it",
            err=True,
        )
        sys.exit(70)


def entry() -> None:
    """The `flowsql` command (console script and `python -m flowsql`): main(), then a quick exit.

    Python's own shutdown takes apart every module and object one by one, ~30 ms after a query: a
    tenth of a run over an empty window. By then the command's work is done, so what shutdown would
    still do that matters is done here (the DuckDB databases closed, which removes their spill
    files; atexit handlers run; stdout and stderr flushed, a failed write reported) and the process
    ends at once. Not while a non-daemon thread runs (Python would wait for it); never from main(),
    which tests and notebooks call in-process."""
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    _exit_now(code)


def _exit_now(code: object) -> None:
    import atexit
    import os
    import threading

    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): Python prints it and exits 1
        print(code, file=sys.stderr)
        status = 1
    databases = sys.modules.get("flowsql.engines.duckdb.database")
    if databases is not None:
        databases.close_all()
    atexit._run_exitfuncs()  # what the interpreter would call at exit (CPython has no public name)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            pass  # the reader left (`| head`): what it wanted it has, as in reader_may_leave
        except (OSError, ValueError) as exc:
            if stream is sys.stdout:
                print(
                    f"error: the output could not be written: {getattr(exc, 'strerror', exc)}",
                    file=sys.stderr,
                )
                status = status or 74
    os._exit(status)


if __name__ == "__main__":
    entry()
