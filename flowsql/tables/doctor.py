"""`flowsql doctor`: why a flow-log table returns zero rows or shifted columns. The table (from the
config and flags, or a Glue table, flowsql's or not) is compared with the objects under its location;
each finding carries its evidence (a path, a header line, a partition value) and the exact command
or option that fixes it. The checks themselves are in doctor_checks."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from flowsql.config import AthenaSettings
from flowsql.errors import ConfigError, FlowsqlError
from flowsql.tables import objects as objectsmod
from flowsql.tables.spec import Partitioning, TableSpec

SEVERITIES = ("error", "warning", "note")


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or worth knowing), what shows it, and what fixes it."""

    code: str
    severity: str  # error | warning | note (notes never fail the check)
    message: str
    evidence: tuple[str, ...] = ()
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["evidence"] = list(self.evidence)
        return data


@dataclass
class Subject:
    """The table under examination, as Athena would read it."""

    spec: TableSpec
    source: str  # "the config" or "Glue table db.t"
    columns: dict[str, str]  # data columns and declared types, in order
    properties: dict[str, str]  # table parameters: projection.*, storage.location.template, …
    glue: bool = False
    partitions: list[tuple[tuple[str, ...], str]] | None = None  # classic: (values, location)
    notes: list[str] = field(default_factory=list)

    def init_fix(self, flags: str) -> str:
        """The `flowsql init` command that rebuilds this table with the flags changed."""
        parts = ["flowsql init"]
        if self.glue:
            parts.append(f"--database {self.spec.database} --table {self.spec.table}")
        parts.append(flags)
        if self.spec.is_s3:
            parts.append("--replace")
        return " ".join(p for p in parts if p)


def subject_from_spec(spec: TableSpec) -> Subject:
    """The table flowsql would make from these options."""
    from flowsql.tables import ddl

    notes: list[str] = []
    try:
        properties = ddl.table_properties(spec)
    except ConfigError:
        properties = {}
        if spec.partitioning is Partitioning.PROJECTION:
            notes.append(
                "no accounts/Regions configured: the projection was not checked "
                "(`flowsql init` discovers them by listing the location)"
            )
    columns = spec.column_types()
    return Subject(spec, "the config", columns, properties, notes=notes)


def subject_from_glue(table: dict[str, Any], partitions: list[dict[str, Any]] | None) -> Subject:
    """A Glue table, made by flowsql or not: its own columns and properties are what is checked."""
    from flowsql.tables.catalog import spec_from_table

    spec = spec_from_table(table)
    sd = table.get("StorageDescriptor", {})
    columns = {c["Name"]: c["Type"].lower() for c in sd.get("Columns", [])}
    parts = None
    if partitions is not None:
        parts = [
            (tuple(p.get("Values", [])), p.get("StorageDescriptor", {}).get("Location", ""))
            for p in partitions
        ]
    name = f"Glue table {table.get('DatabaseName', spec.database)}.{table.get('Name', spec.table)}"
    return Subject(spec, name, columns, dict(table.get("Parameters", {})), glue=True, partitions=parts)


@dataclass
class Report:
    """What the doctor found about one table."""

    subject: Subject
    objects: int
    findings: list[Finding]

    @property
    def healthy(self) -> bool:
        return not any(f.severity in ("error", "warning") for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        spec = self.subject.spec
        return {
            "table": f"{spec.database}.{spec.table}",
            "source": self.subject.source,
            "location": spec.table_location,
            "objects": self.objects,
            "healthy": self.healthy,
            "findings": [f.to_dict() for f in self.findings],
        }

    def text(self) -> str:
        spec = self.subject.spec
        lines = [
            f"flowsql doctor: {spec.database}.{spec.table} ({self.subject.source}) over "
            f"{spec.table_location}: {self.objects:,} object(s)"
        ]
        for finding in self.findings:
            lines.append(f"{finding.severity:<7} {finding.code}: {finding.message}")
            for item in finding.evidence:
                first, *rest = item.split("\n")
                lines.append(f"        evidence: {first}")
                lines.extend(f"                  {more}" for more in rest)
            if finding.fix:
                lines.append(f"        fix: {finding.fix}")
        if self.healthy:
            lines.append("healthy: the table matches its objects")
        else:
            bad = sum(f.severity in ("error", "warning") for f in self.findings)
            lines.append(f"{bad} problem(s) found")
        return "\n".join(lines)


def examine(subject: Subject, settings: AthenaSettings | None = None, *, now: float | None = None) -> Report:
    """Run every check on the table and its objects."""
    from flowsql.tables import doctor_checks as checks
    from flowsql.tables import doctor_partitions as partitions

    listing = objectsmod.list_objects(subject.spec.location, settings)
    findings = [Finding("config", "note", n) for n in subject.notes]
    if listing.truncated:
        findings.append(
            Finding(
                "listing",
                "note",
                f"only the first {len(listing.objects):,} objects were examined",
            )
        )
    probe = checks.Probe(subject, listing.objects, settings, now if now is not None else time.time())
    for check in (
        checks.check_location,
        checks.check_layout,
        checks.check_headers,
        checks.check_parquet,
        partitions.check_projection,
        partitions.check_partitions,
        checks.check_recent,
    ):
        try:
            findings += check(probe)
        except FlowsqlError as exc:
            code = check.__name__.removeprefix("check_")
            findings.append(Finding(code, "error", f"could not check {code}: {exc}"))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: order[f.severity])
    return Report(subject, len(listing.objects), findings)


# --- Athena's date projection formats (Java DateTimeFormatter patterns) -------------------------

_JAVA = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H"}


def _java_tokens(pattern: str) -> list[tuple[bool, str]]:
    """(is_field, text) pieces of a Java date pattern: quoted text is literal."""
    out: list[tuple[bool, str]] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "'":
            end = pattern.find("'", i + 1)
            end = len(pattern) if end < 0 else end
            out.append((False, pattern[i + 1 : end]))
            i = end + 1
            continue
        for token in _JAVA:
            if pattern.startswith(token, i):
                out.append((True, token))
                i += len(token)
                break
        else:
            out.append((False, pattern[i]))
            i += 1
    return out


def java_strftime(pattern: str) -> str:
    return "".join(_JAVA[t] if f else t.replace("%", "%%") for f, t in _java_tokens(pattern))


def parse_java_date(text: str, pattern: str) -> date | None:
    try:
        return datetime.strptime(text, java_strftime(pattern)).date()
    except ValueError:
        return None
