"""Evidence from S3 (or a local folder laid out like the bucket): the bucket's settings that keep
flow logs (lifecycle, versioning, default encryption, Block Public Access, policy) and the flow-log
objects of a period, each placed by its name (account, Region, flow log, 5-minute window)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from flowsql.config import AthenaSettings
from flowsql.errors import LocationError
from flowsql.tables.spec import TableSpec

UTC = timezone.utc
# {account}_vpcflowlogs_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}.log.gz | .log.parquet
_NAME = re.compile(
    r"^(?P<account>\d{12})_vpcflowlogs_(?P<region>[a-z0-9-]+)_(?P<flow_log>fl-[0-9a-z]+)_"
    r"(?P<stamp>\d{8}T\d{4})Z_[0-9a-zA-Z]+\.log\.(?:gz|parquet)$"
)


@dataclass(frozen=True)
class LogObject:
    """One flow-log object; `window` is the 5-minute window its name gives (else its modified time)."""

    key: str
    account: str
    region: str
    flow_log: str | None
    window: datetime
    modified: datetime
    size: int


@dataclass
class Listing:
    """The flow-log objects of a period under a location, and the prefixes listed to find them."""

    location: str
    start: datetime
    end: datetime
    objects: list[LogObject] = field(default_factory=list)
    prefixes: int = 0
    error: str | None = None


@dataclass
class BucketSettings:
    """What S3 answers about a bucket; a missing configuration is None, a refused read is in errors."""

    bucket: str
    lifecycle: list[dict[str, Any]] | None = None
    versioning: str | None = None  # Enabled | Suspended | None (never enabled)
    mfa_delete: str | None = None
    object_lock: str | None = None
    encryption: list[dict[str, Any]] | None = None
    public_access_block: dict[str, bool] | None = None
    account_public_access_block: dict[str, bool] | None = None
    policy: dict[str, Any] | None = None
    policy_is_public: bool | None = None
    errors: dict[str, str] = field(default_factory=dict)


# S3 error codes that mean "this bucket has no such configuration", not "the read failed".
_ABSENT = {
    "lifecycle": "NoSuchLifecycleConfiguration",
    "encryption": "ServerSideEncryptionConfigurationNotFoundError",
    "public_access_block": "NoSuchPublicAccessBlockConfiguration",
    "policy": "NoSuchBucketPolicy",
    "object_lock": "ObjectLockConfigurationNotFoundError",
    "policy_status": "NoSuchBucketPolicy",
}


def bucket_settings(
    s3: Any, bucket: str, *, s3control: Any = None, account: str | None = None
) -> BucketSettings:
    """Read every setting; each one that cannot be read is named in `errors` with S3's reason."""
    import botocore.exceptions

    from flowsql import aws

    found = BucketSettings(bucket)

    def read(what: str, call: Any, **kwargs: Any) -> dict[str, Any] | None:
        try:
            return dict(call(**kwargs))
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == _ABSENT.get(what):
                return None
            found.errors[what] = aws.describe_client_error(exc)
        except botocore.exceptions.BotoCoreError as exc:
            found.errors[what] = str(exc)
        return None

    if (answer := read("lifecycle", s3.get_bucket_lifecycle_configuration, Bucket=bucket)) is not None:
        found.lifecycle = list(answer.get("Rules", []))
    if (answer := read("versioning", s3.get_bucket_versioning, Bucket=bucket)) is not None:
        found.versioning = answer.get("Status")
        found.mfa_delete = answer.get("MFADelete")
    if (answer := read("object_lock", s3.get_object_lock_configuration, Bucket=bucket)) is not None:
        found.object_lock = answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled")
    if (answer := read("encryption", s3.get_bucket_encryption, Bucket=bucket)) is not None:
        found.encryption = list(answer.get("ServerSideEncryptionConfiguration", {}).get("Rules", []))
    if (answer := read("public_access_block", s3.get_public_access_block, Bucket=bucket)) is not None:
        found.public_access_block = dict(answer.get("PublicAccessBlockConfiguration", {}))
    if (answer := read("policy", s3.get_bucket_policy, Bucket=bucket)) is not None:
        try:
            found.policy = json.loads(answer.get("Policy") or "{}")
        except ValueError:
            found.errors["policy"] = "the bucket policy is not valid JSON"
    if (answer := read("policy_status", s3.get_bucket_policy_status, Bucket=bucket)) is not None:
        found.policy_is_public = answer.get("PolicyStatus", {}).get("IsPublic")
    if s3control is not None and account:
        answer = read("account_public_access_block", s3control.get_public_access_block, AccountId=account)
        if answer is not None:
            found.account_public_access_block = dict(answer.get("PublicAccessBlockConfiguration", {}))
    return found


