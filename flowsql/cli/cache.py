"""CLI commands: cache info|clear, for what flowsql keeps on disk between runs (the columnar cache of
text files read by DuckDB, and the validated and translated statements)."""

from __future__ import annotations

import os
from typing import Any

import click

from flowsql.cli.options import pass_context

# The statement caches of flowsql.diskcache, by namespace.
STATEMENT_NAMESPACES = ("investigations", "rendered-sql", "duckdb-sql")


@click.group("cache")
def cache_group() -> None:
    """Show or free what flowsql keeps between runs (FLOWSQL_CACHE_DIR moves it, '' turns it off)."""


@cache_group.command("info")
@pass_context
def info(ctx: Any) -> None:
    """Where the caches are, how much they hold, and the columnar cache's size limit."""
    from flowsql import diskcache
    from flowsql.engines.duckdb import cache as columnar

    chosen = columnar.settings(ctx.config.cache)
    store = columnar.for_config(ctx.config.cache, True)
    if store is None:
        click.echo("cache: off (FLOWSQL_CACHE_DIR is empty)")
        return
    entries = store.entries()
    used = sum(e.size for e in entries)
    state = "on" if chosen.enabled else "off (config cache.enabled: false)"
    click.echo(f"columnar cache: {store.folder}  [{state}]")
    click.echo(
        f"  {len(entries)} file(s), {format_bytes(used)} of {format_bytes(chosen.max_bytes)} "
        "(least recently used are evicted above the limit; config cache.max_size)"
    )
    if entries:
        newest = max(e.used for e in entries)
        oldest = min(e.used for e in entries)
        from datetime import datetime, timezone

        def when(t: float) -> str:
            return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")

        click.echo(f"  last used {when(newest)}; least recently used {when(oldest)}")
    for namespace in STATEMENT_NAMESPACES:
        folder = diskcache.folder(namespace) or ""
        count, size = _files(folder)
        click.echo(f"statements ({namespace}): {folder}  {count} file(s), {format_bytes(size)}")


@cache_group.command("clear")
@pass_context
def clear(ctx: Any) -> None:
    """Delete every cached file: the columnar cache and the statement caches."""
    from flowsql import diskcache
    from flowsql.engines.duckdb import cache as columnar

    store = columnar.for_config(ctx.config.cache, True)
    if store is None:
        click.echo("cache: off (FLOWSQL_CACHE_DIR is empty); nothing to clear")
        return
    entries, size = store.clear()
    click.echo(f"columnar cache: removed {entries} file(s), {format_bytes(size)}")
    for namespace in STATEMENT_NAMESPACES:
        folder = diskcache.folder(namespace) or ""
        count, size = _files(folder, remove=True)
        click.echo(f"statements ({namespace}): removed {count} file(s), {format_bytes(size)}")


def format_bytes(n: float) -> str:
    """Decimal units, as config cache.max_size takes them (2GB = 2,000,000,000 bytes)."""
    for unit, factor in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n:.0f} B"


def _files(folder: str, *, remove: bool = False) -> tuple[int, int]:
    count = size = 0
    try:
        listing = list(os.scandir(folder))
    except OSError:
        return 0, 0
    for item in listing:
        if item.is_file(follow_symlinks=False):
            try:
                size += item.stat().st_size
                if remove:
                    os.remove(item.path)
            except OSError:
                continue
            count += 1
    return count, size
