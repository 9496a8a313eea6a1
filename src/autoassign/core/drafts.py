"""What callers ask to change: partial updates as typed dicts (a key present is a change).

Creates use the entities in ``model`` and ``policies`` (with id 0); these are the patches
and the few inputs that have no entity of their own.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from autoassign.core.model import Presence, Priority, Status
from autoassign.core.policies import AssignmentOrder, ConversationPriority
from autoassign.core.skills import Relaxation


class Membership(enum.StrEnum):
    """How a members request changes an inbox's or team's agents."""

    ADD = "add"
    REPLACE = "replace"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True)
class MembersChanged:
    """The agents a members request actually added and took out."""

    added: frozenset[int] = frozenset()
    removed: frozenset[int] = frozenset()


class MemberChange(TypedDict, total=False):
    """How one inbox member takes part in auto-assignment."""

    #: false: never picked by the engine in this inbox (a watcher, a supervisor)
    auto_assign: bool
    #: their share relative to the other members (core/selectors.py)
    weight: int


class AgentPatch(TypedDict, total=False):
    name: str
    email: str | None
    availability: Presence
    auto_offline: bool
    #: set by the agent service when availability changes (not an API field)
    away_since: datetime | None


class InboxPatch(TypedDict, total=False):
    name: str
    enable_auto_assignment: bool


class TeamPatch(TypedDict, total=False):
    name: str
    allow_auto_assign: bool


class ConversationPatch(TypedDict, total=False):
    status: Status
    #: None removes the team
    team_id: int | None
    #: replaces the labels
    labels: Sequence[str]
    priority: Priority | None
    last_activity_at: datetime
    #: None removes the due time
    sla_due_at: datetime | None
    contact_id: int | None
    preferred_agent_id: int | None
    required_skills: Mapping[str, int]


class ConversationChanges(ConversationPatch, total=False):
    """A patch as the conversation service decided it (it may also clear the assignee,
    and it keeps the columns the reassignment timers read in step)."""

    assignee_id: int | None
    assigned_at: datetime | None
    reopened_at: datetime
    assignee_left_at: datetime | None
    previous_assignee_id: int | None
    reassign_reason: None
    waiting_since: datetime | None
    first_reply_at: datetime
    agent_replied_at: datetime


class MessageType(enum.StrEnum):
    """Chatwoot's ``message_type`` of a ``message_created`` event."""

    INCOMING = "incoming"
    OUTGOING = "outgoing"
    ACTIVITY = "activity"
    TEMPLATE = "template"


class SenderType(enum.StrEnum):
    """Who wrote a message (Chatwoot's sender types, lower-cased)."""

    CONTACT = "contact"
    USER = "user"
    AGENT_BOT = "agent_bot"


@dataclass(frozen=True, slots=True)
class Activity:
    """One message on a conversation, as Chatwoot's ``message_created`` describes it."""

    message_type: MessageType
    sender_type: SenderType | None = None
    #: a private note is no reply (nor a customer message)
    private: bool = False
    #: when it was written (default: now)
    created_at: datetime | None = None

    @property
    def from_customer(self) -> bool:
        return self.message_type is MessageType.INCOMING and not self.private

    @property
    def agent_reply(self) -> bool:
        """A human agent answering: what stops the unanswered timer (bots and templates
        do not, as in Chatwoot's first-reply rule)."""
        return (
            self.message_type is MessageType.OUTGOING
            and not self.private
            and self.sender_type in (None, SenderType.USER)
        )


class PolicyPatch(TypedDict, total=False):
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


class CapacityPatch(TypedDict, total=False):
    name: str
    description: str
    excluded_labels: Sequence[str]
    exclude_older_than_hours: int | None
    total_limit: int | None


@dataclass(frozen=True, slots=True)
class WebhookDraft:
    url: str
    subscriptions: Sequence[str]


class WebhookPatch(TypedDict, total=False):
    url: str
    subscriptions: Sequence[str]
