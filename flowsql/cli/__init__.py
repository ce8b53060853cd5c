"""The `flowsql` command: a thin click shell over the library. Heavy modules are imported inside
commands so `flowsql --help`, `list` and `show` start fast.

The group lives in `app`, shared options in `options`, one module per command area; this module
registers the commands on the group (the only place that knows them all) and turns errors into
messages and exit statuses."""

from __future__ import annotations

import sys

import click

from flowsql.cli import cache, compliance, cost, doctor, inventory, queries, run, sample, sql, tables
from flowsql.cli.app import cli
from flowsql.errors import FlowsqlError

COMMANDS: tuple[click.Command, ...] = (
    tables.ddl,
    tables.init,
    tables.partitions,
    tables.describe,
    doctor.doctor,
    queries.list_command,
    queries.show,
    queries.render,
    queries.validate,
    run.run,
    sql.sql_command,
    cost.compact,
    cost.estimate,
    sample.sample_command,
    sample.demo_command,
    compliance.compliance,
    cache.cache_group,
    inventory.inventory,
)
for _command in COMMANDS:
    cli.add_command(_command)

__all__ = ["COMMANDS", "cli", "main"]


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


if __name__ == "__main__":
    main()
