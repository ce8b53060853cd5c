"""CLI commands of the query library: list, show, render, validate.

`list` and `show` read the query files only: they never import sqlglot or an engine."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from flowsql.cli.options import (
    Context,
    configured_spec,
    load_library,
    merge_window,
    params_option,
    pass_context,
    queries_option,
    table_options,
    window_options,
)


def _report_broken(errors: Sequence[Exception]) -> None:
    for exc in errors:
        click.echo(f"error: {exc}", err=True)


@click.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--wide", is_flag=True, default=False, help="Never cut long cells to fit the terminal.")
@click.option(
    "-o", "--output", "output_file", type=click.Path(dir_okay=False), metavar="FILE", help="Write to FILE."
)
@queries_option
@pass_context
def list_command(
    ctx: Context, fmt: str, wide: bool, output_file: str | None, queries: tuple[str, ...]
) -> None:
    """List the investigations, and whether the configured table has the fields each needs.

    Without a configured table, availability is for the default (version 2) log format.
    """
    from flowsql.investigations.investigation import describe_fields

    spec = configured_spec(ctx)
    good, bad = load_library(ctx, queries).load_all()
    records = []
    for inv in good:
        missing = inv.available(spec)
        if fmt == "json":
            records.append(
                {
                    "name": inv.name,
                    "title": inv.title,
                    "category": inv.category,
                    "available": not missing,
                    "missing": [f.column for f in missing],
                    "source": inv.source,
                    "overrides": inv.overrides,
                    "path": str(inv.path),
                }
            )
        else:
            records.append(
                {
                    "name": inv.name,
                    "category": inv.category,
                    "available": "no" if missing else "yes",
                    "title": inv.title,
                    "note": "; ".join(
                        part
                        for part in (
                            "overrides packaged" if inv.overrides else "",
                            f"needs {describe_fields(missing)}" if missing else "",
                        )
                        if part
                    ),
                }
            )
    from flowsql.cli.terminal import write_rows

    columns = list(records[0]) if records else []
    write_rows(columns, [[r.get(c) for c in columns] for r in records], fmt, output_file, wide=wide)
    _report_broken(bad)
    if bad:
        sys.exit(1)


@click.command()
@click.argument("name")
@queries_option
@pass_context
def show(ctx: Context, name: str, queries: tuple[str, ...]) -> None:
    """Show everything about investigation NAME: description, parameters, fields, template."""
    from flowsql.investigations.investigation import describe_fields

    inv = load_library(ctx, queries).get(name)
    spec = configured_spec(ctx)
    missing = inv.available(spec)
    where = f"{inv.source} ({inv.path})" + (", overrides the packaged one" if inv.overrides else "")
    table = "the configured table" if ctx.config.table.get("location") else "the default v2 table"
    lines = [
        f"{inv.name}: {inv.title}",
        "",
        f"category:   {inv.category}",
        f"source:     {where}",
        f"available:  {'no, needs ' + describe_fields(missing) if missing else 'yes'} (for {table})",
        "",
        *inv.description.splitlines(),
        "",
        "window:     a lone start covers --last (24h unless given) from it, never past now; a lone",
        "            end the --last before it; neither, the --last up to now. Times: 2024-05-01,",
        "            2024-05-01T13:00Z, now, today, yesterday, -6h.",
        "",
        "parameters:",
        *_param_lines(inv),
        "",
        "example:    flowsql run "
        + " ".join([inv.name, *(f"-p {n}={v}" for n, v in inv.example_params().items())]),
        "",
        "fields:     " + ", ".join(inv.fields),
        "columns:    " + ", ".join(inv.columns),
        "",
        "template:",
        textwrap.indent(inv.template.strip("\n"), "  "),
    ]
    click.echo("\n".join(lines))


def _param_lines(inv: Any) -> list[str]:
    rows = [
        ("start", "timestamp", "end - last", "window start, UTC, inclusive (--start, or -p start=)"),
        ("end", "timestamp", "start + last, at most now", "window end, UTC, exclusive (--end)"),
        ("last", "duration", "24h", "window length: 30m, 6h, 7d (--last)"),
    ]
    for param in inv.params.values():
        if param.required:
            default = "(required)"
        elif param.default is None:
            default = "(none)"
        elif isinstance(param.default, tuple):
            default = ",".join(str(v) for v in param.default)
        else:
            default = str(param.default)
        detail = param.help or ""
        if param.type in ("int", "choice"):
            detail = f"{detail} [{param.expected()}]" if detail else param.expected()
        rows.append((param.name, param.type, default, detail))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    return [
        f"  {n.ljust(width[0])}  {t.ljust(width[1])}  {d.ljust(width[2])}  {h}".rstrip()
        for n, t, d, h in rows
    ]


@click.command()
@click.argument("name")
@params_option
@window_options
@table_options
@pass_context
def render(
    ctx: Context,
    name: str,
    params: tuple[str, ...],
    queries: tuple[str, ...],
    window: dict[str, Any],
    table_opts: dict[str, Any],
) -> None:
    """Print the validated Athena SQL of investigation NAME, ready to paste into the console.

    The time window is --start/--end/--last (or -p start=… -p end=…), UTC, by the rule `flowsql
    show NAME` states. The table comes from TABLE OPTIONS or the config file (any s3:// --location
    will do to just read the SQL).
    """
    from flowsql.investigations.params import parse_assignments

    values = merge_window(parse_assignments(params), window)
    inv = load_library(ctx, queries).get(name)
    spec = ctx.spec(table_opts)
    from flowsql.inventory import location

    has_inventory = location.configured(ctx.config.inventory_location())
    rendered = inv.render(spec, values, max_window_days=ctx.config.max_window_days, inventory=has_inventory)
    click.echo(rendered.sql)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@queries_option
@pass_context
def validate(ctx: Context, paths: tuple[Path, ...], queries: tuple[str, ...]) -> None:
    """Check investigations: the packaged ones and your folders, or only PATH (files or folders).

    Each is rendered (with every choice, and with each optional parameter set) and validated
    against a table with every field and against the default version 2 table. Problems are printed
    as FILE:LINE:COL: MESSAGE, and the exit status is 1 when there is any.
    """
    from flowsql.investigations import checking, library

    if paths:
        lib = library.load(list(paths))
        names = [n for n in lib.names() if lib.entry(n).source == "user"]
    else:
        lib = load_library(ctx, queries)
        names = lib.names()
    problems = 0
    for name in names:
        report = checking.check(lib, name)
        problems += len(report.problems)
        for problem in report.problems:
            click.echo(str(problem))
        if not report.problems:
            click.echo(f"ok    {name}" + (f"  ({report.note})" if report.note else ""))
    total = len(names)
    click.echo(
        f"{total} investigation{'s' if total != 1 else ''} checked, "
        f"{problems} problem{'s' if problems != 1 else ''}"
    )
    if problems:
        sys.exit(1)
