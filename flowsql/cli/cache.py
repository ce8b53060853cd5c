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
    _fill_info(store, chosen.fill)
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


def _fill_info(store: Any, configured: str) -> None:
    """The fill mode, a background fill at work or queued, and how the last one went."""
    from flowsql.engines.duckdb import background

    mode = store.fill if store.fill == configured else f"{store.fill} (config says {configured})"
    click.echo(f"  fill: {mode}")
    filling = background.state(store.folder)
    if filling is not None:
        if filling.pid is not None:
            click.echo(
                f"  background fill in progress: pid {filling.pid}, {filling.written} entries written "
                f"of {filling.taken} file(s) taken; {filling.queued} more file(s) queued"
            )
        else:
            click.echo(f"  background fill queued: {filling.queued} file(s), no filler running yet")
    done = background.last(store.folder)
    if done.get("finished"):
        from datetime import datetime, timezone

        finished = datetime.fromtimestamp(done["finished"], timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        text = (
            f"  last background fill: {done.get('written', 0)} file(s) in {done.get('seconds', 0):.1f} s "
            f"({done.get('cpu_seconds', 0):.1f} s CPU), finished {finished}"
        )
        if done.get("error"):
            text += f"; it failed: {done['error']}"
        click.echo(text)


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
