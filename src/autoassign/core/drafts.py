"""What callers ask to change: partial updates as typed dicts (a key present is a change).

Creates use the entities in ``model`` and ``policies`` (with id 0); these are the patches
and the few inputs that have no entity of their own.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from autoassign.core.model import Presence, Priority, Status
from autoassign.core.policies import AssignmentOrder, ConversationPriority


class Membership(enum.StrEnum):
    """How a members request changes an inbox's or team's agents."""

    ADD = "add"
    REPLACE = "replace"
    REMOVE = "remove"


class AgentPatch(TypedDict, total=False):
    name: str
    email: str | None
    availability: Presence
    auto_offline: bool


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


class ConversationChanges(ConversationPatch, total=False):
    """A patch as the conversation service decided it (it may also clear the assignee)."""

    assignee_id: int | None


class PolicyPatch(TypedDict, total=False):
    name: str
    description: str
    assignment_order: AssignmentOrder
    conversation_priority: ConversationPriority
    fair_distribution_limit: int
    fair_distribution_window: int
    enabled: bool
    exclude_older_than_hours: int | None


class CapacityPatch(TypedDict, total=False):
    name: str
    description: str
    excluded_labels: Sequence[str]
    exclude_older_than_hours: int | None


@dataclass(frozen=True, slots=True)
class WebhookDraft:
    url: str
    subscriptions: Sequence[str]


class WebhookPatch(TypedDict, total=False):
    url: str
    subscriptions: Sequence[str]
