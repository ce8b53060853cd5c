"""CLI commands: `flowsql inventory refresh` (snapshot EC2 and the AWS IP ranges) and `show`."""

from __future__ import annotations

import json
from typing import Any

import click

from flowsql.cli.options import Context, pass_context
from flowsql.errors import ConfigError

DOWNLOAD = "download"


@click.group("inventory")
def inventory() -> None:
    """The context investigations join flow records with: interfaces, security groups and rules,
    subnets, VPCs, NAT gateways (from EC2) and AWS's published IP ranges.

    Stored as Parquet in `inventory:` of .flowsql.yaml [.flowsql/inventory next to it]; an s3://
    location also gets Glue tables (inventory_interfaces, …) beside the flow-log table for Athena.
    """


@inventory.command("refresh")
@click.option(
    "--region", "regions", help="Comma-separated Regions to snapshot [the configured Athena Region]."
)
@click.option("--profile", help="AWS profile.")
@click.option("--endpoint-url", help="EC2/S3/Glue endpoint URL (testing, VPC endpoints).")
@click.option(
    "--ip-ranges",
    "ip_ranges",
    metavar="FILE|download",
    help="AWS's ip-ranges.json: a file you downloaded, or `download` to fetch it from AWS's URL "
    "[keep the ranges of the previous snapshot, if any].",
)
@click.option("--to", "target", metavar="DIR|s3://…", help="Where to store it [config `inventory:`].")
@click.option("--database", help="Glue database for the tables, with an s3:// location [the table's].")
@pass_context
def refresh(
    ctx: Context,
    regions: str | None,
    profile: str | None,
    endpoint_url: str | None,
    ip_ranges: str | None,
    target: str | None,
    database: str | None,
) -> None:
    """Take a new snapshot, replacing the stored one."""
    from flowsql import aws
    from flowsql.inventory import ec2, store
    from flowsql.inventory import ip_ranges as ranges

    settings = ctx.config.athena.merged({"profile": profile, "endpoint_url": endpoint_url})
    location = target or ctx.config.inventory_location()
    names = [r.strip() for r in (regions or "").split(",") if r.strip()] or [
        settings.region or aws.session(settings).region_name or ""
    ]
    if not names[0]:
        raise ConfigError("no AWS Region to snapshot", hint="pass --region (comma-separated for several)")
    snapshot = None
    for region in names:
        settings.region = region
        taken = ec2.take(aws.client("ec2", settings), region=region)
        snapshot = taken if snapshot is None else snapshot.merged(taken)
    assert snapshot is not None
    if ip_ranges == DOWNLOAD:
        rows, info = ranges.download()
    elif ip_ranges:
        rows, info = ranges.load_file(ip_ranges)
    else:
        rows, info = _previous_ranges(location)
    snapshot = snapshot.with_table("ip_ranges", rows, **info)
    if location.startswith("s3://"):
        from flowsql.inventory import store_athena

        db = database or ctx.config.table.get("database") or "vpc_flow_logs"
        store_athena.publish(snapshot, location, db, settings)
        where = f"{location} (Glue tables {db}.inventory_*)"
    else:
        store.write_parquet(snapshot, location)
        where = location
    counts = snapshot.counts()
    click.echo(
        f"inventory of {', '.join(names)} taken at {snapshot.taken_at:%Y-%m-%d %H:%M:%S} UTC → {where}"
    )
    click.echo("  " + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items()))
    if not rows:
        click.echo("  no AWS IP ranges: pass --ip-ranges FILE (or download) to name AWS services", err=True)


def _previous_ranges(location: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from flowsql.inventory import store

    if location.startswith("s3://") or not store.exists(location):
        return [], {}
    previous = store.read_parquet(location)
    keep = {k: v for k, v in previous.source.items() if k.startswith("ip_ranges")}
    return previous.tables["ip_ranges"], keep


@inventory.command("show")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--from", "source", metavar="DIR|s3://…", help="The inventory to show [config `inventory:`].")
@pass_context
def show(ctx: Context, fmt: str, source: str | None) -> None:
    """Print when the stored snapshot was taken, where from, and what it holds."""
    location = source or ctx.config.inventory_location()
    if location.startswith("s3://"):
        from flowsql.inventory import store_athena

        manifest = store_athena.read_manifest(location, ctx.config.athena)
        interfaces: list[dict[str, Any]] = []
    else:
        from flowsql.inventory import store

        manifest = store.read_manifest(location)
        interfaces = store.read_parquet(location).tables["interfaces"]
    if fmt == "json":
        click.echo(json.dumps({"location": location, **manifest}, indent=2, default=str))
        return
    click.echo(f"inventory at {location}")
    click.echo(f"  taken at   {manifest.get('taken_at')}")
    for key, value in sorted((manifest.get("source") or {}).items()):
        click.echo(f"  {key:<10} {', '.join(value) if isinstance(value, list) else value}")
    for name, count in (manifest.get("counts") or {}).items():
        click.echo(f"  {count:>8,}  {name.replace('_', ' ')}")
    if interfaces:
        from flowsql import output

        click.echo("interfaces:")
        columns = ["interface_id", "name", "instance_id", "aws_service", "private_ip", "az_id"]
        rows = [[r[c] for c in columns] for r in interfaces[:50]]
        output.write(columns, rows, "table")
        if len(interfaces) > 50:
            click.echo(f"  … and {len(interfaces) - 50} more")
