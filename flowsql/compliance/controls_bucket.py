"""Retention and protection of the buckets flow logs are delivered to: lifecycle expiration against
the required retention, versioning, default encryption, Block Public Access, the bucket policy."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flowsql.compliance.evidence_logs import LogGroupRetention
from flowsql.compliance.evidence_s3 import BucketSettings
from flowsql.compliance.mappings import MAPPINGS
from flowsql.compliance.model import Result, Status
from flowsql.errors import ConfigError

PAB_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
# Conditions that narrow a statement granted to everyone down to known callers.
_NARROWING = {
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceip",
    "aws:userid",
}
_ACCOUNT = re.compile(r"^(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::|$)")


def parse_retention(text: str) -> int:
    """'365d', '52w', '1y' (365 days a year) or a plain number of days, as days."""
    match = re.fullmatch(r"\s*(\d+)\s*([dwy]?)\s*", text or "", re.IGNORECASE)
    if not match or int(match[1]) == 0:
        raise ConfigError(
            f"--retention must be a number of days, weeks or years such as 365d, 52w or 1y, got {text!r}"
        )
    return int(match[1]) * {"": 1, "d": 1, "w": 7, "y": 365}[match[2].lower()]


@dataclass(frozen=True)
class Target:
    """A bucket and the key prefix its flow logs are written under ('' or 'prefix/')."""

    bucket: str
    prefix: str

    @property
    def logs_prefix(self) -> str:
        return f"{self.prefix}AWSLogs/"


def _rule_prefix(rule: dict[str, Any]) -> tuple[str | None, bool]:
    """(prefix the rule is limited to, whether a tag limits it)."""
    filt = rule.get("Filter")
    if filt is None:
        return rule.get("Prefix", ""), False
    if "And" in filt:
        return filt["And"].get("Prefix", ""), bool(filt["And"].get("Tags"))
    return filt.get("Prefix", ""), "Tag" in filt


def _applies(rule: dict[str, Any], target: Target) -> tuple[bool, str]:
    prefix, tagged = _rule_prefix(rule)
    if rule.get("Status") != "Enabled":
        return False, "disabled"
    if tagged:
        return False, "limited to tagged objects (flow-log objects carry no tags)"
    prefix = prefix or ""
    logs = target.logs_prefix
    if logs.startswith(prefix) or prefix.startswith(logs):
        return True, f"prefix {prefix!r}" if prefix else "the whole bucket"
    return False, f"prefix {prefix!r} is outside {logs}"


def retention(
    settings: Sequence[tuple[Target, BucketSettings]],
    required: int | None,
    groups: Sequence[LogGroupRetention] = (),
) -> Result:
    """S3 lifecycle rules, and the retention of CloudWatch Logs flow logs' log groups."""
    control, title = "retention.lifecycle", "Lifecycle rules keep flow logs for the required retention"
    evidence, short, unread = [], [], []
    shortest: int | None = None
    for group in groups:
        where = f"CloudWatch Logs group {group.group} ({group.region}, {group.flow_log})"
        if group.error:
            unread.append(f"{where}: {group.error}")
        elif group.days is None:
            evidence.append(f"{where}: events never expire")
        else:
            evidence.append(f"{where}: events kept {group.days} days")
            shortest = group.days if shortest is None else min(shortest, group.days)
            if required is not None and group.days < required:
                short.append(f"{where} keeps events {group.days} days, {required} required")
    for target, found in settings:
        where = f"s3://{target.bucket}/{target.logs_prefix}"
        if "lifecycle" in found.errors:
            unread.append(f"{where}: {found.errors['lifecycle']}")
            continue
        if not found.lifecycle:
            evidence.append(f"{where}: no lifecycle rule: objects are kept until deleted")
            continue
        for rule in found.lifecycle:
            name = rule.get("ID") or "(unnamed rule)"
            applies, why = _applies(rule, target)
            expiration = rule.get("Expiration") or {}
            transitions = [
                f"{t.get('StorageClass')} after {t.get('Days', t.get('Date'))} days"
                for t in rule.get("Transitions", [])
            ]
            parts = [f"{where}: rule {name} ({why})"]
            if "Days" in expiration:
                parts.append(f"expires objects after {expiration['Days']} days")
            elif "Date" in expiration:
                parts.append(f"expires objects on {expiration['Date']}")
            else:
                parts.append("expires no current object")
            if transitions:
                parts.append("moves them to " + ", ".join(transitions))
            if rule.get("NoncurrentVersionExpiration"):
                parts.append(
                    f"deletes old versions after "
                    f"{rule['NoncurrentVersionExpiration'].get('NoncurrentDays')} days"
                )
            evidence.append("; ".join(parts))
            if not applies:
                continue
            if "Date" in expiration:
                short.append(f"{name} deletes every flow-log object on {expiration['Date']}")
                shortest = 0
            elif "Days" in expiration:
                days = int(expiration["Days"])
                shortest = days if shortest is None else min(shortest, days)
                if required is not None and days < required:
                    short.append(
                        f"rule {name} on {where} expires objects after {days} days, {required} required"
                    )
    mapping = MAPPINGS[control]
    if unread:
        return Result(
            control,
            title,
            Status.FAIL,
            "retention not readable: " + "; ".join(unread),
            evidence,
            "grant s3:GetLifecycleConfiguration on the bucket (logs:DescribeLogGroups for log groups)",
            mapping,
        )
    if required is None:
        found = (
            "no rule expires flow-log objects"
            if shortest is None
            else f"the shortest expiration is {shortest} days"
        )
        return Result(
            control,
            title,
            Status.WARN,
            f"no required retention given; {found}",
            evidence,
            "pass the retention your policy requires, e.g. --retention 365d",
            mapping,
        )
    if short:
        return Result(
            control,
            title,
            Status.FAIL,
            "; ".join(short),
            evidence,
            f"raise the rule's Expiration Days to at least {required}, or limit it to a prefix "
            f"outside AWSLogs/ (a log group: aws logs put-retention-policy --retention-in-days "
            f"{required} or more, or no policy)",
            mapping,
        )
    if not settings and not groups:
        return Result(
            control, title, Status.WARN, "no S3 bucket or log group to check", evidence, None, mapping
        )
    return Result(
        control,
        title,
        Status.PASS,
        f"nothing expires flow logs before {required} days",
        evidence,
        None,
        mapping,
    )


