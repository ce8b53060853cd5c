"""The `flowsql` click group. Its commands are listed in one place, `flowsql.cli.COMMANDS`, and each
command's module is imported only when that command runs or shows its help: `flowsql --help` reads
the one-line summaries from the list (tests/test_startup.py checks they match the commands)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from typing import Any

import click

from flowsql.cli.options import Context


class _Context(click.Context):
    """Click's context, with the help width found without `shutil` (which click imports for it,
    and with it bz2, lzma and zlib): the same rule, COLUMNS first, then the terminal, else 80."""

    def make_formatter(self) -> click.HelpFormatter:
        if self.terminal_width is None:
            max_width = self.max_content_width or 80
            self.terminal_width = max(min(_terminal_columns(), max_width) - 2, 50)
        return super().make_formatter()


def _terminal_columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):
        return 80


def _show_version(ctx: click.Context, _param: Any, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from flowsql import __version__

        click.echo(f"flowsql, version {__version__}")
        ctx.exit()


class LazyGroup(click.Group):
    """A group whose commands are `name -> (module, attribute, summary)` entries, loaded on use."""

    context_class = _Context
    lazy: Mapping[str, tuple[str, str, str]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, attribute, _summary = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from click.utils import make_default_short_help

        names = self.list_commands(ctx)
        # The same width rule as click's own listing.
        limit = formatter.width - 6 - max((len(name) for name in names), default=0)
        rows = []
        for name in names:
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
            else:
                rows.append((name, make_default_short_help(self.lazy[name][2], limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--config",
    "config_file",
    envvar="FLOWSQL_CONFIG",
    help="Project config file [./.flowsql.yaml].",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """Athena tables and canned investigations for Amazon VPC Flow Logs.

    Runs locally on DuckDB over a folder of flow logs (the default, no AWS account needed) or on
    Athena. Start with `flowsql demo`.
    """
    ctx.obj = Context(config_file)
