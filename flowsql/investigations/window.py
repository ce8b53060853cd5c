"""The UTC time window every investigation is bounded to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flowsql.errors import ParameterError

UTC = timezone.utc
DEFAULT_SPAN = timedelta(hours=24)
DEFAULT_MAX_SPAN = timedelta(days=31)


def parse_instant(value: str | date | datetime, name: str) -> datetime:
    """An ISO-8601 date or datetime as an aware UTC datetime; a naive value is taken as UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ParameterError(
                f"{name} must be an ISO-8601 date or datetime in UTC "
                f"(2024-05-01 or 2024-05-01T13:00:00Z), got {value!r}"
            ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class TimeWindow:
    """Records whose start time lies in [start, end)."""

    start: datetime
    end: datetime

    @classmethod
    def parse(
        cls,
        start: str | date | datetime | None = None,
        end: str | date | datetime | None = None,
        *,
        max_span: timedelta = DEFAULT_MAX_SPAN,
        now: datetime | None = None,
    ) -> TimeWindow:
        """From user input; a missing side defaults so the window spans the last 24 hours."""
        end_at = parse_instant(end, "end") if end not in (None, "") else None
        start_at = parse_instant(start, "start") if start not in (None, "") else None
        if end_at is None:
            if start_at is not None:
                end_at = start_at + DEFAULT_SPAN
            else:
                current = (now or datetime.now(UTC)).astimezone(UTC)
                end_at = current.replace(second=0, microsecond=0) + timedelta(minutes=1)
        if start_at is None:
            start_at = end_at - DEFAULT_SPAN
        if end_at <= start_at:
            raise ParameterError(
                f"end must be after start, got start={start_at.isoformat()} end={end_at.isoformat()}"
            )
        if end_at - start_at > max_span:
            raise ParameterError(
                f"the window {start_at:%Y-%m-%d %H:%M} → {end_at:%Y-%m-%d %H:%M} spans "
                f"{_span_text(end_at - start_at)}, more than the maximum of {_span_text(max_span)}",
                hint="narrow start/end, or raise max_window_days in the config if you mean it",
            )
        return cls(start_at, end_at)

    @property
    def start_epoch(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_epoch(self) -> int:
        return int(self.end.timestamp())


def _span_text(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} hours"
