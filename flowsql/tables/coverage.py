"""Which days a location holds flow logs for, and the note an empty answer gets.

An answer of no rows over a window without any file is not "nothing happened": it is "nothing was
read". `empty_window_note` says so, with the days the data does cover. The days come from folder
names only: a local folder's listing, or S3 delimiter listings of the year, month and day prefixes
(a handful of requests per account and Region, never a walk of the bucket)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from flowsql.config import AthenaSettings
from flowsql.errors import FlowsqlError
from flowsql.tables.spec import Layout, TableSpec

_LEVELS = {
    Layout.AWS: (re.compile(r"^(\d{4})$"), re.compile(r"^(\d{2})$"), re.compile(r"^(\d{2})$")),
    Layout.HIVE: (
        re.compile(r"^year=(\d{4})$"),
        re.compile(r"^month=(\d{2})$"),
        re.compile(r"^day=(\d{2})$"),
    ),
}


def days_covered(spec: TableSpec, settings: AthenaSettings | None = None) -> tuple[date, date] | None:
    """The first day with a date folder under any account and Region, and the last day records start
    on (the last folder, or the day before when it holds only files of the minutes after midnight),
    or None."""
    from flowsql.tables import discovery

    try:
        accounts, regions = spec.accounts, spec.regions
        if not accounts or not regions:
            found = discovery.accounts_and_regions(spec, settings)
            accounts, regions = accounts or found[0], regions or found[1]
        lister = discovery._Lister(spec, settings)
    except FlowsqlError:
        return None
    marker = date(2000, 1, 1).strftime(spec.date_format)
    first: date | None = None
    last: date | None = None
    for account in accounts:
        for region in regions:
            path = spec.partition_path(account, region, date(2000, 1, 1), 0 if spec.hourly else None)
            base = path[len(spec.location) : path.index(marker)]
            low = _extreme(lister.children, base, _LEVELS[spec.layout], min)
            high = _extreme(lister.children, base, _LEVELS[spec.layout], max)
            if high is not None:
                high = _last_record_day(lister, spec, account, region, high)
            if low is not None and (first is None or low < first):
                first = low
            if high is not None and (last is None or high > last):
                last = high
    return (first, last) if first is not None and last is not None else None


# AWS names a file after the 5-minute window of its records' end times; a record lasts at most 10 minutes.
_FILE_TIME = re.compile(r"_(\d{8}T\d{4})Z_")
_LONGEST_RECORD = timedelta(minutes=10)


def _last_record_day(lister: Any, spec: TableSpec, account: str, region: str, day: date) -> date:
    """The day the last records of a partition day start on: a folder holding only the files of the
    first minutes after midnight (records that ended then) holds the previous day's last records."""
    path = spec.partition_path(account, region, day, 0 if spec.hourly else None)
    segment = day.strftime(spec.date_format)
    folder = path[len(spec.location) : path.index(segment) + len(segment) + 1]
    try:
        names = [name for name, _modified, _path in lister.files(folder)]
        if spec.hourly:
            for hour in sorted(lister.children(folder), reverse=True):
                names = [name for name, _modified, _path in lister.files(f"{folder}{hour}/")]
                if names:
                    break
    except FlowsqlError:
        return day
    return last_record_day(day, names)


def last_record_day(day: date, names: Iterable[str]) -> date:
    """The day the last records in partition folder `day` start on, from its files' names: the
    day before when the folder holds only files of the first minutes after midnight."""
    stamps = [m.group(1) for name in names if (m := _FILE_TIME.search(name))]
    if not stamps:
        return day
    latest = datetime.strptime(max(stamps), "%Y%m%dT%H%M")
    return min(day, (latest - _LONGEST_RECORD).date())


def _extreme(
    children: Callable[[str], list[str]],
    base: str,
    levels: tuple[re.Pattern[str], ...],
    pick: Callable[..., Any],
) -> date | None:
    """The earliest (pick=min) or latest (max) year/month/day folder below base, descending one
    level at a time and trying the next candidate when a folder turns out empty."""

    def walk(rel: str, depth: int, parts: tuple[int, ...]) -> date | None:
        if depth == len(levels):
            try:
                return date(*parts)
            except ValueError:
                return None
        found = [(int(m.group(1)), name) for name in children(rel) if (m := levels[depth].match(name))]
        for number, name in sorted(found, reverse=pick is max):
            day = walk(f"{rel}{name}/", depth + 1, (*parts, number))
            if day is not None:
                return day
        return None

    try:
        return walk(base, 0, ())
    except FlowsqlError:
        return None


def files_in_window(spec: TableSpec, window: Any, settings: AthenaSettings | None = None) -> int | None:
    """How many objects the window's partitions hold (None when that cannot be listed)."""
    from flowsql.cost.estimate import estimate_scan

    try:
        return estimate_scan(spec, window, settings).objects
    except FlowsqlError:
        return None


def empty_window_note(
    spec: TableSpec, window: Any, settings: AthenaSettings | None = None, *, objects: int | None = None
) -> str | None:
    """'no flow-log files in this window; the data under X covers A … B', or None when the window's
    partitions do hold files. `objects`: the count when the caller listed them already."""
    if objects is None:
        objects = files_in_window(spec, window, settings)
    if objects is None or objects > 0:
        return None
    where = spec.location.rstrip("/") or spec.location
    span = days_covered(spec, settings)
    if span is None:
        return f"no flow-log files in this window ({window.describe()}); found none under {where} at all"
    first, last = span
    covers = first.isoformat() if first == last else f"{first.isoformat()} … {last.isoformat()}"
    return f"no flow-log files in this window ({window.describe()}); the data under {where} covers {covers}"
