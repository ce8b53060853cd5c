"""Where Athena writes query results, decided once at `flowsql init` from the workgroup.

Athena needs a result location for every query: the workgroup's (ResultConfiguration.OutputLocation,
which overrides the client's when the workgroup enforces its configuration), Athena's managed
result storage (ManagedQueryResultsConfiguration), or the caller's OutputLocation. GetWorkGroup
tells which applies, so `init` can save settings that make the first `flowsql run` work, or say
exactly what to pass.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from flowsql.config import AthenaSettings
from flowsql.errors import ConfigError
from flowsql.tables.findings import Finding

DEFAULT_WORKGROUP = "primary"
STAGING_ENV = "AWS_ATHENA_S3_STAGING_DIR"
WORKGROUP_ENV = "AWS_ATHENA_WORK_GROUP"


@dataclass(frozen=True)
class ResultsPlace:
    """The Athena settings to save: the workgroup, the output location when one is needed, the Region."""

    workgroup: str
    output_location: str | None
    region: str | None
    findings: list[Finding] = field(default_factory=list)


def resolve_results(
    settings: AthenaSettings, client: Any = None, *, given_by: str | None = None
) -> ResultsPlace:
    """Read the workgroup and decide where query results go; refuse when nowhere is set.

    `given_by` names where settings.output_location came from, for the note when the workgroup
    overrides it (default: the --output-location option)."""
    from flowsql import aws

    # PyAthena reads these two variables when no setting is given; init honours them the same way.
    given = settings.output_location or os.environ.get(STAGING_ENV) or None
    source = (given_by or "--output-location") if settings.output_location else STAGING_ENV
    if given is not None and not given.startswith("s3://"):
        raise ConfigError(f"--output-location must be an s3:// URI, got {given!r}")
    if given and not given.endswith("/"):
        given += "/"
    name = settings.workgroup or os.environ.get(WORKGROUP_ENV) or DEFAULT_WORKGROUP
    athena = client or aws.client("athena", settings)
    region = settings.region or athena.meta.region_name
    group = _get_work_group(athena, name, given)
    if group is None:  # not readable, but an output location was given: use it
        return ResultsPlace(
            name,
            given,
            region,
            [
                Finding("results", f"{given} (workgroup {name} could not be read to check it)", warning=True),
            ],
        )
    if group.get("State", "ENABLED") != "ENABLED":
        raise ConfigError(
            f"Athena workgroup {name} is {group.get('State', '').lower()}: it runs no queries",
            hint="enable it, or pass --workgroup NAME of an enabled workgroup",
        )
    conf = group.get("Configuration") or {}
    enforced = bool(conf.get("EnforceWorkGroupConfiguration"))
    own = (conf.get("ResultConfiguration") or {}).get("OutputLocation")
    managed = bool((conf.get("ManagedQueryResultsConfiguration") or {}).get("Enabled"))
    where = f"workgroup {name} in {region}"
    if managed:
        findings = [Finding("results", f"Athena's managed result storage ({where})")]
        if given:
            findings.append(
                Finding("results", f"{source} {given} is not used: {where} manages results", True)
            )
        return ResultsPlace(name, None, region, findings)
    if own and (enforced or not given):
        findings = [Finding("results", f"{own} (set by {where}{', enforced' if enforced else ''})")]
        if given and given != own:
            findings.append(
                Finding("results", f"{source} {given} is not used: {where} enforces its own", True)
            )
        return ResultsPlace(name, None, region, findings)
    if given:
        note = f", instead of the workgroup's {own}" if own else ""
        return ResultsPlace(name, given, region, [Finding("results", f"{given} ({where}{note})")])
    raise ConfigError(
        f"Athena needs a place for query results and {where} sets none",
        hint="pass --output-location s3://BUCKET/PREFIX/ (an S3 prefix you can write to; Athena writes "
        "one result file per query there), or --workgroup NAME of a workgroup that sets one",
    )


def _get_work_group(athena: Any, name: str, given: str | None) -> dict[str, Any] | None:
    """The workgroup, or None when it cannot be read but an output location makes that moot."""
    import botocore.exceptions

    from flowsql import aws

    try:
        response = athena.get_work_group(WorkGroup=name)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        if (problem := aws.credentials_problem(exc)) is not None:
            raise problem from None
        text = aws.describe_client_error(exc)
        if "not found" in text.lower():
            raise _not_found(name) from None
        if given:
            return None
        raise ConfigError(
            f"cannot read Athena workgroup {name} ({text}), so flowsql cannot tell where Athena "
            "writes query results",
            hint="pass --output-location s3://BUCKET/PREFIX/ (an S3 prefix you can write to)",
        ) from None
    group = response.get("WorkGroup")
    if not group:
        raise _not_found(name)
    return dict(group)


def _not_found(name: str) -> ConfigError:
    return ConfigError(
        f"Athena workgroup {name} does not exist",
        hint="pass --workgroup NAME of an existing workgroup (aws athena list-work-groups)",
    )
