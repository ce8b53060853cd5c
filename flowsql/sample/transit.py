"""Synthetic transit gateway flow logs with planted incidents, laid out and named like AWS's.

    from flowsql.sample.transit import generate
    sample = generate("./tgw-logs", days=2, records=5000)
    sample.spec         # a TableSpec with the transit gateway's default format (version 6)
    sample.incidents    # the blackhole route, the MTU problem, the attachment carrying most bytes

One transit gateway in the first account and Region joins four VPCs in three accounts and a VPN.
Every flow that crosses it is recorded twice: at the attachment it enters (flow-direction ingress,
tgw-pair-attachment-id the one it leaves by) and at the one it leaves by (egress). Dropped packets
are counted in packets-lost-no-route, -blackhole, -mtu-exceeded and -ttl-expired; traffic a
blackhole route drops never reaches an egress attachment. Plain Python: a few thousand records.
"""

from __future__ import annotations

import gzip
import hashlib
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from flowsql.errors import ConfigError
from flowsql.investigations.window import TimeWindow
from flowsql.sample.progress import Report, Tracker
from flowsql.tables import fields as flowfields
from flowsql.tables.spec import FileFormat, TableSpec

UTC = timezone.utc
SLOT = 300
MARKER = ".flowsql-sample.json"
SPOKE_ACCOUNTS = ("444455556666", "777788889999")


def _hex(*parts: object, length: int = 17) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:length]


@dataclass(frozen=True)
class Attachment:
    name: str
    id: str
    account: str | None  # the VPC's account; None for a VPN attachment
    vpc: str | None
    subnet: str | None
    eni: str | None
    az: str | None
    prefix: str  # first two octets of the addresses behind it


@dataclass(frozen=True)
class TransitIncidents:
    """What was planted, for the tour and the tests."""

    tgw_id: str
    blackhole_attachment: str  # where traffic to the blackholed CIDR enters
    blackhole_cidr: str
    blackhole_packets: int
    mtu_attachment: str  # where oversized packets enter
    mtu_pair: str  # the VPN attachment they cannot leave by
    mtu_packets: int
    top_attachment: str  # the attachment carrying most bytes
    attachments: dict[str, str]  # name -> id

    def all(self) -> list[tuple[str, str]]:
        return [
            ("blackhole route", f"{self.blackhole_packets:,} packets to {self.blackhole_cidr} dropped, "
             f"entering at {self.blackhole_attachment}"),
            ("MTU exceeded", f"{self.mtu_packets:,} packets over 1500 bytes dropped between "
             f"{self.mtu_attachment} and the VPN {self.mtu_pair}"),
            ("top attachment", f"{self.top_attachment} (shared services) carries most bytes: backups"),
        ]  # fmt: skip


@dataclass
class TransitSample:
    spec: TableSpec
    incidents: TransitIncidents
    window: TimeWindow
    files: list[Path]
    count: int

    def summary(self) -> str:
        size = sum(p.stat().st_size for p in self.files)
        days = (self.window.end - self.window.start).days
        return (
            f"{self.count:,} transit gateway records in {len(self.files):,} files ({size / 1e6:.1f} MB) "
            f"over {days} day{'s' if days != 1 else ''}, {self.window.start:%Y-%m-%d} to "
            f"{self.window.end - timedelta(days=1):%Y-%m-%d}"
        )


def _world(seed: int, owner: str, region: str) -> dict[str, Attachment]:
    parts = region.split("-")
    short = parts[0] + "".join(p[0] for p in parts[1:-1]) + parts[-1]
    layout = {
        "shared": (owner, "10.0"),
        "prod": (SPOKE_ACCOUNTS[0], "10.10"),
        "dev": (SPOKE_ACCOUNTS[1], "10.20"),
        "data": (SPOKE_ACCOUNTS[0], "10.30"),
        "vpn": (None, "192.168"),
    }
    out = {}
    for n, (name, (account, prefix)) in enumerate(layout.items()):
        vpc = account is not None
        out[name] = Attachment(
            name,
            "tgw-attach-" + _hex(seed, "attach", name),
            account,
            "vpc-" + _hex(seed, "vpc", name) if vpc else None,
            "subnet-" + _hex(seed, "subnet", name) if vpc else None,
            "eni-" + _hex(seed, "eni", name) if vpc else None,
            f"{short}-az{n % 3 + 1}" if vpc else None,
            prefix,
        )
    return out


# (source, destination, protocol, port, packets range, bytes per packet range, weight)
_TRAFFIC = (
    ("prod", "shared", 6, 443, (5, 400), (200, 1400), 30),
    ("dev", "shared", 6, 443, (5, 300), (200, 1400), 20),
    ("prod", "data", 6, 5432, (10, 800), (100, 1200), 15),
    ("vpn", "prod", 6, 443, (5, 200), (100, 1300), 10),
    ("dev", "prod", 6, 22, (10, 100), (60, 400), 5),
    ("shared", "dev", 17, 53, (1, 4), (60, 200), 8),
    # backups from every VPC into shared services: the attachment carrying most of the bytes
    ("prod", "shared", 6, 873, (2000, 9000), (7000, 8500), 2),
    ("dev", "shared", 6, 873, (2000, 9000), (7000, 8500), 2),
    ("data", "shared", 6, 873, (2000, 9000), (7000, 8500), 2),
)


