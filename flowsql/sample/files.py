"""The sample's files, as AWS writes them: the drawn records (DuckDB tables `flows` and `wide`, made by
flowsql.sample.generator) sorted into one file per account, Region and 5-minute window, gzip text
with a header line or Parquet, under the layout's prefixes and AWS's file names."""

from __future__ import annotations

import gzip
import itertools
import shutil
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flowsql.sample import incidents as planting
from flowsql.sample import network
from flowsql.sample.progress import SORTING, Tracker
from flowsql.tables import fields as flowfields
from flowsql.tables.spec import FileFormat, TableSpec

UTC = timezone.utc
SLOT = 300  # files hold the records whose end time falls in one 5-minute window
GZIP_LEVEL = 2
# Per-record columns: drawn in DuckDB for template records, given for explicit ones.
DRAWN = ("start", "end", "packets", "bytes", "srcport", "dstport")


def q(column: str) -> str:
    return f'"{column}"'


def _output_columns(spec: TableSpec, parquet: bool) -> str:
    version = flowfields.record_version(spec.fields)
    parts = []
    for f in spec.fields:
        name = f.column if parquet else f.name
        kind = {"int": "INTEGER", "bigint": "BIGINT"}.get(
            f.parquet_type if parquet else f.text_type, "VARCHAR"
        )
        if f.column == "version":
            expr = str(version)
        elif f.column in DRAWN:
            expr = "f." + q(f.column)
        elif f.column in network.COLUMNS:
            expr = "w." + q(f.column)
        else:
            expr = "NULL"  # a field flowsql does not know: '-' like AWS prints an empty value
        parts.append(f"CAST({expr} AS {kind}) AS {q(name)}")
    return ", ".join(parts)


_FROM = "FROM flows AS f JOIN wide AS w USING (ref)"
_ORDER = f'ORDER BY f._world, f."end" - f."end" % {SLOT}, f.start, f.seq'


def write(
    con: Any, spec: TableSpec, tmp: Path, seed: int, places: Sequence[tuple[str, str]], tracker: Tracker
) -> list[Path]:
    groups = con.execute(
        f'SELECT _world, "end" - "end" % {SLOT} AS slot, count(*) FROM flows GROUP BY ALL ORDER BY ALL'
    ).fetchall()
    tracker.planned(len(groups))
    if spec.file_format is FileFormat.PARQUET:
        counts = {(w, slot): n for w, slot, n in groups}
        return _write_parquet(con, spec, tmp, seed, places, tracker, counts)
    return _write_text(con, spec, tmp, seed, [(*places[w], slot, n) for w, slot, n in groups], tracker)


def _file_path(spec: TableSpec, account: str, region: str, slot: int, seed: int, part: int = 0) -> Path:
    moment = datetime.fromtimestamp(slot, UTC)
    folder = spec.partition_path(account, region, moment.date(), moment.hour if spec.hourly else None)
    flow_log = "fl-" + planting.short_hash("flow-log", seed, account, region, length=17)
    digest = planting.short_hash(seed, account, region, slot, part)
    name = f"{account}_vpcflowlogs_{region}_{flow_log}_{moment:%Y%m%dT%H%M}Z_{digest}{spec.file_suffix}"
    return Path(folder) / name


def _write_text(
    con: Any, spec: TableSpec, tmp: Path, seed: int, groups: list[tuple[Any, ...]], tracker: Tracker
) -> list[Path]:
    """One sorted COPY to plain text, then cut it into per-slot files and gzip them on threads
    (zlib releases the GIL; DuckDB's own gzip writer is several times slower)."""
    plain = tmp / "all.txt"
    with tracker.drawing(con, SORTING):
        con.execute(
            f"COPY (SELECT {_output_columns(spec, parquet=False)} {_FROM} {_ORDER}) "
            f"TO '{plain}' (FORMAT csv, DELIMITER ' ', HEADER false, NULLSTR '-')"
        )
    header = (" ".join(f.name for f in spec.fields) + "\n").encode()
    files: list[Path] = []
    pending: list[Future[None]] = []

    def save(path: Path, body: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(header + body, GZIP_LEVEL, mtime=0))

    with plain.open("rb") as source, ThreadPoolExecutor(max_workers=2) as pool:
        for account, region, slot, count in groups:
            path = _file_path(spec, account, region, slot, seed)
            body = b"".join(itertools.islice(source, count))
            files.append(path)
            pending.append(pool.submit(save, path, body))
            tracker.wrote(count, slot)
            if len(pending) > 4:  # keep memory bounded: wait for the oldest
                pending.pop(0).result()
        for job in pending:
            job.result()
    return files


def _write_parquet(
    con: Any,
    spec: TableSpec,
    tmp: Path,
    seed: int,
    places: Sequence[tuple[str, str]],
    tracker: Tracker,
    counts: dict[tuple[int, int], int],
) -> list[Path]:
    """Gzip-compressed Parquet, one file per account, Region and 5-minute window (`counts`: the
    records of each world and window)."""
    staging = tmp / "parquet"
    con.execute(f"SET partitioned_write_max_open_files = {max(100, len(counts) + 10)}")
    with tracker.drawing(con, SORTING):
        con.execute(
            f"COPY (SELECT {_output_columns(spec, parquet=True)}, f._world AS p_world, "
            f'f."end" - f."end" % {SLOT} AS p_slot {_FROM} {_ORDER}) '
            f"TO '{staging}' (FORMAT parquet, COMPRESSION gzip, PARTITION_BY (p_world, p_slot))"
        )
    files = []
    for written in sorted(staging.rglob("*.parquet")):
        keys = dict(part.split("=", 1) for part in written.relative_to(staging).parts[:-1])
        part = int(written.stem.rsplit("_", 1)[-1]) if "_" in written.stem else 0
        account, region = places[int(keys["p_world"])]
        path = _file_path(spec, account, region, int(keys["p_slot"]), seed, part)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(written), path)
        files.append(path)
        where = (int(keys["p_world"]), int(keys["p_slot"]))
        tracker.wrote(counts.pop(where, 0), where[1])
    return sorted(files)
