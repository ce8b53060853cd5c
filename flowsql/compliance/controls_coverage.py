"""Coverage controls: every VPC has a flow log (on the VPC, or on all its subnets or interfaces), the
flow logs capture ALL traffic, and what each one delivers where, in which format."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flowsql.compliance.evidence_ec2 import FlowLogInfo, RegionInventory
from flowsql.compliance.mappings import MAPPINGS
from flowsql.compliance.model import Result, Status
from flowsql.errors import LogFormatError
from flowsql.tables import fields as flowfields

BOTH = frozenset({"ACCEPT", "REJECT"})
# What a record needs to say who talked to whom, when, on which interface, and whether it was let in.
AUDIT_FIELDS = (
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "start",
    "end",
    "action",
    "log-status",
)
# A transit gateway flow log records attachments, not interfaces, and no ACCEPT/REJECT action.
TGW_AUDIT_FIELDS = ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "start", "end", "log-status")
# The columns a flow log of a VPC, subnet or interface can write (the catalogue's VPC fields).
VPC_COLUMNS = frozenset(f.column for f in flowfields.CATALOGUE)


def _captured(flow_logs: Sequence[FlowLogInfo]) -> frozenset[str]:
    kinds: set[str] = set()
    for fl in flow_logs:
        kinds |= BOTH if fl.traffic_type == "ALL" else {fl.traffic_type or ""}
    return frozenset(kinds & BOTH)


@dataclass
class VpcCoverage:
    """How one VPC is covered: by which level, and which traffic every part of it captures."""

    region: str
    vpc: str
    level: str | None  # "VPC", "subnets", "interfaces" or None (not covered)
    detail: str
    complete: bool  # every covered part logs both ACCEPT and REJECT
    flow_logs: list[FlowLogInfo]


def vpc_coverage(inv: RegionInventory, vpc: str) -> VpcCoverage:
    by_resource: dict[str, list[FlowLogInfo]] = {}
    for fl in inv.flow_logs:
        if fl.active:
            by_resource.setdefault(fl.resource_id, []).append(fl)
    own = by_resource.get(vpc, [])
    subnets = sorted(inv.subnets.get(vpc, []))
    enis = sorted(inv.interfaces.get(vpc, []))
    vpc_kinds = _captured(own)
    used = list(own)
    for resource in [*subnets, *(e for e, _ in enis)]:
        used.extend(by_resource.get(resource, []))
    if own:
        ids = ", ".join(f.id for f in own)
        return VpcCoverage(inv.region, vpc, "VPC", f"flow log {ids} on the VPC", vpc_kinds == BOTH, used)
    subnet_kinds = {s: vpc_kinds | _captured(by_resource.get(s, [])) for s in subnets}
    if subnets and all(by_resource.get(s) for s in subnets):
        complete = all(k == BOTH for k in subnet_kinds.values())
        return VpcCoverage(
            inv.region, vpc, "subnets", f"flow logs on all {len(subnets)} subnet(s)", complete, used
        )
    if enis and all(by_resource.get(e) or by_resource.get(s) for e, s in enis):
        complete = all(
            subnet_kinds.get(s, frozenset()) | _captured(by_resource.get(e, [])) == BOTH for e, s in enis
        )
        return VpcCoverage(
            inv.region, vpc, "interfaces", f"flow logs on all {len(enis)} interface(s)", complete, used
        )
    logged_subnets = [s for s in subnets if by_resource.get(s)]
    logged_enis = [e for e, s in enis if by_resource.get(e) or by_resource.get(s)]
    if logged_subnets or logged_enis:
        missing = [s for s in subnets if not by_resource.get(s)]
        detail = (
            f"partly covered: {len(logged_subnets)} of {len(subnets)} subnet(s), "
            f"{len(logged_enis)} of {len(enis)} interface(s) logged; unlogged subnet(s): "
            + (", ".join(missing) or "none")
        )
    else:
        detail = f"no flow log on the VPC, its {len(subnets)} subnet(s) or its {len(enis)} interface(s)"
    return VpcCoverage(inv.region, vpc, None, detail, False, used)


def _unreadable(control: str, title: str, inventories: Sequence[RegionInventory]) -> Result | None:
    failed = [i for i in inventories if i.error]
    if not failed:
        return None
    return Result(
        control,
        title,
        Status.FAIL,
        f"EC2 could not be read in {len(failed)} Region(s): coverage is not evidenced there",
        [f"{i.account} {i.region}: {i.error}" for i in failed],
        "grant ec2:DescribeVpcs, ec2:DescribeSubnets, ec2:DescribeNetworkInterfaces and "
        "ec2:DescribeFlowLogs to the credentials running the report",
        MAPPINGS[control],
    )


def with_skipped(result: Result, inventories: Sequence[RegionInventory]) -> Result:
    """Accounts that could not be read at all: named in the evidence; a PASS becomes a WARN, since
    it holds for the accounts read only."""
    skipped = sorted({(i.account, i.skipped) for i in inventories if i.skipped})
    if not skipped:
        return result
    result.evidence.extend(f"account {account}: {why}" for account, why in skipped)
    if result.status is Status.PASS:
        result.status = Status.WARN
        result.summary += f" (in the accounts read; {len(skipped)} account(s) not read)"
        result.fix = (
            result.fix or "pass --assume-role ROLE naming a role the report may assume in each account"
        )
    return result


def vpcs(inventories: Sequence[RegionInventory]) -> Result:
    control, title = "coverage.vpcs", "Every VPC has a flow log"
    if failed := _unreadable(control, title, inventories):
        return failed
    evidence, unlogged = [], []
    for inv in inventories:
        for vpc in inv.vpcs:
            cov = vpc_coverage(inv, vpc)
            evidence.append(f"{inv.account} {inv.region} {vpc}: {cov.detail}")
            if cov.level is None:
                unlogged.append(f"{inv.region} {vpc}")
    total = sum(len(i.vpcs) for i in inventories)
    if unlogged:
        return Result(
            control,
            title,
            Status.FAIL,
            f"{len(unlogged)} of {total} VPC(s) without a flow log: {', '.join(unlogged)}",
            evidence,
            "create a flow log on each VPC named, e.g. `aws ec2 create-flow-logs --resource-type VPC "
            "--resource-ids VPC_ID --traffic-type ALL --log-destination-type s3 "
            "--log-destination arn:aws:s3:::BUCKET`",
            MAPPINGS[control],
        )
    if total == 0:
        regions = ", ".join(i.region for i in inventories)
        return Result(
            control,
            title,
            Status.WARN,
            f"no VPC found in {regions}",
            evidence,
            "check the Regions given (--regions)",
            MAPPINGS[control],
        )
    return Result(
        control, title, Status.PASS, f"all {total} VPC(s) have a flow log", evidence, None, MAPPINGS[control]
    )


def traffic_type(inventories: Sequence[RegionInventory]) -> Result:
    control, title = "coverage.traffic_type", "Flow logs capture ALL traffic (accepted and rejected)"
    if failed := _unreadable(control, title, inventories):
        return failed
    evidence, partial = [], []
    for inv in inventories:
        for fl in inv.flow_logs:
            if fl.active:
                evidence.append(f"{fl.id} on {fl.resource_id} ({inv.region}): traffic type {fl.traffic_type}")
        for vpc in inv.vpcs:
            cov = vpc_coverage(inv, vpc)
            if cov.level is not None and not cov.complete:
                narrow = [f"{f.id} ({f.traffic_type} only)" for f in cov.flow_logs if f.traffic_type != "ALL"]
                partial.append(f"{inv.region} {vpc}: " + (", ".join(narrow) or "part of its traffic"))
    if partial:
        return Result(
            control,
            title,
            Status.FAIL,
            f"{len(partial)} VPC(s) log only accepted or only rejected traffic: " + "; ".join(partial),
            evidence,
            "a flow log's traffic type cannot be changed: create one with --traffic-type ALL on the "
            "same resource, then delete the ACCEPT-only or REJECT-only one",
            MAPPINGS[control],
        )
    if not any(fl.active for inv in inventories for fl in inv.flow_logs):
        return Result(
            control,
            title,
            Status.WARN,
            "no active flow log found",
            evidence,
            "see coverage.vpcs",
            MAPPINGS[control],
        )
    return Result(
        control,
        title,
        Status.PASS,
        "every covered VPC logs both accepted and rejected traffic",
        evidence,
        None,
        MAPPINGS[control],
    )


def log_format(inventories: Sequence[RegionInventory], needs: dict[str, tuple[str, ...]]) -> Result:
    """Destination and format of each flow log; `needs` maps investigation name -> columns it reads."""
    control, title = "coverage.format", "Destination and log format of each flow log"
    if failed := _unreadable(control, title, inventories):
        return failed
    evidence: list[str] = []
    broken, narrow = [], []
    for inv in inventories:
        for fl in inv.flow_logs:
            if not fl.active:
                continue
            where = f"{fl.destination_name} {fl.destination or '(no destination named)'}"
            try:
                fields = flowfields.parse_log_format(fl.log_format) if fl.log_format else None
            except LogFormatError as exc:
                broken.append(f"{fl.id}: {exc.message}")
                continue
            names = [f.name for f in fields] if fields else list(flowfields.DEFAULT_FORMAT)
            columns = {flowfields.column_name(n) for n in names}
            tgw = fl.resource_id.startswith("tgw-")
            audit = TGW_AUDIT_FIELDS if tgw else AUDIT_FIELDS
            lacking = [n for n in audit if flowfields.column_name(n) not in columns]
            # Investigations of fields this kind of flow log can never write do not count against it.
            mine = needs if tgw else {k: v for k, v in needs.items() if set(v) <= VPC_COLUMNS}
            enabled = [name for name, cols in mine.items() if set(cols) <= columns]
            missing: dict[str, int] = {}
            for cols in mine.values():
                for col in set(cols) - columns:
                    missing[col] = missing.get(col, 0) + 1
            fmt = (
                "default format (version 2)"
                if fields is None
                else f"{len(names)} fields, version {flowfields.record_version(fields) if fields else 2}"
            )
            line = (
                f"{fl.id} ({inv.region}, {fl.resource_id}) → {where}; {fmt}; "
                f"enables {len(enabled)} of {len(mine)} investigations"
            )
            if missing:
                top = sorted(missing.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
                line += "; the others need " + ", ".join(f"{c} ({n})" for c, n in top)
            evidence.append(line)
            if lacking:
                broken.append(f"{fl.id} lacks {', '.join(lacking)}")
            elif len(enabled) < len(mine):
                narrow.append(fl.id)
    if broken:
        return Result(
            control,
            title,
            Status.FAIL,
            "flow log(s) without the fields an audit record needs: " + "; ".join(broken),
            evidence,
            "a flow log's format cannot be changed: create one whose LogFormat includes "
            + " ".join("${" + n + "}" for n in AUDIT_FIELDS)
            + ", then delete the old one",
            MAPPINGS[control],
        )
    if narrow:
        return Result(
            control,
            title,
            Status.WARN,
            f"{len(narrow)} flow log(s) carry the audit fields but not every field flowsql's "
            f"investigations read: {', '.join(narrow)}",
            evidence,
            "for the remaining investigations, create flow logs with a custom LogFormat that adds the "
            "fields named (see `flowsql list`)",
            MAPPINGS[control],
        )
    if not evidence:
        return Result(
            control,
            title,
            Status.WARN,
            "no active flow log found",
            evidence,
            "see coverage.vpcs",
            MAPPINGS[control],
        )
    return Result(
        control,
        title,
        Status.PASS,
        "every flow log carries the fields of every investigation",
        evidence,
        None,
        MAPPINGS[control],
    )
