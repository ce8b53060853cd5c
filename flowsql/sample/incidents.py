"""The incidents planted in the sample network (SSH brute force, scans, an exfiltration, ...) and the
records that cross midnight: *explicit records*, complete with times, that the generator writes
beside the drawn bulk. Each incident is summarised as a Planted for the tests and the demo.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flowsql.sample.network import (
    TCP,
    UTC,
    Template,
    World,
    public_ipv4,
    record,
    status_record,
)


@dataclass(frozen=True)
class Planted:
    """One planted incident: who did it, to whom, and what the files hold for it."""

    kind: str
    description: str
    account: str
    region: str
    source: str | None = None
    targets: tuple[str, ...] = ()
    port: int | None = None
    ports: int = 0
    interfaces: tuple[str, ...] = ()
    records: int = 0
    bytes: int = 0
    first_start: datetime | None = None
    last_start: datetime | None = None


@dataclass(frozen=True)
class Incidents:
    """Everything planted in the first account and Region of a sample set."""

    ssh_brute_force: Planted
    port_scan: Planted
    host_scan: Planted
    exfiltration: Planted
    blocked_port: Planted
    public_exposure: Planted
    unanswered: Planted
    block_public_access: Planted
    nat: Planted
    nodata: Planted
    skipdata: Planted

    def all(self) -> list[Planted]:
        return [getattr(self, name) for name in self.__dataclass_fields__]


class Clock:
    """Places explicit records in time: ends fall in the given 5-minute file slots."""

    def __init__(self, rng: random.Random, slots: Sequence[int], first: int, last: int) -> None:
        self.rng, self.slots, self.first, self.last = rng, sorted(slots), first, last

    def at(self, fraction: float) -> int:
        """An instant `fraction` of the way through the data."""
        return self.first + int((self.last - self.first) * fraction)

    def place(self, values: dict[str, Any], near: int, duration: int) -> dict[str, Any]:
        """Give a record times: its end in the active slot nearest `near`, its start before."""
        import bisect

        i = min(bisect.bisect_left(self.slots, near - 150), len(self.slots) - 1)
        slot = self.slots[i]
        end = slot + self.rng.randrange(300)
        start = max(self.first, end - self.rng.randrange(duration + 1))
        values.update(start=start, end=end)
        return values


def _counts(
    values: dict[str, Any], rng: random.Random, packets: tuple[int, int], bpp: tuple[int, int]
) -> dict[str, Any]:
    n = rng.randint(*packets)
    values.update(packets=n, bytes=n * rng.randint(*bpp))
    return values


def _eph(rng: random.Random) -> int:
    return rng.randrange(32768, 61000)


def _moment(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def plant(
    world: World, rng: random.Random, clock: Clock, scale: int
) -> tuple[list[dict[str, Any]], Incidents]:
    """The planted incidents in `world`, as explicit records, and their description."""
    w = world
    rows: list[dict[str, Any]] = []
    acct, region = w.account, w.region
    # Everything that names an incident is drawn first, so it does not depend on the scale.
    ports = rng.sample(range(1, 10000), 1000)
    hosts = rng.sample(w.unused_v4, 80)
    exposers = [public_ipv4(rng) for _ in range(5)]
    bpa_source = public_ipv4(rng)

    def summary(kind: str, text: str, recs: list[dict[str, Any]], **kw: Any) -> Planted:
        rows.extend(recs)
        starts = [r["start"] for r in recs]
        return Planted(
            kind, text, acct, region,
            records=len(recs),
            bytes=sum(r["bytes"] or 0 for r in recs),
            first_start=_moment(min(starts)),
            last_start=_moment(max(starts)),
            **kw,
        )  # fmt: skip

    # SSH brute force from one internet address against three hosts, over about 90 minutes.
    ssh_source = "185.220.101.47"
    targets = [w.role("bastion"), w.role("web1"), w.role("web2")]
    recs = []
    begin = clock.at(0.3)
    for n in range(min(3000, max(150, scale // 50))):
        target = targets[n % 3]
        values = record(target, "ingress", ssh_source, target.ipv4, _eph(rng), 22, TCP, "REJECT", flags=2)
        recs.append(clock.place(_counts(values, rng, (1, 3), (60, 60)), begin + rng.randrange(5400), 8))
    ssh = summary(
        "ssh_brute_force", f"{ssh_source} hammered SSH (port 22) on three hosts, every attempt rejected",
        recs, source=ssh_source, targets=tuple(t.ipv4 for t in targets), port=22,
    )  # fmt: skip

    # A vertical port scan: one address, one web server, 1,000 ports in ten minutes.
    scan_source = "45.155.205.233"
    web3 = w.role("web3")
    begin = clock.at(0.55)
    recs = []
    for port in ports:
        action = "ACCEPT" if port in (80, 443) else "REJECT"
        values = record(web3, "ingress", scan_source, web3.ipv4, _eph(rng), port, TCP, action, flags=2)
        recs.append(clock.place(_counts(values, rng, (1, 1), (44, 44)), begin + rng.randrange(600), 2))
    port_scan = summary(
        "port_scan", f"{scan_source} probed {len(ports)} ports on {web3.ipv4}", recs,
        source=scan_source, targets=(web3.ipv4,), ports=len(ports),
    )  # fmt: skip

    # Lateral movement: a compromised app host sweeps the app subnets for SMB (port 445).
    app3 = w.role("app3")
    begin = clock.at(0.62)
    recs = []
    for host in hosts:
        values = record(app3, "egress", app3.ipv4, host, _eph(rng), 445, TCP, flags=2, path=1)
        recs.append(clock.place(_counts(values, rng, (1, 2), (60, 60)), begin + rng.randrange(900), 3))
    host_scan = summary(
        "host_scan", f"{app3.ipv4} swept {len(hosts)} addresses on port 445 (SMB)", recs,
        source=app3.ipv4, targets=tuple(hosts), port=445,
    )  # fmt: skip

    # Exfiltration: the database host sends gigabytes to one unfamiliar internet address.
    db2 = w.role("db2")
    drop = "91.219.236.18"
    begin = clock.at(0.8)
    recs = []
    per_record = max(250_000_000, scale * 4_000)
    for n in range(24):
        values = record(db2, "egress", db2.ipv4, drop, _eph(rng), 443, TCP, flags=3 if n == 0 else 0, path=8)
        values = _counts(values, rng, (per_record // 1400, per_record // 1400), (1400, 1400))
        recs.append(clock.place(values, begin + n * 150, 55))
    exfil = summary(
        "exfiltration", f"{db2.ipv4} sent a large volume to {drop}:443", recs,
        source=db2.ipv4, targets=(drop,), port=443,
    )  # fmt: skip

    # A blocked database port: app4 cannot reach db1 on 5432; the database's security group
    # rejects it (the app's own egress record says ACCEPT). Spread over the whole data.
    app4, db1 = w.role("app4"), w.role("db1")
    recs = []
    count = min(1000, max(48, scale // 400))
    for n in range(count):
        near = clock.at((n + 0.5) / count)
        port = _eph(rng)
        out = record(app4, "egress", app4.ipv4, db1.ipv4, port, 5432, TCP, flags=2, path=1)
        back = record(db1, "ingress", app4.ipv4, db1.ipv4, port, 5432, TCP, "REJECT", flags=2)
        for values in (out, back):
            recs.append(clock.place(_counts(values, rng, (3, 3), (60, 60)), near, 20))
    blocked = summary(
        "blocked_port", f"{app4.ipv4} cannot reach {db1.ipv4}:5432 (PostgreSQL): rejected at the database",
        recs, source=app4.ipv4, targets=(db1.ipv4,), port=5432, interfaces=(app4.eni, db1.eni),
    )  # fmt: skip

    # Public exposure: MySQL on db2 accepts connections from the internet.
    begin = clock.at(0.45)
    recs = []
    for n in range(30):
        client = exposers[n % len(exposers)]
        values = record(db2, "ingress", client, db2.ipv4, _eph(rng), 3306, TCP, flags=3)
        recs.append(clock.place(_counts(values, rng, (6, 30), (60, 400)), begin + rng.randrange(7200), 30))
    exposure = summary(
        "public_exposure",
        f"MySQL on {db2.ipv4}:3306 accepted connections from {len(exposers)} internet addresses",
        recs, source=exposers[0], targets=(db2.ipv4,), port=3306,
    )  # fmt: skip

    # TCP that never completes: app1 keeps calling a decommissioned service, SYN only.
    gone = f"10.{w.net}.11.250"
    app1 = w.role("app1")
    recs = []
    count = min(1000, max(40, scale // 500))
    for n in range(count):
        values = record(app1, "egress", app1.ipv4, gone, _eph(rng), 8443, TCP, flags=2, path=1)
        recs.append(clock.place(_counts(values, rng, (2, 4), (60, 60)), clock.at((n + 0.3) / count), 10))
    unanswered = summary(
        "unanswered", f"{app1.ipv4} sends SYNs to {gone}:8443 that are never answered", recs,
        source=app1.ipv4, targets=(gone,), port=8443,
    )  # fmt: skip

    # VPC Block Public Access rejects an internet client of web2 (reject-reason BPA).
    web2 = w.role("web2")
    begin = clock.at(0.4)
    recs = []
    for _ in range(30):
        values = record(
            web2,
            "ingress",
            bpa_source,
            web2.ipv4,
            _eph(rng),
            443,
            TCP,
            "REJECT",
            flags=2,
            reject_reason="BPA",
        )
        recs.append(clock.place(_counts(values, rng, (1, 2), (60, 60)), begin + rng.randrange(3600), 5))
    bpa = summary(
        "block_public_access", f"{bpa_source} → {web2.ipv4}:443 rejected by VPC Block Public Access", recs,
        source=bpa_source, targets=(web2.ipv4,), port=443,
    )  # fmt: skip

    nat = w.role("nat")
    nat_info = Planted(
        "nat", f"the NAT gateway {nat.eni} ({nat.ipv4}) translates the app tier's internet traffic",
        acct, region, source=nat.ipv4, interfaces=(nat.eni,),
    )  # fmt: skip

    # An idle interface reports NODATA every hour; a busy batch host loses records (SKIPDATA).
    idle = w.role("idle")
    recs = []
    hours = max(1, (clock.last - clock.first) // 3600)
    for n in range(hours):
        values = status_record(idle, "NODATA")
        recs.append(clock.place(values, clock.first + n * 3600 + 1800, 590))
    nodata = summary("nodata", f"{idle.eni} had no traffic to log (NODATA)", recs, interfaces=(idle.eni,))
    batch = w.role("batch")
    recs = []
    for n in range(6):
        values = status_record(batch, "SKIPDATA")
        recs.append(clock.place(values, clock.at(0.65) + n * 600, 590))
    skipdata = summary(
        "skipdata", f"{batch.eni} lost records during a burst (SKIPDATA)", recs, interfaces=(batch.eni,)
    )
    incidents = Incidents(
        ssh, port_scan, host_scan, exfil, blocked, exposure, unanswered, bpa, nat_info, nodata, skipdata
    )
    return rows, incidents


def excluded_by_incidents(world: World) -> Callable[[dict[str, Any]], bool]:
    """Background flows that would contradict a planted incident (app4 and db1 never talk)."""
    app4, db1 = world.role("app4").ipv4, world.role("db1").ipv4

    def exclude(values: dict[str, Any]) -> bool:
        return {values["srcaddr"], values["dstaddr"]} == {app4, db1}

    return exclude


def crossing_records(
    templates_: Sequence[Template], rng: random.Random, midnights: Iterator[int], per_midnight: int
) -> list[dict[str, Any]]:
    """Records that start before a midnight and end after it: their file is the next day's."""
    rows = []
    for midnight in midnights:
        for _ in range(per_midnight):
            tpl = rng.choice(templates_)
            values = dict(tpl.values)
            if tpl.srcport_ephemeral:
                values["srcport"] = _eph(rng)
            if tpl.dstport_ephemeral:
                values["dstport"] = _eph(rng)
            values = _counts(values, rng, tpl.packets, tpl.bytes_per_packet)
            values.update(start=midnight - rng.randrange(1, 300), end=midnight + rng.randrange(0, 240))
            rows.append(values)
    return rows


def short_hash(*parts: object, length: int = 8) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:length]
