"""What a query will scan before it runs: list the objects under exactly the partitions its partition
predicate selects and sum their sizes; Athena bills that many bytes (text: the compressed objects;
Parquet: an upper bound, since Athena reads only the columns a query names)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flowsql.config import AthenaSettings
from flowsql.errors import ConfigError, ScanLimitExceeded
from flowsql.investigations.window import TimeWindow
from flowsql.results import athena_cost, format_cost
from flowsql.tables.spec import FileFormat, TableSpec

# Decimal units as disks and AWS's price pages write them; the -iB spellings are powers of 1024.
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "p": 1000**5,
    "pb": 1000**5,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
    "pib": 1024**5,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)

# Listing many small prefixes is latency-bound; a few threads keep a month of hourly partitions quick.
LIST_THREADS = 16
PAGE_SIZE = 1000


def parse_size(value: str | int | float) -> int:
    """Bytes from a size such as '10GB', '500 MB', '1.5TiB' or '123456'.

    KB, MB, GB, TB, PB (and K, M, G, T, P) are decimal: 10GB = 10,000,000,000 bytes. KiB, MiB, GiB, TiB,
    PiB are binary: 1GiB = 1,073,741,824 bytes. A bare number is bytes. Case does not matter.
    """
    if isinstance(value, bool):
        raise ConfigError(f"max scan must be a size like 10GB, got {value!r}")
    if isinstance(value, int | float):
        number, unit = float(value), ""
    else:
        match = _SIZE.match(str(value))
        if not match or match.group(2).lower() not in _UNITS:
            raise ConfigError(
                f"max scan must be a size like 10GB, 500MB or 1TiB, got {value!r}",
                hint="KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB powers of 1024, a bare number is bytes",
            )
        number, unit = float(match.group(1)), match.group(2).lower()
    size = int(number * _UNITS[unit])
    if size <= 0:
        raise ConfigError(f"max scan must be more than zero bytes, got {value!r}")
    return size


def format_size(n: int) -> str:
    """Bytes exactly, and in the decimal unit a person would write back as a --max-scan value."""
    for unit, factor in (("TB", 1000**4), ("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if n >= factor:
            return f"{n:,} bytes ({n / factor:.2f} {unit})"
    return f"{n:,} bytes"


@dataclass(frozen=True)
class ScanEstimate:
    """Bytes and objects under the selected partitions, how many partition prefixes were listed, and
    what Athena would bill for that scan ($5/TB, 10 MB minimum). `upper_bound` for Parquet tables."""

    bytes: int
    objects: int
    prefixes: int
    cost_usd: float
    upper_bound: bool = False

    def summary(self) -> str:
        at_most = "at most " if self.upper_bound else ""
        return (
            f"estimated scan: {at_most}{format_size(self.bytes)} in {self.objects:,} object"
            f"{'s' if self.objects != 1 else ''} under {self.prefixes:,} partition"
            f"{'s' if self.prefixes != 1 else ''}, {at_most}{format_cost(self.cost_usd)} on Athena"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "bytes": self.bytes,
            "objects": self.objects,
            "prefixes": self.prefixes,
            "cost_usd": self.cost_usd,
            "upper_bound": self.upper_bound,
        }


def partition_prefixes(
    spec: TableSpec, window: TimeWindow, accounts: Sequence[str], regions: Sequence[str]
) -> list[str]:
    """The folder of every partition the window's partition predicate selects, for these accounts and
    regions (the same day/hour range TableSpec.partition_predicate writes)."""
    return [
        spec.partition_path(account, region, day, hour)
        for day, hour in spec.partition_keys(window)
        for account in accounts
        for region in regions
    ]


def estimate_scan(
    spec: TableSpec,
    window: TimeWindow,
    settings: AthenaSettings | None = None,
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
    *,
    client: Any = None,
) -> ScanEstimate:
    """List the partitions the query reads and sum their objects' sizes.

    Accounts and regions default to the table's; a table that names none is read for all of them,
    so they are discovered by listing the location (as partition projection would enumerate them).
    """
    accounts = tuple(accounts) or spec.accounts
    regions = tuple(regions) or spec.regions
    if not accounts or not regions:
        from flowsql.tables import discovery as discover

        found_accounts, found_regions = discover.accounts_and_regions(spec, settings)
        accounts = accounts or found_accounts
        regions = regions or found_regions
    return _estimate(spec, partition_prefixes(spec, window, accounts, regions), settings, client)


def estimate_location(
    spec: TableSpec, settings: AthenaSettings | None = None, *, client: Any = None
) -> ScanEstimate:
    """Every object under the location's AWSLogs/: what a statement without a window scans."""
    return _estimate(spec, [spec.table_location], settings, client)


