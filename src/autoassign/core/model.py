"""Entities of the assignment domain as frozen values, and the enums they use."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from autoassign.core import errors
from autoassign.core.reasons import ReassignReason
from autoassign.core.schedules import Duty

E = TypeVar("E", bound=enum.Enum)


def parse_enum(kind: type[E], value: object, *, field_name: str) -> E:
    """Turn a raw value into an enum member, or raise InvalidValue naming the allowed ones."""
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise errors.InvalidValue(
            f"{field_name} must be one of: {allowed} (got {value!r})", field=field_name
        ) from None


class Presence(enum.StrEnum):
    """What an agent says about themselves; only ``online`` agents receive work."""

    ONLINE = "online"
    BUSY = "busy"
    OFFLINE = "offline"


class Status(enum.StrEnum):
    """Conversation status; only ``open`` conversations are assigned or count as load."""

    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    SNOOZED = "snoozed"


class Priority(enum.StrEnum):
    """Conversation priority as the helpdesk sets it (Chatwoot's; none is None). The
    ``priority`` and ``sla_due`` orders of a policy serve higher ranks first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


_ORDER = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}


def priority_order(priority: Priority | None) -> int:
    """0 for urgent, up to 4 for none: what the candidate order sorts on, ascending
    (stored beside the priority, so the order walks an index)."""
    return 4 if priority is None else _ORDER[priority]


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Agent:
    id: int
    account_id: int
    name: str
    #: the presence the agent chose (online / busy / offline)
    availability: Presence = Presence.ONLINE
    #: when true the agent is online only while heartbeats keep arriving
    auto_offline: bool = False
    #: the agent capacity policy that governs this agent, if any
    capacity_policy_id: int | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Inbox:
    id: int
    account_id: int
    name: str
    enable_auto_assignment: bool = True
    #: opening hours (core/schedules.py); outside them the inbox assigns nothing
    business_hours: Duty | None = None
    #: label → skills it requires, with minimum levels (core/skills.py)
    skill_labels: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Team:
    id: int
    account_id: int
    name: str
    allow_auto_assign: bool = True
    member_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    account_id: int
    inbox_id: int
    created_at: datetime
    last_activity_at: datetime
    status: Status = Status.OPEN
    labels: frozenset[str] = field(default_factory=frozenset)
    priority: Priority | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    #: when the first response is due (the ``sla_due`` order serves the earliest first)
    sla_due_at: datetime | None = None
    #: the customer (Chatwoot's contact); the sticky rule prefers their earlier agent
    contact_id: int | None = None
    #: the agent to prefer: set explicitly, or the contact's earlier agent in this inbox
    #: (filled in by the batch when the policy is sticky)
    preferred_agent_id: int | None = None
    #: skill → minimum level (core/skills.py); its labels may add more
    required_skills: Mapping[str, int] = field(default_factory=dict)
    #: whom the engine took it from, and why, until it is assigned again
    previous_assignee_id: int | None = None
    reassign_reason: ReassignReason | None = None

    @property
    def assignable(self) -> bool:
        """Open and without an assignee: the only state the engine may claim."""
        return self.status is Status.OPEN and self.assignee_id is None
