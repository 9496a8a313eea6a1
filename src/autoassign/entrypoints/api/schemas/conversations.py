"""Conversations, manual assignment, runs, explanations and assignment events."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from autoassign.core.model import Priority, Status
from autoassign.core.reasons import AgentReason, OutcomeKind, SkipReason
from autoassign.entrypoints.api.schemas.common import (
    Body,
    Id,
    Label,
    Out,
    PageMeta,
    Patch,
    Timestamp,
    UnixTime,
)


class ConversationCreate(Body):
    inbox_id: Id
    status: Status = Status.OPEN
    labels: list[Label] = Field(default_factory=list, max_length=100)
    priority: Priority | None = None
    team_id: Id | None = None
    assignee_id: Id | None = None
    #: defaults to now
    created_at: Timestamp | None = None
    #: defaults to created_at
    last_activity_at: Timestamp | None = None


class ConversationUpdate(Patch):
    nullable = frozenset({"team_id", "priority"})
    status: Status | None = None
    #: null removes the team
    team_id: Id | None = None
    #: replaces the labels
    labels: list[Label] | None = Field(default=None, max_length=100)
    priority: Priority | None = None
    last_activity_at: Timestamp | None = None


class ConversationPublic(Out):
    id: int
    account_id: int
    inbox_id: int
    status: Status
    priority: Priority | None
    team_id: int | None
    assignee_id: int | None
    labels: list[str]
    created_at: UnixTime
    last_activity_at: UnixTime
    updated_at: UnixTime


class ConversationPage(Out):
    meta: PageMeta
    payload: list[ConversationPublic]


class AssignmentChange(Body):
    #: the agent to assign, or null to unassign
    assignee_id: Id | None


def _without_empty(data: dict[str, Any], key: str) -> dict[str, Any]:
    """Times are shown only when known, so responses without one stay as they were."""
    if data.get(key) is None:
        data.pop(key, None)
    return data


class AgentVerdict(Out):
    agent_id: int
    reason: AgentReason
    #: rate_limited: when the agent's fair-distribution window frees (absent otherwise)
    until: UnixTime | None = None

    @model_serializer(mode="wrap")
    def _only_known_times(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_empty(handler(self), "until")


class OutcomePublic(Out):
    conversation_id: int
    agent_id: int | None
    #: "assigned" or the reason it was not
    result: OutcomeKind
    detail: str
    agents: list[AgentVerdict]


class BatchPublic(Out):
    inbox_id: int
    skipped: SkipReason | None
    assigned: int
    unassigned: int
    duration_ms: float
    outcomes: list[OutcomePublic]
    agent_filters: list[AgentVerdict]


class AssignmentRecordPublic(Out):
    agent_id: int
    policy_id: int | None
    selector: str
    reason: str
    assigned_at: UnixTime


class ExplanationPublic(Out):
    conversation_id: int
    inbox_id: int
    assignee_id: int | None
    #: "assigned", "would_be_assigned", or why it is not assigned
    result: OutcomeKind
    assignment: AssignmentRecordPublic | None
    next_agent_id: int | None
    agents: list[AgentVerdict]
    #: when time alone lets it through (the inbox is woken then); absent when only an
    #: event can (an agent coming online, capacity freed)
    waits_until: UnixTime | None = None

    @model_serializer(mode="wrap")
    def _only_known_times(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_empty(handler(self), "waits_until")


class AssignmentEventPublic(Out):
    id: int
    account_id: int
    inbox_id: int
    conversation_id: int
    agent_id: int
    policy_id: int | None
    selector: str
    reason: str
    assigned_at: UnixTime


class AssignmentEventPage(Out):
    meta: PageMeta
    payload: list[AssignmentEventPublic]