def versioning(settings: Sequence[tuple[Target, BucketSettings]]) -> Result:
    control, title = "protection.versioning", "Versioning or Object Lock protects flow-log objects"
    evidence, weak, unread = [], [], []
    for target, found in settings:
        if "versioning" in found.errors:
            unread.append(f"{target.bucket}: {found.errors['versioning']}")
            continue
        line = f"{target.bucket}: versioning {found.versioning or 'never enabled'}"
        if found.mfa_delete:
            line += f", MFA delete {found.mfa_delete}"
        line += f", Object Lock {found.object_lock or 'not enabled'}"
        evidence.append(line)
        if found.versioning != "Enabled" and found.object_lock != "Enabled":
            weak.append(target.bucket)
    if unread:
        return Result(
            control,
            title,
            Status.FAIL,
            "versioning not readable: " + "; ".join(unread),
            evidence,
            "grant s3:GetBucketVersioning on the bucket",
            MAPPINGS[control],
        )
    if weak:
        return Result(
            control,
            title,
            Status.WARN,
            f"an overwritten or deleted flow-log object cannot be recovered in {', '.join(weak)}",
            evidence,
            "aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration "
            "Status=Enabled (or Object Lock for write-once storage)",
            MAPPINGS[control],
        )
    return Result(
        control,
        title,
        Status.PASS,
        "every bucket keeps prior versions or is locked",
        evidence,
        None,
        MAPPINGS[control],
    )


def encryption(settings: Sequence[tuple[Target, BucketSettings]]) -> Result:
    control, title = "protection.encryption", "Default encryption on the flow-log bucket"
    evidence, plain, unread = [], [], []
    for target, found in settings:
        if "encryption" in found.errors:
            unread.append(f"{target.bucket}: {found.errors['encryption']}")
        elif not found.encryption:
            evidence.append(f"{target.bucket}: no default encryption configured")
            plain.append(target.bucket)
        else:
            for rule in found.encryption:
                default = rule.get("ApplyServerSideEncryptionByDefault", {})
                key = default.get("KMSMasterKeyID")
                evidence.append(
                    f"{target.bucket}: default encryption {default.get('SSEAlgorithm')}"
                    + (f" with key {key}" if key else "")
                    + (", S3 Bucket Key" if rule.get("BucketKeyEnabled") else "")
                )
    if unread or plain:
        return Result(
            control,
            title,
            Status.FAIL,
            "; ".join(
                [f"{b} has no default encryption" for b in plain] + [f"not readable: {u}" for u in unread]
            ),
            evidence,
            "aws s3api put-bucket-encryption --bucket BUCKET --server-side-encryption-"
            'configuration \'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"}}]}\'',
            MAPPINGS[control],
        )
    return Result(
        control,
        title,
        Status.PASS,
        "every bucket encrypts new objects by default",
        evidence,
        None,
        MAPPINGS[control],
    )


