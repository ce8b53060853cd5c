"""`flowsql demo`: sample flow logs with planted incidents, and a short tour of investigations that
finds them on DuckDB. No AWS account, no network.

Each step runs one packaged investigation through the Python API (the same path as `flowsql run`)
and turns its rows into one sentence. The sentence is built from the rows alone; the planted
incidents are only used to choose parameters an analyst would already know (the two addresses of
a broken connection).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flowsql.results import Rows, format_bytes
from flowsql.sample.generator import SampleSet


@dataclass
class Step:
    """One stop of the tour: the question, the investigation that answers it, and what it found."""

    question: str
    investigation: str
    params: dict[str, Any]
    rows: Rows
    finding: str
    shown: list[str] = field(default_factory=list)  # the columns worth printing
    display: list[Any] | None = None  # the rows worth printing, when not the first ones
    window: str | None = None  # the step's own window options, when not the tour's (`suffix`)


def connect(sample: SampleSet) -> Any:
    """A DuckDB session on the sample, isolated from any .flowsql.yaml in the working directory."""
    from flowsql.session import connect as session_connect

    options = sample.spec.to_dict()
    return session_connect("duckdb", config=os.devnull, inventory=sample.inventory, **options)


def _when(moment: datetime | None) -> str:
    return "?" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def _span(first: datetime | None, last: datetime | None) -> str:
    if first and last and first.date() == last.date():
        return f"{first:%Y-%m-%d} {first:%H:%M}–{last:%H:%M} UTC"
    return f"{_when(first)} – {_when(last)}"


def tour(sample: SampleSet, session: Any) -> Iterator[Step]:
    """The tour's steps, run one after the other over the whole sample window."""
    window = {"start": sample.window.start, "end": sample.window.end}

    def run(name: str, **params: Any) -> Rows:
        return session.run(name, **window, **params)

    rows = run("rejected_ssh_sources", limit=5)
    if rows:
        top = rows[0]
        finding = (
            f"{top.srcaddr} made {top.attempts:,} rejected SSH attempts against {top.targets} "
            f"host{'s' if top.targets != 1 else ''}, {_span(top.first_seen, top.last_seen)}"
        )
        if len(rows) > 1:
            finding += f"; the next source made {rows[1].attempts:,}"
    else:
        finding = "no rejected SSH"
    yield Step(
        "Who is hammering SSH?", "rejected_ssh_sources", {}, rows, finding,
        ["srcaddr", "attempts", "targets", "first_seen", "last_seen"],
    )  # fmt: skip

    rows = run("port_scan_suspects", limit=100)
    refused = [r for r in rows if r.rejected > r.flows / 2]
    if refused:
        top = max(refused, key=lambda r: r.ports)
        finding = (
            f"{top.srcaddr} probed {top.ports:,} ports on {top.hosts} host{'s' if top.hosts != 1 else ''}, "
            f"{top.rejected:,} of {top.flows:,} flows rejected, {_span(top.first_seen, top.last_seen)}"
        )
        replies = len(rows) - len(refused)
        if replies:
            finding += (
                f" ({replies} other source{'s' if replies != 1 else ''} touch many ports too, but their "
                "flows are accepted: servers replying to clients' ephemeral ports)"
            )
    else:
        finding = "no source with mostly rejected flows to many ports"
    yield Step(
        "Is anyone port-scanning?", "port_scan_suspects", {}, rows, finding,
        ["srcaddr", "ports", "hosts", "flows", "rejected"], refused or None,
    )  # fmt: skip

    rows = run("host_scan_suspects", limit=5)
    if rows:
        top = rows[0]
        service = f" ({top.service})" if top.service else ""
        finding = (
            f"{top.srcaddr} tried {top.hosts} addresses on port {top.dstport}{service}, "
            f"{_span(top.first_seen, top.last_seen)}: an internal host sweeping its network"
        )
    else:
        finding = "no host sweeps"
    yield Step(
        "Is a host sweeping the network?", "host_scan_suspects", {}, rows, finding,
        ["srcaddr", "dstport", "service", "hosts", "flows"],
    )  # fmt: skip

    rows = run("exfiltration_suspects", limit=5)
    if rows:
        top = rows[0]
        peers = run("traffic_from_source", ip=top.srcaddr, limit=1)
        where = f" to {peers[0].dstaddr}:{peers[0].dstport}" if peers else ""
        finding = (
            f"{top.srcaddr} sent {format_bytes(top.bytes)}{where} "
            f"({top.destinations} public address{'es' if top.destinations != 1 else ''} in all), "
            f"{_span(top.first_seen, top.last_seen)}"
        )
        if len(rows) > 1:
            finding += f"; the next internal source sent {format_bytes(rows[1].bytes)}"
    else:
        finding = "nothing large left the VPC"
    yield Step(
        "What left the VPC?", "exfiltration_suspects", {}, rows, finding,
        ["srcaddr", "bytes", "destinations", "flows"],
    )  # fmt: skip

    blocked = sample.incidents.blocked_port
    params = {"src": blocked.source, "dst": blocked.targets[0], "port": blocked.port}
    rows = run("connectivity_check", **params)
    # The incident knows whose interfaces these are; the rows only carry their ids.
    owner = dict(zip(blocked.interfaces, (blocked.source, blocked.targets[0]), strict=False))

    def where(eni: str) -> str:
        return f"{eni} ({owner[eni]}'s interface)" if eni in owner else eni

    verdicts = [f"{r.direction} {r.action} at {where(r.interface_id)}" for r in rows]
    rejected = [r for r in rows if r.action == "REJECT"]
    if rejected:
        finding = (
            f"{blocked.source} → {blocked.targets[0]}:{blocked.port}: "
            + "; ".join(verdicts)
            + f". The {rejected[0].direction} is dropped at {where(rejected[0].interface_id)}: "
            "fix that interface's security group or network ACL"
        )
    elif rows:
        finding = "everything is accepted: look at the application"
    else:
        finding = "no traffic between them reached a logged interface"
    yield Step(
        f"Why can't {blocked.source} reach its database on port {blocked.port}?",
        "connectivity_check", params, rows, finding,
        ["direction", "interface_id", "action", "flows"],
    )  # fmt: skip

    rows = run("public_exposure", limit=5)
    if rows:
        top = rows[0]
        service = top.service or f"port {top.dstport}"
        finding = (
            f"{service} on {top.dstaddr}:{top.dstport} accepted {top.flows} flows from "
            f"{top.sources} internet address{'es' if top.sources != 1 else ''}"
        )
        if len(rows) > 1:
            finding += f"; also {', '.join(f'{r.service or r.dstport} on {r.dstaddr}' for r in rows[1:3])}"
    else:
        finding = "no sensitive port reachable from the internet"
    yield Step(
        "Which sensitive ports does the internet reach?", "public_exposure", {}, rows, finding,
        ["dstaddr", "dstport", "service", "sources", "flows"],
    )  # fmt: skip

    yield from context_steps(sample, session)

    rows = run("log_health", limit=5)
    parts = []
    for r in rows:
        if r.skipdata_records:
            parts.append(f"{r.interface_id} lost records {r.skipdata_records} times (SKIPDATA)")
        if r.nodata_records and not r.ok_records:
            parts.append(f"{r.interface_id} had no traffic at all ({r.nodata_records} NODATA records)")
        elif r.nodata_records:
            parts.append(f"{r.interface_id} was idle {r.nodata_records} times (NODATA)")
    yield Step(
        "Are the flow logs complete?", "log_health", {}, rows,
        "; ".join(parts) or "every interface logged normally",
        ["interface_id", "ok_records", "nodata_records", "skipdata_records"],
    )  # fmt: skip


