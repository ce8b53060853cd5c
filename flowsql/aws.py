"""boto3 clients built from AthenaSettings (profile, region, endpoint URL). Imported lazily."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flowsql.config import AthenaSettings
from flowsql.errors import ConfigError, LocationError


def session(settings: AthenaSettings) -> Any:
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(profile_name=settings.profile, region_name=settings.region)
    except botocore.exceptions.ProfileNotFound:
        raise ConfigError(f"AWS profile {settings.profile!r} is not configured") from None


def client(service: str, settings: AthenaSettings) -> Any:
    sess = session(settings)
    region = settings.region or sess.region_name
    if not region:
        raise ConfigError(
            "no AWS Region is set",
            hint="pass --region, set AWS_REGION / AWS_DEFAULT_REGION, or add athena.region to the config",
        )
    return sess.client(service, region_name=region, endpoint_url=settings.endpoint_url or None)


def split_s3(uri: str) -> tuple[str, str]:
    """('bucket', 'key/prefix') of an s3:// URI."""
    if not uri.startswith("s3://"):
        raise ConfigError(f"{uri!r} is not an s3:// URI")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def describe_client_error(exc: Exception) -> str:
    """botocore's ClientError as 'Code: message'."""
    response = getattr(exc, "response", None) or {}
    error = response.get("Error", {})
    if error:
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    return str(exc)


def list_pages(s3: Any, bucket: str, prefix: str, *, hint: str, **options: Any) -> Iterator[dict[str, Any]]:
    """ListObjectsV2 pages under a prefix; a failure is one LocationError naming the prefix."""
    import botocore.exceptions

    try:
        yield from s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **options)
    except botocore.exceptions.ClientError as exc:
        reason = describe_client_error(exc)
        raise LocationError(f"cannot list s3://{bucket}/{prefix}: {reason}", hint=hint) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise LocationError(f"cannot list s3://{bucket}/{prefix}: {exc}", hint=hint) from None
