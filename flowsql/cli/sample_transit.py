"""`flowsql sample --transit-gateway`: write transit gateway flow logs instead of VPC ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def write_transit(out: str, quiet: bool, options: dict[str, Any]) -> None:
    """Generate the transit gateway sample (with the progress line `sample` draws) and print what was
    planted and how to look at it."""
    import shlex

    from flowsql.cli.sample import progress_text
    from flowsql.cli.terminal import progress_line
    from flowsql.sample.progress import DRAWING, SampleProgress
    from flowsql.sample.transit import generate

    line = progress_line("sample", quiet=quiet)
    if line is not None:
        line.update(progress_text(SampleProgress(DRAWING, options["records"], options["days"])))
    try:
        sample = generate(
            out,
            **options,
            on_progress=None if line is None else lambda step: line.update(progress_text(step)),
        )
    finally:
        if line is not None:
            line.close()
    echo = click.echo
    echo(f"wrote {sample.summary()} under {Path(out) / 'AWSLogs'}")
    echo(f"planted (transit gateway {sample.incidents.tgw_id}):")
    for kind, description in sample.incidents.all():
        echo(f"  {kind:<20} {description}")
    start = sample.window.start.date().isoformat()
    finish = sample.window.end.date().isoformat()
    echo("next (init reads the transit gateway format from the header lines):")
    echo(f"  flowsql init --location {shlex.quote(out)}")
    for name in ("tgw_drops", "tgw_top_attachment_pairs", "tgw_cross_account_traffic"):
        echo(f"  flowsql run {name} --start {start} --end {finish}")
