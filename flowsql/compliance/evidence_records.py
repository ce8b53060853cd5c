"""Evidence from the records themselves (local folders, on DuckDB): per account, Region, interface
and hour, the OK, NODATA and SKIPDATA records. NODATA says an interface was quiet while logging
worked; an interface silent in the middle of its own activity, while its neighbours log, is not."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from flowsql.config import AthenaSettings
from flowsql.errors import FlowsqlError
from flowsql.investigations.window import TimeWindow
from flowsql.tables import fields as flowfields
from flowsql.tables.spec import ACCOUNT, REGION, TableSpec

UTC = timezone.utc
NEEDS = ("interface-id", "start", "log-status")


@dataclass
class Counts:
    ok: int = 0
    nodata: int = 0
    skipdata: int = 0


@dataclass
class RecordHours:
    """(account, Region) -> hour -> record counts, and (account, Region, interface) -> hours logged."""

    pairs: dict[tuple[str, str], dict[datetime, Counts]] = field(default_factory=dict)
    interfaces: dict[tuple[str, str, str], set[datetime]] = field(default_factory=dict)


def statement(spec: TableSpec, window: TimeWindow) -> str:
    """Athena SQL counting records per account, Region, interface and hour of the window."""
    hour = "date_trunc('hour', from_unixtime(start))"
    return (
        f"SELECT {ACCOUNT} AS account, {REGION} AS region, interface_id, {hour} AS hour, "
        "count_if(log_status = 'OK') AS ok_records, count_if(log_status = 'NODATA') AS nodata_records, "
        "count_if(log_status = 'SKIPDATA') AS skipdata_records "
        f"FROM {spec.qualified_name} WHERE {spec.window_predicate(window)} "
        f"GROUP BY {ACCOUNT}, {REGION}, interface_id, {hour}"
    )


def record_hours(
    spec: TableSpec,
    start: datetime,
    end: datetime,
    max_days: int,
    *,
    engine: str = "duckdb",
    settings: AthenaSettings | None = None,
) -> tuple[RecordHours | None, str]:
    """The counts, or None with the reason the records could not be read. On Athena the query scans
    the period's partitions of the table (and costs what that scan costs: it is said in the note)."""
    from flowsql.investigations import validate
    from flowsql.session import Session

    lacking = [n for n in NEEDS if flowfields.column_name(n) not in spec.columns]
    if lacking:
        return None, f"records not counted: the log format lacks {', '.join(lacking)}"
    window = TimeWindow(start, end)
    try:
        tree = validate.validate_query(statement(spec, window), spec)
        with Session(spec, engine=engine, settings=settings, max_window_days=max_days) as session:
            rows = session.execute(validate.regenerate(tree), window=window)
    except FlowsqlError as exc:
        return None, f"records not counted: {exc.message}"
    note = f"records counted per interface and hour on {'Athena' if engine == 'athena' else 'DuckDB'}"
    if rows.stats.execution_id:
        note += f" ({rows.stats.summary()})"
    found = RecordHours()
    for row in rows:
        hour = row["hour"]
        hour = hour.replace(tzinfo=UTC) if hour.tzinfo is None else hour.astimezone(UTC)
        pair = (str(row["account"]), str(row["region"]))
        counts = found.pairs.setdefault(pair, {}).setdefault(hour, Counts())
        counts.ok += int(row["ok_records"])
        counts.nodata += int(row["nodata_records"])
        counts.skipdata += int(row["skipdata_records"])
        found.interfaces.setdefault((*pair, str(row["interface_id"])), set()).add(hour)
    return found, note
