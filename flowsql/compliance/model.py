"""The report's nouns: a control's result (status, evidence, what to change) and the report itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any


class Status(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    WARN = "WARN"
    # The control does not apply to this source (a local folder has no VPCs or bucket settings).
    NOT_RUN = "NOT RUN"


@dataclass
class Result:
    """One control's line in the report."""

    id: str
    title: str
    status: Status
    summary: str
    evidence: list[str] = field(default_factory=list)
    fix: str | None = None
    mapping: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "summary": self.summary,
            "evidence": list(self.evidence),
            "fix": self.fix,
            "commonly_mapped_to": list(self.mapping),
        }


MAPPING_NOTE = (
    "Requirement mappings are guidance on where each control is commonly used as evidence, "
    "taken from the frameworks' public text; they are not a certification or an assessment."
)


@dataclass
class Report:
    """Every control's result for one source (AWS accounts and Regions, or a local folder)."""

    source: str
    period_start: datetime
    period_end: datetime
    generated_at: datetime
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    retention_days: int | None
    results: list[Result] = field(default_factory=list)

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status is Status.FAIL]

    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for r in self.results if r.status is s) for s in Status}

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "period": {"start": _iso(self.period_start), "end": _iso(self.period_end)},
            "generated_at": _iso(self.generated_at),
            "accounts": list(self.accounts),
            "regions": list(self.regions),
            "required_retention_days": self.retention_days,
            "counts": self.counts(),
            "mapping_note": MAPPING_NOTE,
            "controls": [r.to_dict() for r in self.results],
        }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
