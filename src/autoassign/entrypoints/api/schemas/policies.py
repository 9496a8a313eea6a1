"""Assignment policies, capacity policies, inbox limits, webhooks, platform accounts and
API tokens.

Bodies of the resources autoassign shares with Chatwoot come flat or wrapped, as
Chatwoot's Rails controllers take them: ``{"assignment_policy": {…}}`` means the same
as the fields alone (``Wrapped``). The OpenAPI document shows the flat form.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from autoassign.core.policies import AssignmentOrder, ConversationPriority
from autoassign.entrypoints.api.schemas.common import (
    Body,
    Id,
    Label,
    Name,
    Out,
    Patch,
    Text,
    UnixTime,
    WebhookUrl,
)
from autoassign.services.accounts import Role

MAX_LIMIT = 100_000
MAX_WINDOW = 10 * 365 * 86_400  # ten years, in seconds
MAX_AGE_HOURS = 87_600  # ten years


def unwrap(wrapper: str, data: Any) -> Any:
    """``{wrapper: {…}}`` → ``{…}``. Rails wraps a flat body the same way, so both forms
    are one request; a body with the wrapper *and* other fields is ambiguous."""
    if not wrapper or not isinstance(data, dict) or wrapper not in data:
        return data
    inner = data[wrapper]
    if not isinstance(inner, dict):
        raise ValueError(f"{wrapper} must be an object of fields")
    if len(data) > 1:
        others = ", ".join(sorted(k for k in data if k != wrapper))
        raise ValueError(f"send the fields inside {wrapper!r} or flat, not both ({others})")
    return inner


class Wrapped(Body):
    """A body Chatwoot sends wrapped in ``wrapper`` (flat works too)."""

    wrapper: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        return unwrap(cls.wrapper, data)


class WrappedPatch(Patch):
    """A partial update Chatwoot sends wrapped in ``wrapper`` (flat works too)."""

    wrapper: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        return unwrap(cls.wrapper, data)


class RelaxationBody(Body):
    after_seconds: int = Field(ge=0, le=MAX_WINDOW)
    lower_by: int = Field(ge=1, le=5)


class RelaxationPublic(Out):
    after_seconds: int
    lower_by: int


class PolicyCreate(Wrapped):
    wrapper = "assignment_policy"
    name: Name
    description: Text = ""
    assignment_order: AssignmentOrder = AssignmentOrder.ROUND_ROBIN
    conversation_priority: ConversationPriority = ConversationPriority.EARLIEST_CREATED
    fair_distribution_limit: int = Field(100, ge=1, le=MAX_LIMIT)
    fair_distribution_window: int = Field(3600, ge=1, le=MAX_WINDOW)
    enabled: bool = True
    #: null: no age limit
    exclude_older_than_hours: int | None = Field(168, ge=1, le=MAX_AGE_HOURS)
    #: reassign the open conversations of an assignee offline, busy, heartbeat lapsed or
    #: taken out of the inbox or team for this many seconds (0: at once); null: never
    reassign_after_absent_seconds: int | None = Field(None, ge=0, le=MAX_WINDOW)
    #: with the rule above: only conversations the assignee has not replied to
    reassign_only_unreplied: bool = False
    #: offer a conversation whose customer waited this many seconds without a reply from
    #: the assignee to another agent (never straight back); null: never
    reassign_unanswered_after_seconds: int | None = Field(None, ge=1, le=MAX_WINDOW)
    #: the most times one conversation is reassigned for going unanswered
    max_reassignments: int = Field(3, ge=1, le=100)
    #: reassign a conversation reopened while its assignee cannot take it
    reassign_on_reopen: bool = False
    #: a team conversation waiting this many seconds (since created) may also go to the
    #: overflow team's members, or to every inbox member without one; null: never
    overflow_after_seconds: int | None = Field(None, ge=0, le=MAX_WINDOW)
    overflow_team_id: Id | None = None
    #: prefer the contact's previous assignee in the inbox within this many days (a
    #: conversation's preferred_agent_id is preferred in any case); null: no memory
    sticky_days: int | None = Field(None, ge=1, le=3650)
    #: a preferred agent online but at a limit is waited for this many seconds
    preferred_hold_seconds: int = Field(0, ge=0, le=MAX_WINDOW)
    #: lower the required skill levels after waiting times (lower_by 5: drop them)
    skill_relaxation: list[RelaxationBody] = Field(default_factory=list, max_length=10)


class PolicyUpdate(WrappedPatch):
    wrapper = "assignment_policy"
    nullable = frozenset(
        {
            "exclude_older_than_hours",
            "reassign_after_absent_seconds",
            "reassign_unanswered_after_seconds",
            "overflow_after_seconds",
            "overflow_team_id",
            "sticky_days",
        }
    )
    name: Name | None = None
    description: Text | None = None
    assignment_order: AssignmentOrder | None = None
    conversation_priority: ConversationPriority | None = None
    fair_distribution_limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    fair_distribution_window: int | None = Field(default=None, ge=1, le=MAX_WINDOW)
    enabled: bool | None = None
    exclude_older_than_hours: int | None = Field(default=None, ge=1, le=MAX_AGE_HOURS)
    reassign_after_absent_seconds: int | None = Field(default=None, ge=0, le=MAX_WINDOW)
    reassign_only_unreplied: bool | None = None
    reassign_unanswered_after_seconds: int | None = Field(default=None, ge=1, le=MAX_WINDOW)
    max_reassignments: int | None = Field(default=None, ge=1, le=100)
    reassign_on_reopen: bool | None = None
    overflow_after_seconds: int | None = Field(default=None, ge=0, le=MAX_WINDOW)
    overflow_team_id: Id | None = None
    sticky_days: int | None = Field(default=None, ge=1, le=3650)
    preferred_hold_seconds: int | None = Field(default=None, ge=0, le=MAX_WINDOW)
    skill_relaxation: list[RelaxationBody] | None = Field(default=None, max_length=10)


class PolicyPublic(Out):
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
    skill_relaxation: list[RelaxationPublic]
    assigned_inbox_count: int
    created_at: UnixTime
    updated_at: UnixTime


class PolicyLink(Wrapped):
    wrapper = "assignment_policy"
    assignment_policy_id: Id


class PolicyInboxLink(Wrapped):
    """POST …/assignment_policies/{id}/inboxes: link an inbox (replacing its policy)."""

    wrapper = "inbox"
    inbox_id: Id


class PolicyInboxLinkPublic(Out):
    """Chatwoot's inbox_assignment_policy: an inbox has one, so the inbox id is its id."""

    id: int
    inbox_id: int
    assignment_policy_id: int
    created_at: UnixTime
    updated_at: UnixTime


