"""Conversations, manual assignment, runs, explanations and assignment events."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SerializerFunctionWrapHandler, field_validator, model_serializer

from autoassign.core.drafts import MessageType, SenderType
from autoassign.core.model import Priority, Status
from autoassign.core.reasons import AgentReason, OutcomeKind, ReassignReason, SkipReason
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

#: skill name → level 1 to 5
Skills = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=64)], Annotated[int, Field(ge=1, le=5)]],
    Field(max_length=50),
]


class ActivitySender(Body):
    """Chatwoot's ``sender``: only its type matters here (``contact``, ``user``,
    ``agent_bot``; Chatwoot's capitalised ``Contact``/``User``/``AgentBot`` work too)."""

    type: SenderType
    id: int | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _chatwoot_case(cls, value: Any) -> Any:
        names = {"Contact": "contact", "User": "user", "AgentBot": "agent_bot"}
        return names.get(value, value) if isinstance(value, str) else value


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
    #: when the first response is due (the policy's ``sla_due`` order serves it first)
    sla_due_at: Timestamp | None = None
    #: the customer (Chatwoot's contact id): a sticky policy prefers their earlier agent
    contact_id: int | None = Field(None, ge=1, le=2**63 - 1)
    #: an agent to prefer for this conversation
    preferred_agent_id: Id | None = None
    #: skill → minimum level 1 to 5 (its labels may require more: the inbox's mapping)
    required_skills: Skills = Field(default_factory=dict)


class ConversationUpdate(Patch):
    nullable = frozenset({"team_id", "priority", "sla_due_at", "contact_id", "preferred_agent_id"})
    status: Status | None = None
    #: null removes the team
    team_id: Id | None = None
    #: replaces the labels
    labels: list[Label] | None = Field(default=None, max_length=100)
    priority: Priority | None = None
    last_activity_at: Timestamp | None = None
    #: null removes the due time
    sla_due_at: Timestamp | None = None
    contact_id: int | None = Field(None, ge=1, le=2**63 - 1)
    preferred_agent_id: Id | None = None
    required_skills: Skills | None = None


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
    sla_due_at: UnixTime | None
    contact_id: int | None
    preferred_agent_id: int | None
    required_skills: dict[str, int]
    #: when the current assignee got it
    assigned_at: UnixTime | None
    #: the oldest customer message no agent has answered (Chatwoot's waiting_since)
    waiting_since: UnixTime | None
    first_reply_created_at: UnixTime | None
    #: how often the engine took it from an assignee
    reassignments: int
    #: while it waits after a reassignment: whom it was taken from, and why
    previous_assignee_id: int | None
    reassign_reason: ReassignReason | None


class ConversationPage(Out):
    meta: PageMeta
    payload: list[ConversationPublic]


class ActivityCreate(Body):
    """A message on the conversation, shaped like Chatwoot's ``message_created`` event
    (its ``message_type``, ``private`` and ``sender.type``; flat ``sender_type`` works
    too). Customer messages start the unanswered timer, agent replies stop it."""

    message_type: MessageType
    private: bool = False
    sender_type: SenderType | None = None
    sender: ActivitySender | None = None
    #: defaults to now
    created_at: Timestamp | None = None


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


class TimerPublic(Out):
    reason: ReassignReason
    fires_at: UnixTime


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
    #: assigned: the reassignment rule running on it and when it fires (absent when none)
    timer: TimerPublic | None = None

    @model_serializer(mode="wrap")
    def _only_known_times(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_empty(_without_empty(handler(self), "waits_until"), "timer")


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
    #: a reassignment: whom the engine took it from, and why (null otherwise)
    previous_agent_id: int | None
    reassign_reason: ReassignReason | None


class AssignmentEventPage(Out):
    meta: PageMeta
    payload: list[AssignmentEventPublic]
