"""Assignment policies, capacity policies, inbox limits, webhooks and platform accounts."""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, Field

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
)

MAX_LIMIT = 100_000
MAX_WINDOW = 10 * 365 * 86_400  # ten years, in seconds
MAX_AGE_HOURS = 87_600  # ten years


class PolicyCreate(Body):
    name: Name
    description: Text = ""
    assignment_order: AssignmentOrder = AssignmentOrder.ROUND_ROBIN
    conversation_priority: ConversationPriority = ConversationPriority.EARLIEST_CREATED
    fair_distribution_limit: int = Field(100, ge=1, le=MAX_LIMIT)
    fair_distribution_window: int = Field(3600, ge=1, le=MAX_WINDOW)
    enabled: bool = True
    #: null: no age limit
    exclude_older_than_hours: int | None = Field(168, ge=1, le=MAX_AGE_HOURS)


class PolicyUpdate(Patch):
    nullable = frozenset({"exclude_older_than_hours"})
    name: Name | None = None
    description: Text | None = None
    assignment_order: AssignmentOrder | None = None
    conversation_priority: ConversationPriority | None = None
    fair_distribution_limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    fair_distribution_window: int | None = Field(default=None, ge=1, le=MAX_WINDOW)
    enabled: bool | None = None
    exclude_older_than_hours: int | None = Field(default=None, ge=1, le=MAX_AGE_HOURS)


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
    assigned_inbox_count: int
    created_at: UnixTime
    updated_at: UnixTime


class PolicyLink(Body):
    assignment_policy_id: Id


class ExclusionRulesBody(Body):
    excluded_labels: list[Label] = Field(default_factory=list, max_length=100)
    exclude_older_than_hours: int | None = Field(default=None, ge=1, le=MAX_AGE_HOURS)


class CapacityCreate(Body):
    name: Name
    description: Text = ""
    exclusion_rules: ExclusionRulesBody = Field(default_factory=ExclusionRulesBody)


class CapacityUpdate(Patch):
    name: Name | None = None
    description: Text | None = None
    exclusion_rules: ExclusionRulesBody | None = None


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
    assigned_agent_count: int
    inbox_capacity_limits: list[InboxLimitPublic]
    created_at: UnixTime


class CapacityUser(Body):
    user_id: Id


class InboxLimitCreate(Body):
    inbox_id: Id
    conversation_limit: int = Field(ge=1, le=MAX_LIMIT)


class InboxLimitUpdate(Body):
    conversation_limit: int = Field(ge=1, le=MAX_LIMIT)


EventName = Literal["assignee_changed"]


class WebhookCreate(Body):
    url: AnyHttpUrl
    subscriptions: list[EventName] = Field(default=["assignee_changed"], min_length=1)


class WebhookUpdate(Patch):
    url: AnyHttpUrl | None = None
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


class TokenCreate(Body):
    name: Name = "api"


class AccountWithToken(Out):
    id: int
    name: str
    api_access_token: str


class TokenPublic(Out):
    account_id: int
    api_access_token: str