class ExclusionRulesBody(Body):
    excluded_labels: list[Label] = Field(default_factory=list, max_length=100)
    exclude_older_than_hours: int | None = Field(default=None, ge=1, le=MAX_AGE_HOURS)


class CapacityCreate(Wrapped):
    wrapper = "agent_capacity_policy"
    name: Name
    description: Text = ""
    exclusion_rules: ExclusionRulesBody = Field(default_factory=ExclusionRulesBody)
    #: the most open conversations an agent under this policy holds across all the
    #: account's inboxes, on top of the per-inbox limits; null: no such limit
    total_limit: int | None = Field(None, ge=1, le=MAX_LIMIT)


class CapacityUpdate(WrappedPatch):
    wrapper = "agent_capacity_policy"
    nullable = frozenset({"total_limit"})
    name: Name | None = None
    description: Text | None = None
    exclusion_rules: ExclusionRulesBody | None = None
    total_limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)


class ExclusionRulesPublic(Out):
    excluded_labels: list[str]
    exclude_older_than_hours: int | None


class InboxLimitPublic(Out):
    id: int
    agent_capacity_policy_id: int
    inbox_id: int
    conversation_limit: int


class CapacityPublic(Out):
    id: int
    account_id: int
    name: str
    description: str
    exclusion_rules: ExclusionRulesPublic
    total_limit: int | None
    assigned_agent_count: int
    inbox_capacity_limits: list[InboxLimitPublic]
    created_at: UnixTime


class CapacityUser(Wrapped):
    wrapper = "user"
    user_id: Id


class InboxLimitCreate(Wrapped):
    wrapper = "inbox_limit"
    inbox_id: Id
    conversation_limit: int = Field(ge=1, le=MAX_LIMIT)


class InboxLimitUpdate(Wrapped):
    wrapper = "inbox_limit"
    conversation_limit: int = Field(ge=1, le=MAX_LIMIT)


EventName = Literal["assignee_changed"]


class WebhookCreate(Body):
    url: WebhookUrl
    subscriptions: list[EventName] = Field(default=["assignee_changed"], min_length=1)


class WebhookUpdate(Patch):
    url: WebhookUrl | None = None
    subscriptions: list[EventName] | None = Field(default=None, min_length=1)


class WebhookPublic(Out):
    id: int
    account_id: int
    url: str
    subscriptions: list[str]
    #: HMAC-SHA256 key: X-Autoassign-Signature is "sha256=" + hex(hmac(secret, body))
    secret: str
    created_at: UnixTime


class WebhookList(Out):
    payload: list[WebhookPublic]


class AccountCreate(Body):
    name: Name


class TokenCreate(Wrapped):
    wrapper = "token"
    name: Name = "api"
    #: Chatwoot's roles: an agent's token gets 401 on the administration routes
    role: Role = Role.ADMINISTRATOR


class AccountWithToken(Out):
    id: int
    name: str
    api_access_token: str


class TokenListed(Out):
    """A token as listed: its id, name and role, never the token itself."""

    id: int
    account_id: int
    name: str
    role: Role
    created_at: UnixTime


class TokenPublic(TokenListed):
    """A new token: shown this once (only its hash is kept)."""

    api_access_token: str
