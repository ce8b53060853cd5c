"""boto3 clients built from AthenaSettings (profile, region, endpoint URL). Imported lazily."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from flowsql.config import AthenaSettings
from flowsql.errors import ConfigError, CredentialsError, LocationError

# Error codes AWS answers when the credentials themselves are the problem (not a permission).
CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
        "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidSignatureException", "InvalidToken",
        "AuthFailure", "MissingAuthenticationToken", "IncompleteSignature",
    }
)  # fmt: skip
_CREDENTIALS_HINT = (
    "sign in (`aws configure`, or `aws sso login` for SSO), choose a profile with --profile or "
    "AWS_PROFILE, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; a local copy of the logs "
    "needs none: flowsql init --location ./flowlogs"
)


def session(settings: AthenaSettings) -> Any:
    """A boto3 session for these settings, with credentials: missing ones are one clear error."""
    import boto3
    import botocore.exceptions

    # boto3 reads AWS_DEFAULT_REGION only; the AWS CLI and the other SDKs also honour AWS_REGION.
    region = settings.region or os.environ.get("AWS_REGION") or None
    try:
        sess = boto3.Session(profile_name=settings.profile, region_name=region)
    except botocore.exceptions.ProfileNotFound:
        raise ConfigError(f"AWS profile {settings.profile!r} is not configured") from None
    try:
        credentials = sess.get_credentials()
    except botocore.exceptions.BotoCoreError as exc:
        raise CredentialsError(
            f"AWS credentials could not be loaded: {exc}", hint=_CREDENTIALS_HINT
        ) from None
    if credentials is None:
        raise CredentialsError(
            "no AWS credentials found (looked in the environment, the AWS config and credentials files, "
            "and the instance metadata)",
            hint=_CREDENTIALS_HINT,
        )
    return sess


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


def credentials_problem(exc: BaseException) -> CredentialsError | None:
    """The one message for an AWS error caused by the credentials (expired, unknown, unsigned),
    or None when the error is about something else."""
    import botocore.exceptions

    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return CredentialsError("no AWS credentials found", hint=_CREDENTIALS_HINT)
    response = getattr(exc, "response", None) or {}
    code = response.get("Error", {}).get("Code")
    if code in CREDENTIAL_CODES:
        return CredentialsError(
            f"AWS rejected the credentials: {describe_client_error(exc)}", hint=_CREDENTIALS_HINT
        )
    return None


def list_pages(s3: Any, bucket: str, prefix: str, *, hint: str, **options: Any) -> Iterator[dict[str, Any]]:
    """ListObjectsV2 pages under a prefix; a failure is one LocationError naming the prefix."""
    import botocore.exceptions

    try:
        yield from s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **options)
    except botocore.exceptions.ClientError as exc:
        if (problem := credentials_problem(exc)) is not None:
            raise problem from None
        reason = describe_client_error(exc)
        raise LocationError(f"cannot list s3://{bucket}/{prefix}: {reason}", hint=hint) from None
    except botocore.exceptions.BotoCoreError as exc:
        if (problem := credentials_problem(exc)) is not None:
            raise problem from None
        raise LocationError(f"cannot list s3://{bucket}/{prefix}: {exc}", hint=hint) from None
