"""CLI commands: `flowsql sample` (write synthetic flow logs) and `flowsql demo` (a local tour)."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Any

import click

ALL_FIELDS = "all"
DEMO_FOLDER = "flowsql-demo"


def _log_format(value: str | None) -> str | None:
    """`--log-format all` is every field flowsql knows (versions 2-8), in catalogue order."""
    if value is None or value.strip().lower() != ALL_FIELDS:
        return value
    from flowsql.tables import fields

    return fields.format_string(fields.CATALOGUE)


def _split(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip())


def progress_text(step: Any) -> str:
    """A SampleProgress for the status line: what is being done, and how far of how much."""
    from flowsql.sample.progress import SORTING, WRITING

    if step.stage == WRITING:
        return (
            f"{step.files:,} of {step.files_total:,} files written (day {step.day} of {step.days}), "
            f"{step.records:,} of {step.records_total:,} records"
        )
    done = f", {step.percent:.0f}%" if step.percent is not None else ""
    if step.stage == SORTING:
        return f"sorting {step.records_total:,} records into {step.files_total:,} files{done}"
    return f"drawing {step.records_total:,} records over {step.days} day{'s' if step.days != 1 else ''}{done}"


@click.command("sample")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--days", type=click.IntRange(1, 366), default=2, show_default=True, help="Days of logs.")
@click.option("--end", help="The last day (YYYY-MM-DD, UTC) [yesterday].")
@click.option("--layout", type=click.Choice(["aws", "hive"]), default="aws", show_default=True)
@click.option("--hourly/--daily", default=False, help="Per-hour partitions [daily].")
@click.option("--file-format", type=click.Choice(["text", "parquet"]), default="text", show_default=True)
@click.option(
    "--log-format",
    help="LogFormat of the records, e.g. '${version} ${srcaddr} …', or 'all' for every field of "
    "versions 2-8 [the default version 2 format].",
)
@click.option("--records", type=click.IntRange(0, 100_000_000), default=20_000, show_default=True)
@click.option("--accounts", default="111122223333", show_default=True, help="Comma-separated account ids.")
@click.option("--regions", default="us-east-1", show_default=True, help="Comma-separated Regions.")
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same records.")
@click.option(
    "--files-per-day",
    type=click.IntRange(1, 288),
    help="5-minute windows a day that hold files [one file per ~1,000 records, 24-288].",
)
@click.option("--force", is_flag=True, help="Replace a sample set written earlier in OUT.")
@click.option("-q", "--quiet", is_flag=True, help="No progress line on stderr.")
@click.option(
    "--transit-gateway",
    is_flag=True,
    help="Write transit gateway flow logs (version 6 default format): a blackhole route, an MTU "
    "problem, one attachment carrying most bytes.",
)
def sample_command(
    out: str,
    days: int,
    end: str | None,
    layout: str,
    hourly: bool,
    file_format: str,
    log_format: str | None,
    records: int,
    accounts: str,
    regions: str,
    seed: int,
    files_per_day: int | None,
    force: bool,
    quiet: bool = False,
    transit_gateway: bool = False,
) -> None:
    """Write realistic VPC flow logs with planted incidents into OUT.

    Files follow the exact S3 layout and naming (OUT/AWSLogs/…/{account}_vpcflowlogs_{region}_…),
    keyed by the records' end times. Planted: SSH brute force, a port scan, a host sweep,
    exfiltration, a blocked database port, public exposure, NODATA and SKIPDATA, and more.

    A run longer than about a second shows its progress on stderr when that is a terminal (files
    written of the total, the day, records), erased before the summary; -q turns it off.
    """
    if transit_gateway:
        from flowsql.cli.sample_transit import write_transit

        write_transit(out, quiet, {
            "days": days, "end": end, "layout": layout, "hourly": hourly, "file_format": file_format,
            "log_format": log_format, "records": records, "seed": seed, "overwrite": force,
            "accounts": _split(accounts), "regions": _split(regions), "files_per_day": files_per_day or 24,
        })  # fmt: skip
        return
    from flowsql.cli.terminal import progress_line
    from flowsql.sample.generator import generate

    line = progress_line("sample", quiet=quiet)
    if line is not None:
        from flowsql.sample.progress import DRAWING, SampleProgress

        line.update(progress_text(SampleProgress(DRAWING, records, days)))
    try:
        sample = generate(
            out,
            days=days,
            end=end,
            layout=layout,
            hourly=hourly,
            file_format=file_format,
            log_format=_log_format(log_format),
            records=records,
            accounts=tuple(a.strip() for a in accounts.split(",") if a.strip()),
            regions=tuple(r.strip() for r in regions.split(",") if r.strip()),
            seed=seed,
            files_per_day=files_per_day,
            overwrite=force,
            on_progress=None if line is None else lambda step: line.update(progress_text(step)),
        )
    finally:
        if line is not None:
            line.close()
    echo = click.echo
    echo(f"wrote {sample.summary()} in {sample.seconds:.1f}s under {Path(out) / 'AWSLogs'}")
    first = sample.incidents.ssh_brute_force
    echo(f"planted (account {first.account}, {first.region}):")
    for item in sample.incidents.all():
        echo(f"  {item.kind:<20} {item.description}")
    if sample.context is not None:
        for item in sample.context.all():
            echo(f"  {item.kind:<20} {item.description}")
    if sample.inventory is not None:
        echo(f"inventory (interfaces, security groups, NAT gateway, AWS IP ranges): {sample.inventory}")
        echo(f"  to use it, add to .flowsql.yaml:  inventory: {sample.inventory}")
    start = sample.window.start.date().isoformat()
    finish = sample.window.end.date().isoformat()
    # init reads the layout, partitioning, file format, accounts, Regions and log format from the files.
    echo("next (init finds out what the files are and saves it in .flowsql.yaml):")
    echo(f"  flowsql init --location {shlex.quote(out)}")
    echo(f"  flowsql run rejected_ssh_sources --start {start} --end {finish}")


@click.command("demo")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False),
    default=DEMO_FOLDER,
    show_default=True,
    help="Write the sample logs and their .flowsql.yaml here, and keep them to explore afterwards.",
)
@click.option("--records", type=click.IntRange(1000, 5_000_000), default=20_000, show_default=True)
def demo_command(folder: str, records: int) -> None:
    """Generate sample flow logs and tour the investigations that find what was planted in them.

    Runs locally on DuckDB: no AWS account, no network. The logs stay in the folder with a
    .flowsql.yaml describing them, so every command the tour prints works there as printed.
    """
    from dataclasses import replace

    from flowsql import config as configmod
    from flowsql.sample import demo
    from flowsql.sample.generator import generate

    began = time.perf_counter()
    echo = click.echo
    target = Path(folder)
    # Every field (versions 2-8): the NAT gateway step needs pkt-srcaddr and pkt-dstaddr.
    sample = generate(target, records=records, overwrite=True, log_format=_log_format(ALL_FIELDS))
    settings = configmod.Config(
        table=replace(sample.spec, location="./").to_dict(),
        path=target / configmod.DEFAULT_NAME,
        inventory=f"./{sample.inventory.name}" if sample.inventory else None,
    )
    saved = configmod.save(settings)
    start, end = sample.window.start.date(), sample.window.end.date()
    window = f" --start {start} --end {end}"
    echo(f"flowsql demo: {sample.summary()}, written in {sample.seconds:.1f}s")
    echo(f"  to {target}/, in the exact S3 layout and file naming, with its settings in {saved}")
    echo("  planted: SSH brute force, a port scan, a host sweep, exfiltration, a blocked database")
    echo("  port, MySQL open to the internet, an idle interface and lost records. Let's find them.")
    echo(
        f"  Every step runs over the whole sample ({start} to {end}); to rerun one: cd {shlex.quote(folder)}"
    )
    echo("")
    session = demo.connect(sample)
    try:
        for number, step in enumerate(demo.tour(sample, session), start=1):
            demo.render_step(number, step, echo, suffix=window)
    finally:
        session.close()
    echo(f"done in {time.perf_counter() - began:.1f}s on DuckDB, no AWS account used.")
    echo(f"the logs stay in {target}/ (delete it when done); explore further:")
    echo(f"  cd {shlex.quote(folder)}")
    echo("  flowsql list")
    echo(f"  flowsql run top_talkers{window}")
    sys.stdout.flush()
