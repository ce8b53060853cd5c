"""TableSpec: the single description of a flow-log table, and everything derived from its layout."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any

from flowsql.errors import ConfigError, LocationError
from flowsql.investigations.window import TimeWindow
from flowsql.tables import fields as flowfields
from flowsql.tables.fields import Field

# A record lands in the file of the 5-minute window holding its *end* time, and end - start is at
# most the 10-minute aggregation interval, so a record that starts before the window's end sits in
# a partition at most 10 + 5 minutes later.
PARTITION_PAD = timedelta(minutes=15)

ACCOUNT = "account_partition"
REGION = "region_partition"
DATE = "date_partition"
HOUR = "hour_partition"

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


class Layout(str, Enum):
    AWS = "aws"
    HIVE = "hive"


class FileFormat(str, Enum):
    TEXT = "text"
    PARQUET = "parquet"


class Partitioning(str, Enum):
    PROJECTION = "projection"
    PARTITIONS = "partitions"


def _enum(kind: type[Enum], value: Any, option: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        choices = "|".join(str(m.value) for m in kind)  # type: ignore[attr-defined]
        raise ConfigError(f"{option} must be one of {choices}, got {value!r}") from None


def normalize_location(location: str) -> str:
    """The prefix that holds `AWSLogs/`, ending in '/': s3://bucket/prefix/ or a local folder path."""
    text = location.strip()
    if not text:
        raise LocationError("location is empty", hint="give --location s3://bucket/prefix or a folder")
    if text.startswith("s3://"):
        rest = text[5:]
        bucket, _, key = rest.partition("/")
        if not _BUCKET.match(bucket) or ".." in bucket:
            raise LocationError(
                f"{location!r} is not an S3 URI with a valid bucket name",
                hint="expected s3://bucket[/prefix], bucket names are 3-63 lowercase letters, "
                "digits, dots and hyphens",
            )
        prefix = key
    elif "://" in text:
        raise LocationError(f"{location!r} is neither an s3:// URI nor a local folder path")
    else:
        bucket, prefix = None, text
    parts = [p for p in prefix.split("/") if p]
    if any(ch in text for ch in "'\\`\"\n"):
        raise LocationError(f"{location!r} contains a quote, backslash or newline; flowsql refuses it")
    if "AWSLogs" in parts:
        parts = parts[: parts.index("AWSLogs")]
    tail = "/".join(parts)
    if bucket is None:
        # keep local paths absolute/relative as given
        lead = "/" if prefix.startswith("/") else ""
        return f"{lead}{tail}/" if tail else (lead or "./")
    return f"s3://{bucket}/{tail + '/' if tail else ''}"


