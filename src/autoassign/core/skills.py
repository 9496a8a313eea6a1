"""Skills with proficiency: who may take a conversation, and who first.

Agents have skills with levels 1 to 5. A conversation requires skills with minimum
levels, set on it directly or derived from its labels by the inbox's mapping (the
higher level wins). Only agents meeting every requirement are eligible, and among them
the most proficient (the sum of their levels in the required skills) go first; the
policy's order then picks among equals. A policy's relaxation ladder lowers the levels
(or, lowering by 5, drops the requirements) once the conversation has waited long
enough, as TaskRouter's target timeouts and Zendesk's skills timeout do; each step is a
wake-up of the inbox.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from autoassign.core import errors

MAX_LEVEL = 5


def level(value: object, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LEVEL:
        raise errors.InvalidValue(f"{field_name} must be a level from 1 to 5", field=field_name)
    return value


@dataclass(frozen=True, slots=True)
class Relaxation:
    """One step of a ladder: after ``after_seconds`` of waiting, every required level
    is ``lower_by`` lower (a requirement at 0 or below is dropped)."""

    after_seconds: int
    lower_by: int

    def __post_init__(self) -> None:
        if isinstance(self.after_seconds, bool) or self.after_seconds < 0:
            raise errors.InvalidPolicy("after_seconds must be 0 or more", field="after_seconds")
        level(self.lower_by, "lower_by")


def required(
    direct: Mapping[str, int], labels: frozenset[str], by_label: Mapping[str, Mapping[str, int]]
) -> dict[str, int]:
    """A conversation's requirements: its own, and its labels' (the higher level wins)."""
    found = dict(direct)
    for label in labels:
        for skill, minimum in by_label.get(label, {}).items():
            found[skill] = max(found.get(skill, 0), minimum)
    return found


def relaxed(
    requirements: Mapping[str, int],
    ladder: Sequence[Relaxation],
    created_at: datetime,
    now: datetime,
) -> dict[str, int]:
    """The requirements in force at ``now``: lowered by the ladder's last step reached."""
    waited = now - created_at
    lower = max(
        (s.lower_by for s in ladder if waited >= timedelta(seconds=s.after_seconds)), default=0
    )
    return {skill: need - lower for skill, need in requirements.items() if need - lower > 0}


def next_step(ladder: Sequence[Relaxation], created_at: datetime, now: datetime) -> datetime | None:
    """When the ladder next lowers the requirements (the inbox's wake-up), or None."""
    later = [at for s in ladder if (at := created_at + timedelta(seconds=s.after_seconds)) > now]
    return min(later, default=None)


def meets(skills: Mapping[str, int], requirements: Mapping[str, int]) -> bool:
    return all(skills.get(skill, 0) >= need for skill, need in requirements.items())


def proficiency(skills: Mapping[str, int], requirements: Mapping[str, int]) -> int:
    """How well an agent meeting the requirements covers them (higher goes first)."""
    return sum(skills.get(skill, 0) for skill in requirements)
