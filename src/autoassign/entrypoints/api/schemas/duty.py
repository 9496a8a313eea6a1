"""Working hours and time off (core/schedules.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from autoassign.entrypoints.api.schemas.common import Body, Out, Timestamp, UnixTime

Day = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
#: "HH:MM", 00:00 to 24:00
Clock = str


class ShiftBody(Body):
    day: Day
    start: Clock = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
    #: not after start: the shift runs overnight into the next day
    end: Clock = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


class WorkingHours(Body):
    """The agent's weekly shifts in their wall-clock time (none: all hours)."""

    time_zone: str = Field("UTC", min_length=1, max_length=64)
    shifts: list[ShiftBody] = Field(default_factory=list, max_length=100)


class TimeOffCreate(Body):
    starts_at: Timestamp
    ends_at: Timestamp
    reason: str = Field("", max_length=255)


class ShiftPublic(Out):
    day: Day
    start: str
    end: str


class TimeOffPublic(Out):
    id: int
    starts_at: UnixTime
    ends_at: UnixTime
    reason: str


class DutyPublic(Out):
    agent_id: int
    time_zone: str
    shifts: list[ShiftPublic]
    time_off: list[TimeOffPublic]


#: skill name → level 1 to 5
Skills = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=64)], Annotated[int, Field(ge=1, le=5)]],
    Field(max_length=50),
]


class SkillsBody(Body):
    skills: Skills


class SkillLabels(Body):
    """label → the skills (and minimum levels) it requires."""

    labels: dict[Annotated[str, Field(min_length=1, max_length=255)], Skills] = Field(
        max_length=200
    )
