"""Working hours and time off: when an agent is on duty.

Shifts are weekly, in the agent's IANA time zone and its wall-clock time: "Monday
09:00-17:00 Europe/Berlin" means 09:00 Berlin time whatever the offset that day, so
daylight-saving changes need no special case when judging a moment (``off_duty``). A
shift whose end is not after its start runs overnight into the next day. Time off is a
UTC interval. An agent without shifts works at all hours (unless on leave).

When a member is off duty and work waits, the inbox is woken when they are back
(``back_on_duty``): a shift starting, or a leave ending, is a timer like a window
opening (docs/timers.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from autoassign.core import errors
from autoassign.core.reasons import AgentReason

MINUTES_PER_DAY = 24 * 60
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def zone(name: str) -> ZoneInfo:
    """An IANA time zone, or InvalidValue naming the field."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise errors.InvalidValue(
            f"time_zone must be an IANA time zone such as Europe/Berlin (got {name!r})",
            field="time_zone",
        ) from None


@dataclass(frozen=True, slots=True)
class Shift:
    """One weekly interval of work, in local wall-clock minutes."""

    #: 0 Monday … 6 Sunday
    day: int
    #: minutes after local midnight the shift starts
    start: int
    #: minutes after local midnight it ends; not after ``start``: the next day
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.day <= 6:
            raise errors.InvalidValue("day must be monday … sunday", field="day")
        for name in ("start", "end"):
            value = getattr(self, name)
            if not 0 <= value <= MINUTES_PER_DAY:
                raise errors.InvalidValue(f"{name} must be a time of day", field=name)
        if self.start == self.end:
            raise errors.InvalidValue("a shift must not end when it starts", field="end")

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def covers(self, weekday: int, minute: int) -> bool:
        """Whether local ``weekday`` at ``minute`` falls in this shift."""
        if not self.overnight:
            return weekday == self.day and self.start <= minute < self.end
        return (weekday == self.day and minute >= self.start) or (
            weekday == (self.day + 1) % 7 and minute < self.end
        )


@dataclass(frozen=True, slots=True)
class Leave:
    """Time off, ``starts_at`` inclusive to ``ends_at`` exclusive."""

    starts_at: datetime
    ends_at: datetime
    reason: str = ""

    def __post_init__(self) -> None:
        if self.ends_at <= self.starts_at:
            raise errors.InvalidValue("ends_at must be after starts_at", field="ends_at")


@dataclass(frozen=True, slots=True)
class Duty:
    """An agent's working hours (none: all hours) and time off."""

    time_zone: str = "UTC"
    shifts: tuple[Shift, ...] = ()
    leaves: tuple[Leave, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        zone(self.time_zone)


def off_duty(duty: Duty | None, now: datetime) -> AgentReason | None:
    """Why the agent is not working at ``now``, or None when they are."""
    if duty is None:
        return None
    if any(leave.starts_at <= now < leave.ends_at for leave in duty.leaves):
        return AgentReason.ON_LEAVE
    if not duty.shifts:
        return None
    local = now.astimezone(zone(duty.time_zone))
    minute = local.hour * 60 + local.minute
    if any(shift.covers(local.weekday(), minute) for shift in duty.shifts):
        return None
    return AgentReason.OUTSIDE_WORKING_HOURS


def _shift_starts(duty: Duty, now: datetime) -> list[datetime]:
    """The starts of the shifts in the coming eight days, as UTC moments."""
    tz = zone(duty.time_zone)
    today = now.astimezone(tz).date()
    starts = []
    for ahead in range(8):
        date = today + timedelta(days=ahead)
        for shift in duty.shifts:
            if shift.day == date.weekday():
                hour, minute = divmod(shift.start, 60)
                local = datetime(date.year, date.month, date.day, hour, minute, tzinfo=tz)
                # a start in a spring-forward gap is read with the offset before the
                # change, which lands inside the shift once the clocks have moved on
                starts.append(local.astimezone(UTC))
    return sorted(s for s in starts if s > now)


def back_on_duty(duty: Duty | None, now: datetime) -> datetime | None:
    """The first moment after ``now`` the agent may be on duty again: a leave ending or
    a shift starting (the inbox's wake-up). None when nothing will change by itself."""
    if duty is None or off_duty(duty, now) is None:
        return None
    moments = [leave.ends_at for leave in duty.leaves if leave.ends_at > now]
    moments += _shift_starts(duty, now)[:1]
    for moment in sorted(moments):
        if off_duty(duty, moment) is None:
            return moment
    return min(moments, default=None)


def parse_time(value: str, field_name: str) -> int:
    """ "HH:MM" (00:00 to 24:00) as minutes after midnight."""
    try:
        hours, minutes = value.split(":")
        total = int(hours) * 60 + int(minutes)
    except ValueError:
        raise errors.InvalidValue(f"{field_name} must be HH:MM", field=field_name) from None
    if not (0 <= int(minutes) < 60 and 0 <= total <= MINUTES_PER_DAY):
        raise errors.InvalidValue(f"{field_name} must be HH:MM", field=field_name)
    return total


def format_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def shifts_from(items: Sequence[tuple[str, str, str]]) -> tuple[Shift, ...]:
    """(day name, "HH:MM", "HH:MM") triples as shifts, validated."""
    shifts = []
    for day, start, end in items:
        if day not in DAYS:
            raise errors.InvalidValue(f"day must be one of {', '.join(DAYS)}", field="day")
        shifts.append(Shift(DAYS.index(day), parse_time(start, "start"), parse_time(end, "end")))
    return tuple(shifts)
