"""Synthetic VPC flow logs with planted incidents, in the exact S3 layout and file naming.

    from flowsql.sample.generator import generate
    sample = generate("./flowlogs", days=2, records=20_000)
    sample.spec            # a TableSpec for the folder
    sample.incidents       # what was planted (SSH brute force, port scan, exfiltration, …)
    sample.records         # every record, read back from the files, as dicts

The network (flowsql.sample.network) and its incidents (flowsql.sample.incidents) are plain Python,
a handful of records each; the bulk of the records is drawn in DuckDB from weighted templates with
per-record hashes, so two million records take seconds and the same seed always gives the same records.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import random
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

from flowsql.errors import ConfigError
from flowsql.inventory import store
from flowsql.investigations.window import TimeWindow
from flowsql.sample import context as planted_context
from flowsql.sample import incidents as planting
from flowsql.sample import network
from flowsql.sample.files import DRAWN, SLOT, q, write
from flowsql.sample.progress import Report, Tracker
from flowsql.tables import fields as flowfields
from flowsql.tables.spec import FileFormat, TableSpec

UTC = timezone.utc
MARKER = ".flowsql-sample.json"
INVENTORY = "inventory"  # the matching inventory, beside AWSLogs/
RECORDS_PER_FILE = 1000

__all__ = ["Incidents", "Planted", "SampleSet", "generate", "read_records"]

Incidents = planting.Incidents
Planted = planting.Planted


@dataclass
class SampleSet:
    """What generate() wrote: the table describing it, the planted incidents and the files."""

    spec: TableSpec
    incidents: planting.Incidents
    window: TimeWindow
    files: list[Path]
    count: int
    seed: int
    seconds: float = 0.0
    # The cases planted for the context investigations, and the folder of the matching inventory.
    context: planted_context.Context | None = None
    inventory: Path | None = None

    @cached_property
    def records(self) -> list[dict[str, Any]]:
        """Every record, read back from the files in plain Python: column → value, None for '-'."""
        return read_records(self.files, self.spec)

    def summary(self) -> str:
        size = sum(p.stat().st_size for p in self.files)
        days = (self.window.end - self.window.start).days
        return (
            f"{self.count:,} records in {len(self.files):,} files ({size / 1e6:.1f} MB) over {days} "
            f"day{'s' if days != 1 else ''}, {self.window.start:%Y-%m-%d} to "
            f"{self.window.end - timedelta(days=1):%Y-%m-%d}"
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
    records: int = 20_000,
    accounts: Sequence[str] = ("111122223333",),
    regions: Sequence[str] = ("us-east-1",),
    seed: int = 7,
    files_per_day: int | None = None,
    overwrite: bool = False,
    on_progress: Report | None = None,
) -> SampleSet:
    """Write about `records` flow-log records over `days` days ending with `end` (default yesterday,
    UTC) under `out`, with incidents planted in the first account and Region.

    files_per_day: the 5-minute windows per day (per account and Region) that hold records; by
    default one file per ~1,000 records, at least 24 a day, at most 288.
    overwrite: replace a sample set an earlier generate() wrote in `out` (never other files).
    on_progress: called with a SampleProgress as the records are drawn and the files written.
    """
    import time

    began = time.perf_counter()
    if days < 1 or days > 366:
        raise ConfigError(f"days must be 1-366, got {days}")
    if records < 0:
        raise ConfigError(f"records must be 0 or more, got {records}")
    if not accounts or not regions:
        raise ConfigError("a sample set needs at least one account and one Region")
    last_day = _last_day(end)
    first_day = last_day - timedelta(days=days - 1)
    fields = (
        flowfields.parse_log_format(log_format)
        if log_format
        else tuple(flowfields.BY_NAME[n] for n in flowfields.DEFAULT_FORMAT)
    )
    out = Path(out)
    spec = TableSpec(
        location=str(out),
        layout=layout,
        hourly=hourly,
        file_format=file_format,
        fields=fields,
        accounts=tuple(accounts),
        regions=tuple(regions),
        start_date=first_day,
    )
    _prepare(out, overwrite)

    first = _epoch(first_day)
    last = _epoch(last_day + timedelta(days=1))

    # One stream per purpose, so the network (addresses, ids) depends on the seed alone and not
    # on how many records or days were asked for.
    def rng(*purpose: object) -> random.Random:
        return random.Random(":".join(map(str, (seed, *purpose))))

    per_day = files_per_day or min(288, max(24, math.ceil(records / days / RECORDS_PER_FILE)))
    if not 1 <= per_day <= 288:
        raise ConfigError(f"files_per_day must be 1-288, got {files_per_day}")
    slots = _active_slots(rng("slots"), first, days, per_day)

    worlds = [
        network.World(account, region, index, rng("world", account, region))
        for index, (account, region) in enumerate(itertools.product(accounts, regions))
    ]
    clock = planting.Clock(rng("clock"), slots, first, last)
    explicit, incidents = planting.plant(worlds[0], rng("plant"), clock, records)
    context_rows, context = planted_context.plant(worlds[0], rng("context"), clock)
    explicit.extend(context_rows)
    for row in explicit:
        row["_world"] = 0
    templates: list[tuple[int, network.Template]] = []
    for index, world in enumerate(worlds):
        own = network.templates(world, rng("templates", index), planting.excluded_by_incidents(world))
        templates.extend((index, t) for t in own)
        per_midnight = min(200, max(2, records // (days * 288 * len(worlds))))
        midnights = iter(range(first + 86400, last + 1, 86400))
        for row in planting.crossing_records(own, rng("midnight", index), midnights, per_midnight):
            row["_world"] = index
            explicit.append(row)
    background = max(0, records - len(explicit))
    tracker = Tracker(on_progress, len(explicit) + background, days, first)

    with tempfile.TemporaryDirectory(prefix="flowsql-sample-") as tmp:
        con = _connect(Path(tmp))
        try:
            _stage(con, Path(tmp), templates, explicit, slots)
            with tracker.drawing(con):
                _expand(con, background, seed, first)
            places = [(w.account, w.region) for w in worlds]
            files = write(con, spec, Path(tmp), seed, places, tracker)
        finally:
            con.close()
    count = len(explicit) + background
    (out / MARKER).write_text(
        json.dumps(
            {
                "written_by": "flowsql sample",
                "seed": seed,
                "records": count,
                "days": days,
                "first_day": first_day.isoformat(),
                "last_day": last_day.isoformat(),
                "table": spec.to_dict(),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    window = TimeWindow(datetime.fromtimestamp(first, UTC), datetime.fromtimestamp(last, UTC))
    inventory = out / INVENTORY
    store.write_parquet(planted_context.snapshot(worlds, window.end), inventory)
    seconds = time.perf_counter() - began
    return SampleSet(spec, incidents, window, files, count, seed, seconds, context, inventory)


# --- inputs ----------------------------------------------------------------------------------


def _last_day(end: date | str | None) -> date:
    if end is None:
        return datetime.now(UTC).date() - timedelta(days=1)
    if isinstance(end, datetime):
        return end.astimezone(UTC).date() if end.tzinfo else end.date()
    if isinstance(end, date):
        return end
    try:
        return date.fromisoformat(str(end))
    except ValueError:
        raise ConfigError(f"end must be a date like 2024-05-01, got {end!r}") from None


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _prepare(out: Path, overwrite: bool) -> None:
    logs = out / "AWSLogs"
    if logs.exists() and any(logs.iterdir()):
        if overwrite and (out / MARKER).exists():
            shutil.rmtree(logs)
        elif overwrite:
            raise ConfigError(
                f"{out} holds flow logs that flowsql sample did not write; refusing to replace them",
                hint="choose an empty folder",
            )
        else:
            raise ConfigError(
                f"{out} already holds flow logs under AWSLogs/",
                hint="choose an empty folder, or pass --force to replace a sample set written earlier",
            )
    out.mkdir(parents=True, exist_ok=True)


def _active_slots(rng: random.Random, first: int, days: int, per_day: int) -> list[int]:
    """The 5-minute windows that get files; midnight's is always one, so records cross days. With 24
    or more a day (so at least 25), each hour has one at minutes 10-50, so records start in every hour
    as in a delivered flow log (log_coverage must see no holes AWS would not leave); the rest are random."""
    slots = []
    for day in range(days):
        base = first + day * 86400
        if per_day >= 24:
            chosen = {0, *(hour * 12 + rng.randrange(2, 10) for hour in range(24))}
            rest = sorted(set(range(1, 288)) - chosen)
            chosen |= set(rng.sample(rest, max(0, per_day - len(chosen))))
        else:
            chosen = {0, *rng.sample(range(1, 288), per_day - 1)} if per_day > 1 else {0}
        slots.extend(base + n * SLOT for n in sorted(chosen))
    return slots


# --- DuckDB ----------------------------------------------------------------------------------


def _connect(tmp: Path) -> Any:
    from flowsql.duckdb_driver import duckdb

    # Sorting millions of wide rows would otherwise hold them all in memory: let DuckDB spill.
    con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB", "temp_directory": str(tmp / "spill")})
    con.execute("SET preserve_insertion_order = true")
    return con


def _sql_type(column: str) -> str:
    return "BIGINT" if column in network.INT_COLUMNS else "VARCHAR"


def _tsv(path: Path, names: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """Rows as tab-separated text DuckDB reads back with explicit types ('\\N' is NULL)."""
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            cells = []
            for name in names:
                value = row.get(name)
                if value is None or value == "":
                    cells.append("\\N")
                elif isinstance(value, bool):
                    cells.append("true" if value else "false")
                else:
                    cells.append(str(value))
            f.write("\t".join(cells) + "\n")


def _read_tsv(con: Any, table: str, path: Path, columns: dict[str, str]) -> None:
    spec = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
    con.execute(
        f"CREATE TABLE {table} AS SELECT * FROM read_csv('{path}', delim='\t', header=false, "
        f"nullstr='\\N', quote='', escape='', auto_detect=false, columns={{{spec}}})"
    )


_WIDE_EXTRA = {
    "ref": "BIGINT", "_world": "BIGINT", "explicit": "BOOLEAN", "pk_lo": "BIGINT", "pk_hi": "BIGINT",
    "bpp_lo": "BIGINT", "bpp_hi": "BIGINT", "dur_max": "BIGINT", "s_eph": "BOOLEAN", "d_eph": "BOOLEAN",
}  # fmt: skip


def _stage(
    con: Any,
    tmp: Path,
    templates: Sequence[tuple[int, network.Template]],
    explicit: Sequence[dict[str, Any]],
    slots: Sequence[int],
) -> None:
    """Load the small tables: `wide` (one row per template and per explicit record, every
    column), `picks` (template ids repeated by weight) and `slots` (the active 5-minute windows)."""
    rows: list[dict[str, Any]] = []
    picks: list[dict[str, Any]] = []
    for world, tpl in templates:
        row = dict(tpl.values)
        row.update(
            ref=len(rows), _world=world, explicit=False,
            pk_lo=tpl.packets[0], pk_hi=tpl.packets[1],
            bpp_lo=tpl.bytes_per_packet[0], bpp_hi=tpl.bytes_per_packet[1],
            dur_max=tpl.max_duration, s_eph=tpl.srcport_ephemeral, d_eph=tpl.dstport_ephemeral,
        )  # fmt: skip
        base = len(picks)
        picks.extend({"pick": base + n, "ref": row["ref"]} for n in range(tpl.weight))
        rows.append(row)
    for values in explicit:
        rows.append({**values, "ref": len(rows), "explicit": True})
    columns = {**_WIDE_EXTRA, **{c: _sql_type(c) for c in network.COLUMNS}}
    _tsv(tmp / "wide.tsv", list(columns), rows)
    _read_tsv(con, "wide", tmp / "wide.tsv", columns)
    _tsv(tmp / "picks.tsv", ["pick", "ref"], picks)
    _read_tsv(con, "picks", tmp / "picks.tsv", {"pick": "BIGINT", "ref": "BIGINT"})
    _tsv(tmp / "slots.tsv", ["slot_i", "slot"], [{"slot_i": i, "slot": s} for i, s in enumerate(slots)])
    _read_tsv(con, "slots", tmp / "slots.tsv", {"slot_i": "BIGINT", "slot": "BIGINT"})


def _expand(con: Any, n: int, seed: int, first: int) -> None:
    """The narrow `flows` table: one row per record with its drawn columns and its `wide` ref."""
    drawn = {
        "end": "(s.slot + r.off)",
        "start": f"greatest({first}, s.slot + r.off - r.h4 % (t.dur_max + 1))",
        "packets": "(t.pk_lo + r.h5 % (t.pk_hi - t.pk_lo + 1))",
        "srcport": "CASE WHEN t.s_eph THEN 32768 + r.h7 % 28232 ELSE t.srcport END",
        "dstport": "CASE WHEN t.d_eph THEN 32768 + r.h8 % 28232 ELSE t.dstport END",
    }
    drawn["bytes"] = f"{drawn['packets']} * (t.bpp_lo + r.h6 % (t.bpp_hi - t.bpp_lo + 1))"
    given = ", ".join(q(c) for c in DRAWN)
    computed = ", ".join(f"{drawn[c]} AS {q(c)}" for c in DRAWN)
    npicks = con.execute("SELECT count(*) FROM picks").fetchone()[0]
    nslots = con.execute("SELECT count(*) FROM slots").fetchone()[0]
    explicit = f"SELECT ref, _world, ref AS seq, {given} FROM wide WHERE explicit"
    if n == 0 or npicks == 0:
        con.execute(f"CREATE TABLE flows AS {explicit}")
        return
    # hash() is UBIGINT; arithmetic on it widens to HUGEINT and is several times slower
    hashes = ", ".join(f"CAST(hash(i, {seed}, {k}) >> 1 AS BIGINT) AS h{k}" for k in range(4, 9))
    con.execute(
        f"""
        CREATE TABLE flows AS
        {explicit}
        UNION ALL
        SELECT t.ref, t._world, 1000000000 + r.i AS seq, {computed}
        FROM (
            SELECT i,
                CAST(hash(i, {seed}, 1) >> 1 AS BIGINT) % {npicks} AS pick,
                CAST(hash(i, {seed}, 2) >> 1 AS BIGINT) % {nslots} AS slot_i,
                CAST(hash(i, {seed}, 3) >> 1 AS BIGINT) % {SLOT} AS off,
                {hashes}
            FROM range({n}) AS g(i)
        ) AS r
        JOIN picks AS p ON p.pick = r.pick
        JOIN wide AS t ON t.ref = p.ref
        JOIN slots AS s ON s.slot_i = r.slot_i
        """
    )


# --- reading back ----------------------------------------------------------------------------


def read_records(files: Sequence[Path], spec: TableSpec) -> list[dict[str, Any]]:
    """Records as the files hold them: text parsed in plain Python, Parquet read with DuckDB."""
    if spec.file_format is FileFormat.PARQUET:
        return _read_parquet(files)
    out: list[dict[str, Any]] = []
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            names = [flowfields.column_name(n) for n in f.readline().split()]
            ints = [name in network.INT_COLUMNS for name in names]
            for line in f:
                cells = line.split()
                if len(cells) != len(names):
                    raise ValueError(f"{path}: {len(cells)} fields where the header names {len(names)}")
                out.append(
                    {
                        name: None if cell == "-" else int(cell) if is_int else cell
                        for name, cell, is_int in zip(names, cells, ints, strict=True)
                    }
                )
    return out


def _read_parquet(files: Sequence[Path]) -> list[dict[str, Any]]:
    from flowsql.duckdb_driver import duckdb

    out: list[dict[str, Any]] = []
    con = duckdb.connect()
    try:
        for path in files:
            cursor = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
            names = [d[0] for d in cursor.description]
            out.extend(dict(zip(names, row, strict=True)) for row in cursor.fetchall())
    finally:
        con.close()
    return out
