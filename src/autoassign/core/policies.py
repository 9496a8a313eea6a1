"""Assignment and capacity policies, validated when built."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from autoassign.core import errors
from autoassign.core.model import Conversation, parse_enum, priority_order
from autoassign.core.skills import Relaxation


class AssignmentOrder(enum.StrEnum):
    """How one agent is picked among the eligible ones."""

    ROUND_ROBIN = "round_robin"
    BALANCED = "balanced"


class ConversationPriority(enum.StrEnum):
    """Which conversations are served first."""

    #: oldest ``created_at`` first
    EARLIEST_CREATED = "earliest_created"
    #: oldest ``last_activity_at`` first, then oldest ``created_at``
    LONGEST_WAITING = "longest_waiting"
    #: highest ``priority`` first (urgent, high, medium, low, none), then oldest created
    PRIORITY = "priority"
    #: earliest ``sla_due_at`` first, then those without one; ties by priority, then age
    SLA_DUE = "sla_due"

    def sort_key(self, c: Conversation) -> tuple[object, ...]:
        """The order as a key (the SQL queries say the same with indexes)."""
        if self is ConversationPriority.LONGEST_WAITING:
            return (c.last_activity_at, c.created_at, c.id)
        if self is ConversationPriority.PRIORITY:
            return (priority_order(c.priority), c.created_at, c.id)
        if self is ConversationPriority.SLA_DUE:
            due = c.sla_due_at
            return (
                due is None,
                due or c.created_at,
                priority_order(c.priority),
                c.created_at,
                c.id,
            )
        return (c.created_at, c.id)


DEFAULT_FAIR_DISTRIBUTION_LIMIT = 100
DEFAULT_FAIR_DISTRIBUTION_WINDOW = 3600
DEFAULT_EXCLUDE_OLDER_THAN_HOURS = 168
DEFAULT_MAX_REASSIGNMENTS = 3


def _positive(value: object, field_name: str, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise errors.InvalidPolicy(
            f"{field_name} must be an integer greater than 0 (got {value!r})", field=field_name
        )


def _not_negative(value: object, field_name: str) -> None:
    """None, or a whole number of seconds (0 allowed)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise errors.InvalidPolicy(
            f"{field_name} must be an integer of 0 or more (got {value!r})", field=field_name
        )


