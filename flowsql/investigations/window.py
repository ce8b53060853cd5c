"""The UTC time window every investigation is bounded to.

One rule decides a window from what is given (start, end, last; each optional):

- `last` is the window's length: 24 hours unless given (`6h`, `7d`, `30m`, `2w`, `90s`);
- start and end: exactly that window (`last` may not be given too);
- a lone start: `last` from start, but never past now;
- a lone end: `last` back from end;
- neither: the `last` up to now.

A time is an ISO-8601 date or datetime (UTC unless it names an offset), `now`, `today` or
`yesterday` (midnight UTC), or relative to now: `-6h`, `-7d`, `-30m`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flowsql.errors import ParameterError

UTC = timezone.utc
DEFAULT_SPAN = timedelta(hours=24)
DEFAULT_MAX_SPAN = timedelta(days=31)
WINDOW_KEYS = ("start", "end", "last")

RULE = (
    "a lone start covers --last (24 hours unless given) from start, never past now; a lone end the "
    "--last before it; neither, the --last up to now"
)

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_SPAN = re.compile(r"^(\d+)\s*([smhdw])$", re.IGNORECASE)
_RELATIVE = re.compile(r"^-\s*(\d+)\s*([smhdw])$", re.IGNORECASE)
_FORMS = (
    "an ISO-8601 date or datetime such as 2024-05-01 or 2024-05-01T13:00:00Z, now, today, yesterday "
    "or -6h/-7d/-30m"
)
# Flow-log times are Unix seconds; the last day leaves room for a default window and the 15 minutes
# a partition predicate reads past its end.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 29, tzinfo=UTC)


def current_minute(now: datetime | None = None) -> datetime:
    """Now, rounded up to the next whole minute (so records of this minute are in a window ending now,
    and the same command run twice within a minute renders the same SQL)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)


def parse_span(value: str | timedelta, name: str = "last") -> timedelta:
    """A duration such as 6h, 7d, 30m, 2w or 90s."""
    if isinstance(value, timedelta):
        span = value
    else:
        match = _SPAN.match(str(value).strip())
        if not match:
            raise ParameterError(
                f"{name} must be a duration such as 30m, 6h, 7d or 2w, got {value!r}",
                hint="units: s (seconds), m (minutes), h (hours), d (days), w (weeks)",
            )
        try:
            span = timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
        except OverflowError:
            raise ParameterError(
                f"{name} must be a duration of at most {timedelta.max.days:,} days, got {value!r}"
            ) from None
    if span <= timedelta(0):
        raise ParameterError(f"{name} must be longer than zero, got {value!r}")
    return span


def parse_instant(value: str | date | datetime, name: str, *, now: datetime | None = None) -> datetime:
    """A time as an aware UTC datetime: ISO-8601 (a naive value is taken as UTC), `now`, `today`,
    `yesterday`, or relative to now (`-6h`)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        lowered = text.lower()
        relative = _RELATIVE.match(text)
        if lowered == "now":
            return current_minute(now)
        if lowered in ("today", "yesterday"):
            midnight = (
                (now or datetime.now(UTC)).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            )
            return midnight - timedelta(days=1 if lowered == "yesterday" else 0)
        if relative:
            span = parse_span(f"{relative.group(1)}{relative.group(2)}", name)
            try:
                moment = current_minute(now) - span
            except OverflowError:
                moment = datetime.min
        else:
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise ParameterError(f"{name} must be {_FORMS} (UTC), got {value!r}") from None
    try:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 has no UTC time
        moment = EARLIEST - timedelta(days=1)
    if not EARLIEST <= moment <= LATEST:
        raise ParameterError(
            f"{name} must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC), got {value}",
            hint=f"{name} is {_FORMS}",
        )
    return moment


def _given(value: object) -> bool:
    return value not in (None, "")


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
        last: str | timedelta | None = None,
        max_span: timedelta = DEFAULT_MAX_SPAN,
        now: datetime | None = None,
    ) -> TimeWindow:
        """From user input, by the module's one rule (see RULE)."""
        if _given(start) and _given(end) and _given(last):
            raise ParameterError(
                "start, end and last were all given: give at most two of them",
                hint="--start with --end, --start or --end with --last, or --last alone",
            )
        span = parse_span(last) if _given(last) else DEFAULT_SPAN
        start_at = parse_instant(start, "start", now=now) if _given(start) else None  # type: ignore[arg-type]
        end_at = parse_instant(end, "end", now=now) if _given(end) else None  # type: ignore[arg-type]
        if end_at is None:
            current = current_minute(now)
            if start_at is None:
                end_at = current
            else:
                if start_at >= current:
                    raise ParameterError(
                        f"start {start_at:%Y-%m-%d %H:%M} UTC is in the future and no end was given",
                        hint="give --end too, or a start in the past",
                    )
                end_at = current if span >= current - start_at else start_at + span
        if start_at is None:
            if span > end_at - EARLIEST:
                raise ParameterError(
                    f"a window of {span_text(span)} before {end_at:%Y-%m-%d %H:%M} UTC starts before "
                    f"{EARLIEST:%Y-%m-%d}",
                    hint="give a shorter --last",
                )
            start_at = end_at - span
        if end_at <= start_at:
            raise ParameterError(
                f"end must be after start, got start={start_at.isoformat()} end={end_at.isoformat()}"
            )
        if end_at - start_at > max_span:
            raise ParameterError(
                f"the window {start_at:%Y-%m-%d %H:%M} → {end_at:%Y-%m-%d %H:%M} spans "
                f"{span_text(end_at - start_at)}, more than the maximum of {span_text(max_span)}",
                hint="narrow start/end, or raise max_window_days in the config if you mean it",
            )
        return cls(start_at, end_at)

    @property
    def start_epoch(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_epoch(self) -> int:
        return int(self.end.timestamp())

    def describe(self) -> str:
        """'2024-05-01 00:00 → 2024-05-02 00:00 UTC' (seconds shown only when there are any)."""

        def one(moment: datetime) -> str:
            return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")

        return f"{one(self.start)} → {one(self.end)} UTC"


def span_text(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} hours"