def render_step(number: int, step: Step, echo: Callable[[str], None], suffix: str = "") -> None:
    """Print one step: the question, its command (`suffix` appended), the finding, the first rows."""
    from flowsql import output

    echo(f"{number}. {step.question}")
    params = "".join(f" -p {k}={v}" for k, v in step.params.items())
    echo(f"   flowsql run {step.investigation}{params}{suffix if step.window is None else step.window}")
    echo(f"   → {step.finding}")
    columns = step.shown or list(step.rows.columns)
    indexes = [step.rows.columns.index(c) for c in columns]
    shown = step.display if step.display is not None else list(step.rows)
    rows = [[row[i] for i in indexes] for row in shown[:3]]
    if rows:
        import io

        buffer = io.StringIO()
        output.write(columns, rows, "table", buffer)
        for line in buffer.getvalue().rstrip("\n").splitlines():
            echo("     " + line)
    echo("")


def context_steps(sample: SampleSet, session: Any) -> Iterator[Step]:
    """The steps that join the inventory the sample wrote: security-group rules, the NAT gateway's
    bill, cross-AZ traffic, and what is new on the last day."""
    from datetime import timedelta

    if not session.has_inventory:
        return
    window = {"start": sample.window.start, "end": sample.window.end}
    rows = session.run("sg_rule_usage", **window)
    open_rules = [r for r in rows if r.finding == "open to the world, few sources"]
    unused = [r for r in rows if r.finding == "unused"]
    parts = [
        f"{r.group_name} ({r.group_id}) allows {r.protocol} {r.ports} from {r.source} but only "
        f"{r.sources} source{'s' if r.sources != 1 else ''} used it: allow {r.narrower_cidrs} instead"
        for r in open_rules[:2]
    ]
    if unused:
        listed = ", ".join(f"{r.group_name} {r.protocol} {r.ports} from {r.source}" for r in unused[:3])
        parts.append(f"{len(unused)} rule{'s' if len(unused) != 1 else ''} matched nothing ({listed})")
    yield Step(
        "Which security-group rules are too open, or never used?", "sg_rule_usage", {}, rows,
        "; ".join(parts) or "every rule is used by many sources",
        ["group_name", "protocol", "ports", "source", "sources", "finding"], [*open_rules, *unused] or None,
    )  # fmt: skip

    if session.investigation("nat_gateway_cost").available(session.spec):
        return
    rows = session.run("nat_gateway_cost", **window)
    if rows:
        top = rows[0]
        mine = [r for r in rows if r.nat_gateway_id == top.nat_gateway_id]
        size, cost = sum(r.bytes for r in mine), sum(r.cost_usd for r in mine)
        finding = (
            f"{top.nat_gateway_id} processed {format_bytes(size)} (${cost:.2f} at $0.045/GiB); "
            f"{top.bytes / size:.0%} of it was {top.destination} traffic of {top.source} ({top.source_name})"
        )
        if top.gateway_endpoint:
            finding += f", which an {top.gateway_endpoint} would carry for free"
    else:
        finding = "no traffic through a NAT gateway"
    yield Step(
        "What makes the NAT gateway bill?", "nat_gateway_cost", {}, rows, finding,
        ["source", "source_name", "destination", "bytes", "cost_usd", "gateway_endpoint"],
    )  # fmt: skip

    rows = session.run("cross_az_traffic", **window, limit=5)
    finding = "no traffic between Availability Zones"
    if rows:
        top = rows[0]
        finding = (
            f"{top.src_name} ({top.src_az}) sent {format_bytes(top.bytes)} to {top.dst_name} ({top.dst_az}), "
            f"${top.cost_usd:.2f} at $0.02/GiB"
        )
    yield Step(
        "Which traffic crosses Availability Zones?", "cross_az_traffic", {}, rows, finding,
        ["src_name", "src_az", "dst_name", "dst_az", "bytes"],
    )  # fmt: skip

    last = {"start": sample.window.end - timedelta(days=1), "end": sample.window.end}
    days = (last["start"] - sample.window.start).days
    if days < 1:
        return
    params = {"baseline_days": days}
    rows = session.run("new_destinations", **last, **params, limit=10)
    listed = ", ".join(f"{r.dstaddr} ({format_bytes(r.bytes)}, {r.flows} flows)" for r in rows[:3])
    finding = f"the largest new destinations: {listed}" if rows else "nothing new"
    yield Step(
        f"What did the VPC connect to on {last['start']:%Y-%m-%d} that it never did before?",
        "new_destinations", params, rows, finding, ["dstaddr", "sources", "flows", "bytes", "first_seen"],
        window=f" --start {last['start']:%Y-%m-%d} --end {last['end']:%Y-%m-%d}",
    )  # fmt: skip
