"""What the API lists and shows, as typed read models (never bare dicts).

These are the read side's results: a row of an aggregate plus the few derived fields a
client reads with it (labels, counts, limits). The write side works on the entities in
``model`` and ``policies``; views are only rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from autoassign.core.model import Conversation, Presence, Priority, Status
from autoassign.core.policies import AssignmentOrder, ConversationPriority
from autoassign.core.reasons import ReassignReason
from autoassign.core.schedules import Shift
from autoassign.core.skills import Relaxation

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AgentView:
    id: int
    account_id: int
    name: str
    email: str | None
    availability: Presence
    auto_offline: bool
    capacity_policy_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class InboxView:
    id: int
    account_id: int
    name: str
    enable_auto_assignment: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TeamView:
    id: int
    account_id: int
    name: str
    allow_auto_assign: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ConversationView:
    id: int
    account_id: int
    inbox_id: int
    status: Status
    priority: Priority | None
    team_id: int | None
    assignee_id: int | None
    created_at: datetime
    last_activity_at: datetime
    updated_at: datetime
    labels: tuple[str, ...] = ()
    sla_due_at: datetime | None = None
    contact_id: int | None = None
    preferred_agent_id: int | None = None
    required_skills: Mapping[str, int] = field(default_factory=dict)
    # activity and reassignment (core/reassignment.py)
    assigned_at: datetime | None = None
    waiting_since: datetime | None = None
    first_reply_created_at: datetime | None = None
    reassignments: int = 0
    previous_assignee_id: int | None = None
    reassign_reason: ReassignReason | None = None

    @property
    def assignable(self) -> bool:
        return self.status is Status.OPEN and self.assignee_id is None

    def entity(self) -> Conversation:
        """The conversation as the planner sees it."""
        return Conversation(
            id=self.id,
            account_id=self.account_id,
            inbox_id=self.inbox_id,
            created_at=self.created_at,
            last_activity_at=self.last_activity_at,
            status=self.status,
            labels=frozenset(self.labels),
            priority=self.priority,
            team_id=self.team_id,
            assignee_id=self.assignee_id,
            previous_assignee_id=self.previous_assignee_id,
            reassign_reason=self.reassign_reason,
            sla_due_at=self.sla_due_at,
            contact_id=self.contact_id,
            preferred_agent_id=self.preferred_agent_id,
            required_skills=self.required_skills,
        )


@dataclass(frozen=True, slots=True)
class MemberView:
    inbox_id: int
    agent_id: int
    auto_assign: bool
    weight: int


@dataclass(frozen=True, slots=True)
class TimeOffView:
    id: int
    agent_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class DutyView:
    """An agent's working hours (none: all hours) and time off (core/schedules.py)."""

    agent_id: int
    time_zone: str
    shifts: tuple[Shift, ...]
    time_off: tuple[TimeOffView, ...]


@dataclass(frozen=True, slots=True)
class PolicyView:
    id: int
    account_id: int
    name: str
    description: str
    assignment_order: AssignmentOrder
    conversation_priority: ConversationPriority
    fair_distribution_limit: int
    fair_distribution_window: int
    enabled: bool
    exclude_older_than_hours: int | None
    reassign_after_absent_seconds: int | None
    reassign_only_unreplied: bool
    reassign_unanswered_after_seconds: int | None
    max_reassignments: int
    reassign_on_reopen: bool
    overflow_after_seconds: int | None
    overflow_team_id: int | None
    sticky_days: int | None
    preferred_hold_seconds: int
    skill_relaxation: tuple[Relaxation, ...]
    assigned_inbox_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ExclusionRulesView:
    excluded_labels: tuple[str, ...]
    exclude_older_than_hours: int | None


@dataclass(frozen=True, slots=True)
class InboxLimitView:
    id: int
    agent_capacity_policy_id: int
    inbox_id: int
    conversation_limit: int


@dataclass(frozen=True, slots=True)
class CapacityPolicyView:
    id: int
    account_id: int
    name: str
    description: str
    exclusion_rules: ExclusionRulesView
    total_limit: int | None
    assigned_agent_count: int
    inbox_capacity_limits: tuple[InboxLimitView, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class WebhookView:
    id: int
    account_id: int
    url: str
    subscriptions: tuple[str, ...]
    secret: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AssignmentEventView:
    id: int
    account_id: int
    inbox_id: int
    conversation_id: int
    agent_id: int
    policy_id: int | None
    selector: str
    reason: str
    assigned_at: datetime
    #: a reassignment: whom the engine took it from, and why
    previous_agent_id: int | None = None
    reassign_reason: ReassignReason | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    page: int
    per_page: int
    total: int


@dataclass(frozen=True, slots=True)
class ConversationFilter:
    """Conversation list filters; None means "any"."""

    inbox_id: int | None = None
    status: Status | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    unassigned: bool | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Assignment event filters; ``since`` inclusive, ``until`` exclusive."""

    inbox_id: int | None = None
    agent_id: int | None = None
    conversation_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Paging:
    page: int = 1
    per_page: int = 25

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page