def public_access(settings: Sequence[tuple[Target, BucketSettings]]) -> Result:
    control, title = "protection.public_access", "Block Public Access is on for the flow-log bucket"
    evidence, open_ = [], []
    for target, found in settings:
        bucket = found.public_access_block or {}
        account = found.account_public_access_block or {}
        on = [k for k in PAB_KEYS if bucket.get(k) or account.get(k)]
        off = [k for k in PAB_KEYS if k not in on]
        line = f"{target.bucket}: bucket-level " + (
            ", ".join(f"{k}={bucket.get(k)}" for k in PAB_KEYS)
            if found.public_access_block
            else "not configured"
        )
        line += "; account-level " + (
            ", ".join(f"{k}={account.get(k)}" for k in PAB_KEYS)
            if found.account_public_access_block
            else found.errors.get("account_public_access_block", "not configured")
        )
        evidence.append(line)
        if "public_access_block" in found.errors:
            evidence.append(
                f"{target.bucket}: bucket-level setting not readable: {found.errors['public_access_block']}"
            )
        if off:
            open_.append(f"{target.bucket} ({', '.join(off)} off)")
    if open_:
        return Result(
            control,
            title,
            Status.FAIL,
            "Block Public Access incomplete: " + "; ".join(open_),
            evidence,
            "aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration "
            "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
            MAPPINGS[control],
        )
    return Result(
        control,
        title,
        Status.PASS,
        "all four Block Public Access settings are on",
        evidence,
        None,
        MAPPINGS[control],
    )


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if not isinstance(principal, dict):
        return []
    out: list[str] = []
    for kind, value in principal.items():
        values = value if isinstance(value, list) else [value]
        out.extend(f"{kind}:{v}" for v in values)
    return out


def _narrowed(statement: dict[str, Any]) -> bool:
    for operator in (statement.get("Condition") or {}).values():
        if isinstance(operator, dict) and any(k.lower() in _NARROWING for k in operator):
            return True
    return False


def policy(settings: Sequence[tuple[Target, BucketSettings]], own_accounts: Sequence[str]) -> Result:
    control, title = "protection.policy", "The bucket policy grants no public or cross-account access"
    evidence, public, foreign = [], [], []
    for target, found in settings:
        if "policy" in found.errors:
            public.append(f"{target.bucket}: policy not readable ({found.errors['policy']})")
            continue
        if found.policy is None:
            evidence.append(f"{target.bucket}: no bucket policy")
            continue
        statements = found.policy.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        for n, st in enumerate(statements, 1):
            sid = st.get("Sid") or f"statement {n}"
            actions = st.get("Action")
            who = _principals(st)
            evidence.append(
                f"{target.bucket}: {sid}: {st.get('Effect')} {who or st.get('NotPrincipal')} {actions}"
                + (" (with narrowing conditions)" if _narrowed(st) else "")
            )
            if st.get("Effect") != "Allow":
                continue
            if ("*" in who or "AWS:*" in who or st.get("NotPrincipal")) and not _narrowed(st):
                public.append(f"{target.bucket} {sid} allows {actions} to everyone")
            for p in who:
                match = _ACCOUNT.match(p.partition(":")[2]) if p.startswith("AWS:") else None
                if match and match[1] not in own_accounts:
                    foreign.append(f"{target.bucket} {sid} allows {actions} to account {match[1]}")
        if found.policy_is_public:
            evidence.append(f"{target.bucket}: S3 reports the policy as public (GetBucketPolicyStatus)")
            if not any(p.startswith(target.bucket) for p in public):
                public.append(f"{target.bucket}: S3 reports the policy as public")
    mapping = MAPPINGS[control]
    if public:
        return Result(
            control,
            title,
            Status.FAIL,
            "; ".join(public),
            evidence,
            "remove the statement, or narrow it with aws:SourceAccount / aws:PrincipalOrgID; "
            "Block Public Access does not fix the policy itself",
            mapping,
        )
    if foreign:
        return Result(
            control,
            title,
            Status.WARN,
            "cross-account access: " + "; ".join(foreign),
            evidence,
            "remove the grant, or record why that account needs the flow logs",
            mapping,
        )
    return Result(
        control,
        title,
        Status.PASS,
        "no statement grants public or cross-account access",
        evidence,
        None,
        mapping,
    )