def generate(
    out: str | Path,
    *,
    days: int = 2,
    end: date | str | None = None,
    layout: str = "aws",
    hourly: bool = False,
    file_format: str = "text",
    log_format: str | None = None,
    records: int = 5000,
    accounts: Sequence[str] = ("111122223333",),
    regions: Sequence[str] = ("us-east-1",),
    seed: int = 7,
    files_per_day: int = 24,
    overwrite: bool = False,
    on_progress: Report | None = None,
) -> TransitSample:
    """Write about `records` transit gateway flow-log records over `days` days ending with `end`,
    in `files_per_day` 5-minute windows a day (midnight's always among them); `on_progress` gets a
    SampleProgress as the files are written."""
    import json

    if not 1 <= days <= 366:
        raise ConfigError(f"days must be 1-366, got {days}")
    if records < 0:
        raise ConfigError(f"records must be 0 or more, got {records}")
    if not 1 <= files_per_day <= 288:
        raise ConfigError(f"files_per_day must be 1-288, got {files_per_day}")
    last_day = _last_day(end)
    first_day = last_day - timedelta(days=days - 1)
    names = flowfields.parse_log_format(log_format) if log_format else tuple(
        flowfields.BY_NAME[n] for n in flowfields.TGW_DEFAULT_FORMAT
    )  # fmt: skip
    owner, region = accounts[0], regions[0]
    out = Path(out)
    spec = TableSpec(
        location=str(out), layout=layout, hourly=hourly, file_format=file_format, fields=names,
        accounts=(owner,), regions=(region,), start_date=first_day,
    )  # fmt: skip
    _prepare(out, overwrite)
    rng = random.Random(f"{seed}:tgw")
    world = _world(seed, owner, region)
    tgw = "tgw-" + _hex(seed, "tgw")
    first = int(datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC).timestamp())
    span = days * 86400
    slots = [
        first + day * 86400 + n * SLOT
        for day in range(days)
        for n in sorted({0, *rng.sample(range(1, 288), files_per_day - 1)})
    ]
    rows: list[dict[str, Any]] = []

    def flow(
        src: str,
        dst: str | None,
        proto: int,
        port: int,
        packets: int,
        size: int,
        to: str = "10.30",
        **lost: int,
    ) -> None:
        finish = rng.choice(slots) + rng.randrange(SLOT)
        start = max(first, finish - rng.randrange(61))
        a, b = world[src], world[dst] if dst else None
        dst_ip = f"{b.prefix if b else to}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        base = {
            "srcaddr": f"{a.prefix}.{rng.randrange(256)}.{rng.randrange(1, 255)}", "dstaddr": dst_ip,
            "srcport": 32768 + rng.randrange(28232) if proto in (6, 17) else 0,
            "dstport": port, "protocol": proto, "start": start, "end": finish,
            "tcp-flags": rng.choice((3, 19, 27, 24)) if proto == 6 else None,
            "tgw-src-vpc-account-id": a.account, "tgw-src-vpc-id": a.vpc, "tgw-src-subnet-id": a.subnet,
            "tgw-src-eni": a.eni, "tgw-src-az-id": a.az,
            "tgw-dst-vpc-account-id": b.account if b else None, "tgw-dst-vpc-id": b.vpc if b else None,
            "tgw-dst-subnet-id": b.subnet if b else None, "tgw-dst-eni": b.eni if b else None,
            "tgw-dst-az-id": b.az if b else None,
        }  # fmt: skip
        dropped = sum(lost.values())
        rows.append({
            **base, "tgw-attachment-id": a.id, "tgw-pair-attachment-id": b.id if b else None,
            "flow-direction": "ingress", "packets": packets, "bytes": packets * size,
            **{f"packets-lost-{k.replace('_', '-')}": v for k, v in lost.items()},
        })  # fmt: skip
        delivered = packets - dropped
        if b is not None and delivered > 0:
            rows.append({
                **base, "tgw-attachment-id": b.id, "tgw-pair-attachment-id": a.id,
                "flow-direction": "egress", "packets": delivered, "bytes": delivered * size,
            })  # fmt: skip

    blackholed = mtu_lost = 0
    for _ in range(40):  # a blackhole route for the data VPC's 10.30.0.0/16 in dev's route table
        packets = rng.randrange(20, 120)
        blackholed += packets
        flow("dev", None, 6, 5432, packets, 120, blackhole=packets)
    for _ in range(30):  # jumbo frames from prod towards the VPN (MTU 1500)
        packets = rng.randrange(20, 200)
        lost = rng.randrange(1, packets // 4)
        mtu_lost += lost
        flow("prod", "vpn", 6, 445, packets, 1400, mtu_exceeded=lost)
    for _ in range(6):  # nowhere to go from on-premises, and a routing loop
        flow("vpn", None, 6, 8080, rng.randrange(4, 9), 80, to="10.99", no_route=rng.randrange(1, 4))
    for _ in range(3):
        flow("shared", "dev", 1, 0, 4, 84, ttl_expired=2)
    weights = [t[-1] for t in _TRAFFIC]
    while len(rows) < records:
        src, dst, proto, port, (plo, phi), (blo, bhi), _w = rng.choices(_TRAFFIC, weights)[0]
        flow(src, dst, proto, port, rng.randint(plo, phi), rng.randint(blo, bhi))
    version = flowfields.record_version(names)
    constant = {"version": version, "resource-type": "TransitGateway", "account-id": owner,
                "tgw-id": tgw, "log-status": "OK", "type": "IPv4", "region": region}  # fmt: skip
    for row in rows:
        row.update(constant)
        for counter in ("no-route", "blackhole", "mtu-exceeded", "ttl-expired"):
            row.setdefault(f"packets-lost-{counter}", 0)
    rows.sort(key=lambda r: (r["end"], r["start"], r["tgw-attachment-id"], r["srcaddr"]))
    files = _write(out, spec, rows, owner, region, seed, Tracker(on_progress, len(rows), days, first))
    count = len(rows)
    (out / MARKER).write_text(
        json.dumps({"written_by": "flowsql sample --transit-gateway", "seed": seed, "records": count,
                    "table": spec.to_dict()}, indent=2) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    window = TimeWindow(datetime.fromtimestamp(first, UTC), datetime.fromtimestamp(first + span, UTC))
    top = world["shared"].id
    incidents = TransitIncidents(
        tgw, world["dev"].id, "10.30.0.0/16", blackholed, world["prod"].id, world["vpn"].id, mtu_lost, top,
        {name: a.id for name, a in world.items()},
    )  # fmt: skip
    return TransitSample(spec, incidents, window, files, count)


def _write(
    out: Path,
    spec: TableSpec,
    rows: list[dict[str, Any]],
    owner: str,
    region: str,
    seed: int,
    tracker: Tracker,
) -> list[Path]:
    flow_log = "fl-" + _hex(seed, "tgw-flow-log")
    by_slot: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_slot.setdefault(row["end"] - row["end"] % SLOT, []).append(row)
    names = [f.name for f in spec.fields]
    files = []
    tracker.planned(len(by_slot))
    for slot, group in sorted(by_slot.items()):
        moment = datetime.fromtimestamp(slot, UTC)
        folder = Path(spec.partition_path(owner, region, moment.date(), moment.hour if spec.hourly else None))
        name = f"{owner}_vpcflowlogs_{region}_{flow_log}_{moment:%Y%m%dT%H%M}Z_{_hex(seed, slot, length=8)}"
        folder.mkdir(parents=True, exist_ok=True)
        lines = [" ".join(names)] + [" ".join(_cell(r.get(n)) for n in names) for r in group]
        body = gzip.compress(("\n".join(lines) + "\n").encode(), 6, mtime=0)
        if spec.file_format is FileFormat.PARQUET:
            path = folder / (name + ".log.parquet")
            _to_parquet(body, spec, path)
        else:
            path = folder / (name + ".log.gz")
            path.write_bytes(body)
        files.append(path)
        tracker.wrote(len(group), slot)
    return files


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def _to_parquet(text: bytes, spec: TableSpec, path: Path) -> None:
    import tempfile

    from flowsql.duckdb_driver import duckdb

    kinds = {"int": "INTEGER", "bigint": "BIGINT"}
    with tempfile.TemporaryDirectory(prefix="flowsql-tgw-") as tmp:
        source = Path(tmp, "records.log.gz")
        source.write_bytes(text)
        columns = ", ".join(f"'{f.name}': '{kinds.get(f.parquet_type, 'VARCHAR')}'" for f in spec.fields)
        select = ", ".join(f'"{f.name}" AS "{f.column}"' for f in spec.fields)
        con = duckdb.connect()
        try:
            con.execute(
                f"COPY (SELECT {select} FROM read_csv('{source}', delim=' ', header=true, nullstr='-', "
                f"quote='', escape='', auto_detect=false, columns={{{columns}}})) "
                f"TO '{path}' (FORMAT parquet, COMPRESSION gzip)"
            )
        finally:
            con.close()


def _last_day(end: date | str | None) -> date:
    if end is None:
        return datetime.now(UTC).date() - timedelta(days=1)
    if isinstance(end, date):
        return end
    try:
        return date.fromisoformat(str(end))
    except ValueError:
        raise ConfigError(f"end must be a date like 2024-05-01, got {end!r}") from None


def _prepare(out: Path, overwrite: bool) -> None:
    logs = out / "AWSLogs"
    if logs.exists() and any(logs.iterdir()):
        if overwrite and (out / MARKER).exists():
            shutil.rmtree(logs)
        else:
            raise ConfigError(
                f"{out} already holds flow logs under AWSLogs/",
                hint="choose an empty folder, or pass --force to replace a sample set written earlier",
            )
    out.mkdir(parents=True, exist_ok=True)
