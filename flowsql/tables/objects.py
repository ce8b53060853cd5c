"""The flow-log objects under a location, each read from its key alone: which layout, hourly or
daily, text or Parquet, account, Region, day and hour. Works on S3 (one paginated listing) and on
local folders. `flowsql init --flow-log` sniffs them where DescribeFlowLogs is silent, and
`flowsql doctor` compares them with the table."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from flowsql.config import AthenaSettings
from flowsql.errors import LocationError
from flowsql.tables.spec import FileFormat, Layout

_DATE = r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?:(?P<h>\d{2})/)?"
_HIVE_DATE = r"year=(?P<y>\d{4})/month=(?P<m>\d{2})/day=(?P<d>\d{2})/(?:hour=(?P<h>\d{2})/)?"
_KEYS = {
    Layout.AWS: re.compile(
        r"(?:^|/)AWSLogs/(?P<account>\d{12})/vpcflowlogs/(?P<region>[a-z0-9-]+)/"
        + _DATE
        + r"(?P<name>[^/]+)$"
    ),
    Layout.HIVE: re.compile(
        r"(?:^|/)AWSLogs/aws-account-id=(?P<account>\d{12})/aws-service=vpcflowlogs/"
        r"aws-region=(?P<region>[a-z0-9-]+)/" + _HIVE_DATE + r"(?P<name>[^/]+)$"
    ),
}

_STAMP = re.compile(r"_(\d{8}T\d{4})Z_")


@dataclass(frozen=True)
class LogObject:
    """One file: where it is, what its key says, when it was written and how large it is."""

    path: str  # s3://bucket/key or a local path
    rel: str  # the key relative to the location
    modified: float
    size: int
    layout: Layout | None = None
    hourly: bool = False
    account: str | None = None
    region: str | None = None
    day: date | None = None
    hour: int | None = None

    @property
    def file_format(self) -> FileFormat | None:
        if self.rel.endswith(".parquet"):
            return FileFormat.PARQUET
        if self.rel.endswith(".log.gz"):
            return FileFormat.TEXT
        return None

    @property
    def stamp(self) -> float | None:
        """The 5-minute window in the file name (…_20240501T0005Z_…), Unix seconds; None if absent."""
        m = _STAMP.search(self.rel.rsplit("/", 1)[-1])
        if m is None:
            return None
        try:
            moment = datetime.strptime(m.group(1), "%Y%m%dT%H%M").replace(tzinfo=timezone.utc)
        except ValueError:
            return None
        return moment.timestamp()

    @property
    def is_flow_log(self) -> bool:
        return self.layout is not None and self.file_format is not None

    @property
    def partition(self) -> str:
        """The folder of the file relative to the location (what a partition would point at)."""
        return self.rel.rsplit("/", 1)[0] + "/"


def classify(rel: str, path: str, modified: float, size: int) -> LogObject:
    """What the key says about a file; layout None for a key in neither flow-log layout."""
    for layout, pattern in _KEYS.items():
        m = pattern.search(rel)
        if m is None:
            continue
        try:
            day = date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            continue
        hour = int(m["h"]) if m["h"] is not None else None
        return LogObject(
            path, rel, modified, size, layout, hour is not None, m["account"], m["region"], day, hour
        )
    return LogObject(path, rel, modified, size)


@dataclass
class Listing:
    """Every object under location/prefix (up to a limit)."""

    objects: list[LogObject]
    truncated: bool


def list_objects(
    location: str, settings: AthenaSettings | None = None, *, prefix: str = "AWSLogs/", limit: int = 200_000
) -> Listing:
    """The objects under location + prefix, classified; at most `limit` of them."""
    out: list[LogObject] = []
    if not location.startswith("s3://"):
        base = Path(location, prefix)
        if not base.is_dir():
            return Listing([], False)
        for path in sorted(base.rglob("*")):
            if not path.is_file():
                continue
            stat = path.stat()
            rel = path.relative_to(location).as_posix()
            out.append(classify(rel, location + rel, stat.st_mtime, stat.st_size))
            if len(out) >= limit:
                return Listing(out, True)
        return Listing(out, False)
    from flowsql import aws

    s3 = aws.client("s3", settings or AthenaSettings())
    bucket, root = aws.split_s3(location)
    for page in aws.list_pages(s3, bucket, root + prefix, hint="check the location and your credentials"):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            stamp = obj["LastModified"].timestamp()
            out.append(classify(key[len(root) :], f"s3://{bucket}/{key}", stamp, obj["Size"]))
            if len(out) >= limit:
                return Listing(out, True)
    return Listing(out, False)


def read_bytes(path: str, settings: AthenaSettings | None = None, *, limit: int | None = None) -> bytes:
    """A file's bytes (the first `limit` of them when given), local or on S3."""
    if not path.startswith("s3://"):
        try:
            with open(path, "rb") as fh:
                return fh.read(limit) if limit else fh.read()
        except OSError as exc:
            raise LocationError(f"cannot read {path}: {exc}") from None
    import botocore.exceptions

    from flowsql import aws

    s3 = aws.client("s3", settings or AthenaSettings())
    bucket, key = aws.split_s3(path)
    extra: dict[str, Any] = {"Range": f"bytes=0-{limit - 1}"} if limit else {}
    try:
        return bytes(s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read())
    except botocore.exceptions.ClientError as exc:
        raise LocationError(f"cannot read {path}: {aws.describe_client_error(exc)}") from None


def header_line(path: str, settings: AthenaSettings | None = None) -> str:
    """The first line of a gzip text file, decoded."""
    raw = read_bytes(path, settings, limit=65536)
    try:
        text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, 65536)
    except zlib.error as exc:
        raise LocationError(f"cannot read {path}: not a gzip file ({exc})") from None
    return text.split(b"\n", 1)[0].decode("utf-8", "replace").strip()


_PARQUET_TYPES = {
    "INTEGER": "int",
    "BIGINT": "bigint",
    "VARCHAR": "string",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "DOUBLE": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
}


def parquet_columns(path: str, settings: AthenaSettings | None = None) -> dict[str, str]:
    """A Parquet file's columns and their types, spelled the way Athena DDL spells them."""
    import tempfile

    from flowsql.duckdb_driver import duckdb

    local = path
    scratch = None
    if path.startswith("s3://"):
        scratch = tempfile.NamedTemporaryFile(suffix=".parquet", delete=False)  # noqa: SIM115
        scratch.write(read_bytes(path, settings))
        scratch.close()
        local = scratch.name
    con = duckdb.connect()
    try:
        rows = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [local]).fetchall()
    except duckdb.Error as exc:
        raise LocationError(f"cannot read {path}: not a Parquet file ({exc})") from None
    finally:
        con.close()
        if scratch is not None:
            Path(scratch.name).unlink(missing_ok=True)
    return {name: _PARQUET_TYPES.get(str(kind).upper(), str(kind).lower()) for name, kind, *_ in rows}