@dataclass(frozen=True)
class TableSpec:
    """Everything about one flow-log table; DDL, Glue input, views and predicates derive from it."""

    location: str
    database: str = "vpc_flow_logs"
    table: str = "flow_logs"
    layout: Layout = Layout.AWS
    hourly: bool = False
    file_format: FileFormat = FileFormat.TEXT
    fields: tuple[Field, ...] = field(
        default_factory=lambda: tuple(flowfields.BY_NAME[n] for n in flowfields.DEFAULT_FORMAT)
    )
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    partitioning: Partitioning = Partitioning.PROJECTION
    start_date: date = date(2020, 1, 1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "location", normalize_location(self.location))
        object.__setattr__(self, "layout", _enum(Layout, self.layout, "--layout"))
        object.__setattr__(self, "file_format", _enum(FileFormat, self.file_format, "--file-format"))
        object.__setattr__(self, "partitioning", _enum(Partitioning, self.partitioning, "--partitioning"))
        for option, value in (("--database", self.database), ("--table", self.table)):
            if not _IDENT.match(value or ""):
                raise ConfigError(
                    f"{option} must be a lowercase identifier (letters, digits, _), got {value!r}"
                )
        for account in self.accounts:
            if not _ACCOUNT_ID.match(account):
                raise ConfigError(f"--accounts: {account!r} is not a 12-digit AWS account id")
        for region in self.regions:
            if not _REGION_NAME.match(region):
                raise ConfigError(f"--regions: {region!r} is not an AWS Region name like us-east-1")
        if self.start_date > datetime.now(timezone.utc).date():
            raise ConfigError(
                f"--start-date {self.start_date.isoformat()} is in the future",
                hint="partition projection ranges from the start date to NOW",
            )
        columns = {f.column for f in self.fields}
        clash = columns & set(self.partition_columns)
        if clash:
            raise ConfigError(f"field(s) {sorted(clash)} collide with flowsql's partition columns")

    # --- identity -------------------------------------------------------------------------

    @property
    def qualified_name(self) -> str:
        return f'"{self.database}"."{self.table}"'

    @property
    def is_s3(self) -> bool:
        return self.location.startswith("s3://")

    @property
    def table_location(self) -> str:
        return f"{self.location}AWSLogs/"

    # --- columns --------------------------------------------------------------------------

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.fields]

    def column_types(self) -> dict[str, str]:
        """Data columns with the Athena type declared for this file format, in format order."""
        parquet = self.file_format is FileFormat.PARQUET
        return {f.column: (f.parquet_type if parquet else f.text_type) for f in self.fields}

    @property
    def partition_columns(self) -> tuple[str, ...]:
        return (ACCOUNT, REGION, DATE, HOUR) if self.hourly else (ACCOUNT, REGION, DATE)

    def schema(self) -> dict[str, str]:
        """Every column a query can name: data columns then partition columns (all strings)."""
        return {**self.column_types(), **dict.fromkeys(self.partition_columns, "string")}

    def missing_fields(self, names: Sequence[str]) -> list[Field]:
        """The catalogue fields among `names` (hyphen or underscore spelling) this table lacks."""
        have = set(self.columns)
        missing = []
        for name in names:
            column = flowfields.column_name(name)
            if column not in have:
                missing.append(flowfields.BY_COLUMN.get(column) or flowfields.lookup(name))
        return missing

    # --- layout ---------------------------------------------------------------------------

    @property
    def date_format(self) -> str:
        """strftime pattern of the date partition's path segment."""
        return "%Y/%m/%d" if self.layout is Layout.AWS else "year=%Y/month=%m/day=%d"

    @property
    def projection_date_format(self) -> str:
        """The same pattern in Java DateTimeFormatter spelling, which Athena's projection reads."""
        return "yyyy/MM/dd" if self.layout is Layout.AWS else "'year='yyyy'/month='MM'/day='dd"

    def _prefix_segments(self) -> tuple[str, str, str, str]:
        if self.layout is Layout.AWS:
            return ("{account}", "vpcflowlogs/{region}", "{date}", "{hour}")
        return (
            "aws-account-id={account}",
            "aws-service=vpcflowlogs/aws-region={region}",
            "{date}",
            "hour={hour}",
        )

    def partition_path(self, account: str, region: str, day: date, hour: int | None = None) -> str:
        """The S3 (or local) folder of one partition, ending in '/'."""
        acct, reg, dat, hr = self._prefix_segments()
        parts = [
            acct.format(account=account),
            reg.format(region=region),
            dat.format(date=day.strftime(self.date_format)),
        ]
        if self.hourly:
            if hour is None:
                raise ValueError("hourly table needs an hour")
            parts.append(hr.format(hour=f"{hour:02d}"))
        return self.table_location + "/".join(parts) + "/"

    def location_template(self) -> str:
        """storage.location.template: one ${column} for each partition column, in path order."""
        acct, reg, _, hr = self._prefix_segments()
        parts = [
            acct.format(account="${" + ACCOUNT + "}"),
            reg.format(region="${" + REGION + "}"),
            "${" + DATE + "}",
        ]
        if self.hourly:
            parts.append(hr.format(hour="${" + HOUR + "}"))
        return self.table_location + "/".join(parts) + "/"

    def path_regex(self) -> str:
        """A regex over an object key or file path with one named group per partition column."""
        if self.layout is Layout.AWS:
            date_re = r"\d{4}/\d{2}/\d{2}"
            body = rf"AWSLogs/(?P<{ACCOUNT}>[^/]+)/vpcflowlogs/(?P<{REGION}>[^/]+)/(?P<{DATE}>{date_re})"
            hour = rf"/(?P<{HOUR}>\d{{2}})"
        else:
            date_re = r"year=\d{4}/month=\d{2}/day=\d{2}"
            body = (
                rf"AWSLogs/aws-account-id=(?P<{ACCOUNT}>[^/]+)/aws-service=vpcflowlogs/"
                rf"aws-region=(?P<{REGION}>[^/]+)/(?P<{DATE}>{date_re})"
            )
            hour = rf"/hour=(?P<{HOUR}>\d{{2}})"
        return body + (hour if self.hourly else "") + "/[^/]+$"

    @property
    def file_suffix(self) -> str:
        return ".log.parquet" if self.file_format is FileFormat.PARQUET else ".log.gz"

    # --- partitions for a window ----------------------------------------------------------

    def partition_bounds(self, window: TimeWindow) -> tuple[datetime, datetime]:
        """First and last instant whose partition can hold a record starting inside the window."""
        return window.start, window.end + PARTITION_PAD - timedelta(seconds=1)

    def partition_keys(self, window: TimeWindow) -> Iterator[tuple[date, int | None]]:
        """(day, hour) of each time partition the window touches (hour None when daily)."""
        low, high = self.partition_bounds(window)
        if self.hourly:
            step = timedelta(hours=1)
            cursor = low.replace(minute=0, second=0, microsecond=0)
            while cursor <= high:
                yield cursor.date(), cursor.hour
                cursor += step
        else:
            day = low.date()
            while day <= high.date():
                yield day, None
                day += timedelta(days=1)

    def partition_predicate(
        self,
        window: TimeWindow,
        accounts: Sequence[str] = (),
        regions: Sequence[str] = (),
    ) -> str:
        """Athena SQL selecting exactly the partitions that can hold the window's records."""
        low, high = self.partition_bounds(window)
        lo_day, hi_day = low.strftime(self.date_format), high.strftime(self.date_format)
        terms = [f"{DATE} BETWEEN {sql_string(lo_day)} AND {sql_string(hi_day)}"]
        if self.hourly:
            lo_hour, hi_hour = f"{low.hour:02d}", f"{high.hour:02d}"
            if lo_day == hi_day:
                terms.append(f"{HOUR} BETWEEN {sql_string(lo_hour)} AND {sql_string(hi_hour)}")
            else:
                terms.append(f"({DATE} > {sql_string(lo_day)} OR {HOUR} >= {sql_string(lo_hour)})")
                terms.append(f"({DATE} < {sql_string(hi_day)} OR {HOUR} <= {sql_string(hi_hour)})")
        for column, values in ((ACCOUNT, accounts), (REGION, regions)):
            if values:
                terms.append(f"{column} IN ({', '.join(sql_string(v) for v in values)})")
        return " AND ".join(terms)

    def window_predicate(
        self,
        window: TimeWindow,
        accounts: Sequence[str] = (),
        regions: Sequence[str] = (),
    ) -> str:
        """The window on record start times, plus the partition predicate that bounds the scan."""
        start = flowfields.quote_query("start")
        time = f"{start} >= {window.start_epoch} AND {start} < {window.end_epoch}"
        return f"{time} AND {self.partition_predicate(window, accounts, regions)}"

    def partitions_for(self, window_start: date, window_end: date) -> Iterator[tuple[dict[str, str], str]]:
        """(partition values, location) for every account × region × day (× hour) in a date range."""
        if not self.accounts or not self.regions:
            raise ConfigError(
                "adding partitions needs the accounts and regions",
                hint="pass --accounts and --regions (or let init discover them from the location)",
            )
        day = window_start
        while day <= window_end:
            for account in self.accounts:
                for region in self.regions:
                    for hour in range(24) if self.hourly else [None]:
                        values = {
                            ACCOUNT: account,
                            REGION: region,
                            DATE: day.strftime(self.date_format),
                        }
                        if hour is not None:
                            values[HOUR] = f"{hour:02d}"
                        yield values, self.partition_path(account, region, day, hour)
            day += timedelta(days=1)

    # --- persistence ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "database": self.database,
            "table": self.table,
            "layout": self.layout.value,
            "hourly": self.hourly,
            "file_format": self.file_format.value,
            "log_format": flowfields.format_string(self.fields),
            "accounts": list(self.accounts),
            "regions": list(self.regions),
            "partitioning": self.partitioning.value,
            "start_date": self.start_date.isoformat(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableSpec:
        known = {k: v for k, v in data.items() if v is not None}
        log_format = known.pop("log_format", None)
        start = known.pop("start_date", None)
        spec_fields = (
            flowfields.parse_log_format(log_format)
            if log_format
            else tuple(flowfields.BY_NAME[n] for n in flowfields.DEFAULT_FORMAT)
        )
        if start is not None and not isinstance(start, date):
            try:
                start = date.fromisoformat(str(start))
            except ValueError:
                raise ConfigError(f"--start-date must be YYYY-MM-DD, got {start!r}") from None
        extra = set(known) - {
            "location", "database", "table", "layout", "hourly", "file_format",
            "accounts", "regions", "partitioning",
        }  # fmt: skip
        if extra:
            raise ConfigError(f"unknown table option(s): {', '.join(sorted(extra))}")
        if "location" not in known:
            raise ConfigError("no location given", hint="pass --location or run `flowsql init` first")
        for key in ("accounts", "regions"):
            if key in known:
                known[key] = tuple(known[key])
        spec = cls(fields=spec_fields, **known)
        return replace(spec, start_date=start) if start is not None else spec

    @classmethod
    def from_json(cls, text: str) -> TableSpec:
        return cls.from_dict(json.loads(text))


def sql_string(value: str) -> str:
    """A SQL string literal; the only quoting rule Athena and DuckDB share is doubling quotes."""
    return "'" + value.replace("'", "''") + "'"
