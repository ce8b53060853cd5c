"""The doctor's checks on partitions: partition projection (the template filled for real keys, the
enums of accounts and Regions, the date range's start) and classic Glue partitions (folders with
objects but no partition, partitions pointing at nothing)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from flowsql.tables.doctor import Finding, java_strftime, parse_java_date
from flowsql.tables.doctor_checks import Probe, _partition_value, _when
from flowsql.tables.objects import LogObject
from flowsql.tables.spec import Layout

# --- partition projection -----------------------------------------------------------------------


def _roles(properties: dict[str, str]) -> dict[str, str]:
    """Template column -> account | region | day | hour, from the projection's types and names."""
    template = properties.get("storage.location.template", "")
    roles: dict[str, str] = {}
    for column in re.findall(r"\$\{([^}]+)\}", template):
        kind = properties.get(f"projection.{column}.type", "")
        values = properties.get(f"projection.{column}.values", "").split(",")
        if kind == "date":
            roles[column] = "day"
        elif kind == "integer" or "hour" in column:
            roles[column] = "hour"
        elif "account" in column or all(re.fullmatch(r"\d{12}", v) for v in values if v):
            roles[column] = "account"
        elif "region" in column or kind == "enum":
            roles[column] = "region"
    return roles


def _fill(properties: dict[str, str], roles: dict[str, str], o: LogObject) -> str:
    template = properties["storage.location.template"]
    for column, role in roles.items():
        if role == "account":
            value = o.account or ""
        elif role == "region":
            value = o.region or ""
        elif role == "day":
            pattern = properties.get(f"projection.{column}.format", "yyyy/MM/dd")
            value = (o.day or date.min).strftime(java_strftime(pattern))
        else:
            digits = int(properties.get(f"projection.{column}.digits", "1") or 1)
            value = f"{o.hour or 0:0{digits}d}"
        template = template.replace("${" + column + "}", value)
    return template


def check_projection(probe: Probe) -> list[Finding]:
    props = probe.subject.properties
    if props.get("projection.enabled", "").lower() != "true" or not probe.logs:
        return []
    template = props.get("storage.location.template", "")
    roles = _roles(props)
    findings: list[Finding] = []
    bases = probe.readable or probe.logs
    if template and probe.readable:  # (no readable object at all: check_layout said why)
        samples = _distinct_places(bases)
        misses = [
            (o, _fill(props, roles, o)) for o in samples if not o.path.startswith(_fill(props, roles, o))
        ]
        if misses:
            right = replace(probe.spec, layout=misses[0][0].layout, hourly=misses[0][0].hourly)
            findings.append(
                Finding(
                    "template",
                    "error",
                    "storage.location.template resolves to prefixes that hold no objects: Athena reads "
                    "nothing there and returns 0 rows",
                    tuple(
                        f"template {template}\nfilled for {o.path}:\n{filled}  (no such prefix)"
                        for o, filled in misses[:3]
                    ),
                    f"the template for these objects is {right.location_template()}: "
                    + probe.subject.init_fix(""),
                )
            )
    for role, flag in (("account", "--accounts"), ("region", "--regions")):
        column = next((c for c, r in roles.items() if r == role), None)
        if column is None or props.get(f"projection.{column}.type") != "enum":
            continue
        enum = [v for v in props.get(f"projection.{column}.values", "").split(",") if v]
        present = sorted({getattr(o, role) for o in probe.logs if getattr(o, role)})
        missing = [v for v in present if v not in enum]
        if missing:
            example = next(o for o in probe.logs if getattr(o, role) == missing[0])
            findings.append(
                Finding(
                    f"projection-{role}s",
                    "error",
                    f"{len(missing)} {role}(s) under the prefix are missing from the projection's enum "
                    f"({column}: {','.join(enum)}): their rows are never read",
                    (f"{role} {missing[0]}: {example.path}",),
                    probe.subject.init_fix(f"{flag} {','.join(sorted({*enum, *missing}))}"),
                )
            )
    day_column = next((c for c, r in roles.items() if r == "day"), None)
    if day_column:
        pattern = props.get(f"projection.{day_column}.format", "yyyy/MM/dd")
        first_text = props.get(f"projection.{day_column}.range", "").split(",")[0].strip()
        first = parse_java_date(first_text, pattern)
        oldest = min(bases, key=_when)
        if first is not None and oldest.day is not None and oldest.day < first:
            findings.append(
                Finding(
                    "projection-start",
                    "warning",
                    f"the projection starts at {first_text}, after the oldest data "
                    f"({oldest.day.isoformat()}): windows before it return 0 rows",
                    (f"{day_column} {_partition_value(oldest, oldest.layout or Layout.AWS)}: {oldest.path}",),
                    probe.subject.init_fix(f"--start-date {oldest.day.isoformat()}"),
                )
            )
    return findings


def _distinct_places(items: Sequence[LogObject], count: int = 4) -> list[LogObject]:
    """The newest and oldest object, and one per other account and Region, up to `count`."""
    ordered = sorted(items, key=_when)
    picks = [ordered[-1], ordered[0]]
    seen = {(o.account, o.region) for o in picks}
    for o in reversed(ordered):
        if (o.account, o.region) not in seen:
            picks.append(o)
            seen.add((o.account, o.region))
    return list(dict.fromkeys(picks))[:count]


# --- classic partitions -------------------------------------------------------------------------


def check_partitions(probe: Probe) -> list[Finding]:
    parts = probe.subject.partitions
    props = probe.subject.properties
    if parts is None or props.get("projection.enabled", "").lower() == "true" or not probe.readable:
        return []
    spec = probe.spec
    located = {loc.rstrip("/") + "/": values for values, loc in parts}
    folders: dict[str, LogObject] = {}
    for o in probe.readable:
        folders.setdefault(spec.location + o.partition, o)
    findings: list[Finding] = []
    missing = sorted(f for f in folders if f not in located)
    if missing:
        days = sorted({folders[f].day for f in missing if folders[f].day})
        fix = f"flowsql partitions add --start {days[0].isoformat()} --end {days[-1].isoformat()}"
        if spec.layout is Layout.HIVE:
            fix += "  (or `flowsql partitions repair`)"
        findings.append(
            Finding(
                "partitions-missing",
                "error",
                f"{len(missing)} folder(s) with objects have no partition: Athena never reads them",
                tuple(f"no partition for {f} (e.g. {folders[f].path})" for f in missing[:3]),
                fix,
            )
        )
    empty = [
        (values, loc)
        for loc, values in located.items()
        if not any(o.path.startswith(loc) for o in probe.objects)
    ]
    if empty:
        values = empty[0][0]
        listed = " ".join(values)
        findings.append(
            Finding(
                "partitions-empty",
                "warning",
                f"{len(empty)} partition(s) point at prefixes with no objects",
                tuple(f"partition ({', '.join(v)}) -> {where}" for v, where in empty[:3]),
                f"aws glue batch-delete-partition --database-name {spec.database} --table-name {spec.table} "
                f"--partitions-to-delete 'Values={','.join(values)}'  (one per partition; first: {listed})",
            )
        )
    return findings