def s3control_client(settings: AthenaSettings, session: Any) -> Any:
    """S3 Control for the account-level Block Public Access. A custom endpoint (a test server, a VPC
    endpoint) cannot take the account id as a host prefix, so it is then not injected."""
    from botocore.config import Config

    endpoint = settings.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    config = Config(inject_host_prefix=not endpoint)
    region = settings.region or session.region_name or "us-east-1"
    return session.client("s3control", region_name=region, endpoint_url=endpoint or None, config=config)


# --- objects ------------------------------------------------------------------------------------


def _days(start: datetime, end: datetime) -> list[date]:
    # Files are named by the records' end times: a record starting before `end` can be in a file of
    # the following quarter hour, so the listing reaches 15 minutes past the period.
    first, last = start.date(), (end + timedelta(minutes=15)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def day_prefixes(spec: TableSpec, start: datetime, end: datetime) -> Iterator[tuple[str, str, str]]:
    """(account, Region, day folder) of every account × Region × day of the period; hour folders
    lie below a day folder, so one listing of it finds them too."""
    daily = replace(spec, hourly=False)
    for day in _days(start, end):
        for account in spec.accounts:
            for region in spec.regions:
                yield account, region, daily.partition_path(account, region, day)


def parse_name(key: str, modified: datetime, size: int, account: str, region: str) -> LogObject | None:
    """A LogObject from an object key, or None for a key that is not a flow-log file."""
    name = key.rsplit("/", 1)[-1]
    if not name.endswith((".log.gz", ".log.parquet")):
        return None
    match = _NAME.match(name)
    if match is None:
        return LogObject(key, account, region, None, modified, modified, size)
    window = datetime.strptime(match["stamp"], "%Y%m%dT%H%M").replace(tzinfo=UTC)
    return LogObject(key, match["account"], match["region"], match["flow_log"], window, modified, size)


def list_objects(spec: TableSpec, start: datetime, end: datetime, s3: Any = None) -> Listing:
    """The flow-log objects in the period's day folders, for the spec's accounts and Regions."""
    listing = Listing(spec.location, start, end)
    prefixes = list(day_prefixes(spec, start, end))
    listing.prefixes = len(prefixes)
    for account, region, prefix in prefixes:
        try:
            for key, modified, size in _entries(spec, prefix, s3):
                obj = parse_name(key, modified, size, account, region)
                if obj is not None:
                    listing.objects.append(obj)
        except LocationError as exc:
            listing.error = exc.message
            break
        except OSError as exc:
            listing.error = f"cannot list {prefix}: {exc}"
            break
    listing.objects.sort(key=lambda o: (o.account, o.region, o.window, o.key))
    return listing


def _entries(spec: TableSpec, prefix: str, s3: Any) -> Iterator[tuple[str, datetime, int]]:
    if spec.is_s3:
        from flowsql import aws

        bucket, key = aws.split_s3(prefix)
        for page in aws.list_pages(s3, bucket, key, hint="check the location and your credentials"):
            for obj in page.get("Contents", []):
                yield obj["Key"], obj["LastModified"].astimezone(UTC), int(obj.get("Size", 0))
        return
    base = Path(prefix)
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*")):
        if path.is_file():
            stat = path.stat()
            yield str(path), datetime.fromtimestamp(stat.st_mtime, UTC), stat.st_size