@dataclass(frozen=True, slots=True)
class AssignmentPolicy:
    """How an inbox hands out conversations; a disabled policy assigns nothing."""

    id: int
    account_id: int
    name: str
    description: str = ""
    assignment_order: AssignmentOrder = AssignmentOrder.ROUND_ROBIN
    conversation_priority: ConversationPriority = ConversationPriority.EARLIEST_CREATED
    #: at most this many assignments per agent and inbox within one window
    fair_distribution_limit: int = DEFAULT_FAIR_DISTRIBUTION_LIMIT
    #: the sliding window, in seconds
    fair_distribution_window: int = DEFAULT_FAIR_DISTRIBUTION_WINDOW
    enabled: bool = True
    #: conversations whose last activity is older than this are left alone; None: no limit
    exclude_older_than_hours: int | None = DEFAULT_EXCLUDE_OLDER_THAN_HOURS
    # reassignment (core/reassignment.py); every rule is off by default
    #: an assignee offline, busy, heartbeat lapsed, or out of the inbox or the team this
    #: many seconds loses their open conversations to the queue; None: never (0: at once)
    reassign_after_absent_seconds: int | None = None
    #: with the rule above: only the conversations the assignee has not replied to yet
    reassign_only_unreplied: bool = False
    #: a customer left unanswered this many seconds by the assignee: offered to another
    #: agent (never straight back); None: never
    reassign_unanswered_after_seconds: int | None = None
    #: the most reassignments for being unanswered one conversation may have
    max_reassignments: int = DEFAULT_MAX_REASSIGNMENTS
    #: a conversation reopened while its assignee cannot take it is reassigned
    reassign_on_reopen: bool = False
    # overflow (core/planner.py ``_widened``); off while ``overflow_after_seconds`` is None
    #: a team conversation waiting this long (since created) may also go to the overflow
    #: team's members, or to every inbox member when there is no overflow team
    overflow_after_seconds: int | None = None
    overflow_team_id: int | None = None
    # sticky agents (core/routing.py ``preferred``)
    #: prefer the contact's previous assignee in this inbox within this many days;
    #: None: only an explicit ``preferred_agent_id`` is preferred
    sticky_days: int | None = None
    #: a preferred agent online but at a limit is waited for this long (since created)
    preferred_hold_seconds: int = 0
    #: skills: lower the required levels after waiting times (core/skills.py)
    skill_relaxation: tuple[Relaxation, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise errors.InvalidPolicy("name must not be blank", field="name")
        # raw strings (from an API or a file) become enum members, or a precise error
        for name, kind in (
            ("assignment_order", AssignmentOrder),
            ("conversation_priority", ConversationPriority),
        ):
            object.__setattr__(self, name, parse_enum(kind, getattr(self, name), field_name=name))
        for flag in ("enabled", "reassign_only_unreplied", "reassign_on_reopen"):
            if not isinstance(getattr(self, flag), bool):
                raise errors.InvalidPolicy(f"{flag} must be true or false", field=flag)
        _positive(self.fair_distribution_limit, "fair_distribution_limit")
        _positive(self.fair_distribution_window, "fair_distribution_window")
        _positive(self.exclude_older_than_hours, "exclude_older_than_hours", allow_none=True)
        _not_negative(self.reassign_after_absent_seconds, "reassign_after_absent_seconds")
        _positive(
            self.reassign_unanswered_after_seconds,
            "reassign_unanswered_after_seconds",
            allow_none=True,
        )
        _positive(self.max_reassignments, "max_reassignments")
        _not_negative(self.overflow_after_seconds, "overflow_after_seconds")
        _positive(self.sticky_days, "sticky_days", allow_none=True)
        _not_negative(self.preferred_hold_seconds, "preferred_hold_seconds")
        if self.overflow_team_id is not None and self.overflow_after_seconds is None:
            raise errors.InvalidPolicy(
                "overflow_team_id needs overflow_after_seconds", field="overflow_team_id"
            )

    @property
    def reassigns(self) -> bool:
        """Whether any reassignment rule is on (a batch then looks at held conversations)."""
        return (
            self.reassign_after_absent_seconds is not None
            or self.reassign_unanswered_after_seconds is not None
            or self.reassign_on_reopen
        )


@dataclass(frozen=True, slots=True)
class ExclusionRules:
    """Conversations the engine leaves alone: by label, or by age of last activity."""

    excluded_labels: frozenset[str] = field(default_factory=frozenset)
    exclude_older_than_hours: int | None = None

    def __post_init__(self) -> None:
        _positive(self.exclude_older_than_hours, "exclude_older_than_hours", allow_none=True)
        if any(not isinstance(label, str) or not label for label in self.excluded_labels):
            raise errors.InvalidPolicy(
                "excluded_labels must be non-empty strings", field="excluded_labels"
            )

    def age_cutoff(self, now: datetime) -> datetime | None:
        """Oldest allowed ``last_activity_at``, or None when age does not matter."""
        if self.exclude_older_than_hours is None:
            return None
        return now - timedelta(hours=self.exclude_older_than_hours)


def combine_exclusions(rules: Iterable[ExclusionRules]) -> ExclusionRules:
    """Merge rules deterministically: every excluded label counts, the strictest age wins.

    The reference system took whichever capacity policy came first; we take all of them.
    """
    labels: set[str] = set()
    ages: list[int] = []
    for rule in rules:
        labels |= rule.excluded_labels
        if rule.exclude_older_than_hours is not None:
            ages.append(rule.exclude_older_than_hours)
    return ExclusionRules(frozenset(labels), min(ages) if ages else None)


@dataclass(frozen=True, slots=True)
class CapacityPolicy:
    """Caps an agent's open conversations per inbox, and excludes some conversations."""

    id: int
    account_id: int
    name: str
    description: str = ""
    exclusion_rules: ExclusionRules = field(default_factory=ExclusionRules)
    #: inbox id → most open conversations one agent may hold there
    inbox_limits: Mapping[int, int] = field(default_factory=dict)
    #: most open conversations one agent may hold across all the account's inboxes, on
    #: top of the per-inbox limits; None: no such limit
    total_limit: int | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise errors.InvalidPolicy("name must not be blank", field="name")
        for limit in self.inbox_limits.values():
            _positive(limit, "conversation_limit")
        _positive(self.total_limit, "total_limit", allow_none=True)


def validate_conversation_limit(value: object) -> int:
    """A per-inbox capacity limit: a positive integer."""
    _positive(value, "conversation_limit")
    if not isinstance(value, int):  # _positive has raised already; this narrows the type
        raise errors.InvalidPolicy(
            "conversation_limit must be an integer", field="conversation_limit"
        )
    return value