def _estimate(
    spec: TableSpec, prefixes: list[str], settings: AthenaSettings | None, client: Any
) -> ScanEstimate:
    """The objects under `prefixes`, summed and priced."""
    if spec.is_s3:
        sizes = _s3_sizes(prefixes, settings or AthenaSettings(), client)
    else:
        sizes = _local_sizes(prefixes)
    total = sum(sizes)
    cost = athena_cost(total)
    assert cost is not None
    return ScanEstimate(
        bytes=total,
        objects=len(sizes),
        prefixes=len(prefixes),
        cost_usd=cost,
        upper_bound=spec.file_format is FileFormat.PARQUET,
    )


def check_scan(
    spec: TableSpec,
    window: TimeWindow | None,
    settings: AthenaSettings | None,
    max_scan: str | int | None,
    estimate_only: bool,
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
    *,
    client: Any = None,
) -> ScanEstimate | None:
    """For `flowsql run`: None (and no listing at all) unless an estimate or a limit is asked for;
    otherwise the estimate, after refusing a scan above `max_scan` with ScanLimitExceeded. With
    `estimate_only` the caller prints `estimate.summary()` and stops; the limit is still checked.
    Without a window (an unbounded ad-hoc statement), everything under the location is counted."""
    if max_scan in (None, "") and not estimate_only:
        return None
    limit = parse_size(max_scan) if max_scan not in (None, "") else None
    if window is None:
        estimate = estimate_location(spec, settings, client=client)
    else:
        estimate = estimate_scan(spec, window, settings, accounts, regions, client=client)
    if limit is not None and estimate.bytes > limit:
        raise ScanLimitExceeded(
            f"the query would scan {format_size(estimate.bytes)}, more than the limit of "
            f"{format_size(limit)} (max scan {max_scan})",
            hint="narrow --start/--end or the accounts and regions, compact the table to Parquet, "
            "or raise --max-scan",
        )
    return estimate


def _visible(key: str) -> bool:
    """Hive and Athena skip objects whose name starts with '_' or '.', and folder markers."""
    name = key.rsplit("/", 1)[-1]
    return bool(name) and not name.startswith(("_", "."))


def _s3_sizes(prefixes: Sequence[str], settings: AthenaSettings, client: Any) -> list[int]:
    from concurrent.futures import ThreadPoolExecutor

    from flowsql import aws

    s3 = client if client is not None else aws.client("s3", settings)

    def one(uri: str) -> list[int]:
        bucket, prefix = aws.split_s3(uri)
        return list(_list_sizes(s3, bucket, prefix))

    if len(prefixes) <= 2:
        results = [one(p) for p in prefixes]
    else:
        with ThreadPoolExecutor(max_workers=min(LIST_THREADS, len(prefixes))) as pool:
            results = list(pool.map(one, prefixes))
    return [size for sizes in results for size in sizes]


def _list_sizes(s3: Any, bucket: str, prefix: str) -> Iterable[int]:
    from flowsql import aws

    pages = aws.list_pages(
        s3, bucket, prefix,
        hint="the estimate lists the partitions the query reads; check the location and credentials",
        PaginationConfig={"PageSize": PAGE_SIZE},
    )  # fmt: skip
    for page in pages:
        for obj in page.get("Contents", []):
            if _visible(obj["Key"]):
                yield int(obj["Size"])


def _local_sizes(prefixes: Sequence[str]) -> list[int]:
    sizes = []
    for prefix in prefixes:
        for folder, _dirs, files in os.walk(prefix):
            for name in files:
                if _visible(name):
                    sizes.append(os.path.getsize(os.path.join(folder, name)))
    return sizes
