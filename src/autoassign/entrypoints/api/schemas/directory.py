"""Agents, inboxes, inbox members and teams."""

from __future__ import annotations

from pydantic import Field

from autoassign.core.model import Presence
from autoassign.entrypoints.api.schemas.common import Body, Email, Id, Name, Out, Patch, UnixTime


class AgentCreate(Body):
    name: Name
    email: Email | None = None
    #: new agents take no work until they come online
    availability: Presence = Presence.OFFLINE
    #: online only while heartbeats arrive (POST …/agents/{id}/heartbeat)
    auto_offline: bool = False


class AgentUpdate(Patch):
    name: Name | None = None
    email: Email | None = None
    availability: Presence | None = None
    auto_offline: bool | None = None


class AgentPublic(Out):
    id: int
    account_id: int
    name: str
    email: str | None
    availability: Presence
    auto_offline: bool
    capacity_policy_id: int | None
    created_at: UnixTime


class InboxCreate(Body):
    name: Name
    enable_auto_assignment: bool = True


class InboxUpdate(Patch):
    name: Name | None = None
    enable_auto_assignment: bool | None = None


class InboxPublic(Out):
    id: int
    account_id: int
    name: str
    enable_auto_assignment: bool
    created_at: UnixTime


class InboxList(Out):
    payload: list[InboxPublic]


class InboxMembersChange(Body):
    inbox_id: Id
    user_ids: list[Id] = Field(max_length=1000)


class MemberUpdate(Body):
    """How the member takes part in auto-assignment in the inbox."""

    #: false: a watcher or a supervisor, never picked by the engine (they may still be
    #: assigned by hand)
    auto_assign: bool | None = None
    #: their share of the work relative to the other members (1: equal shares; weighted
    #: round robin, and the most available first in the balanced order)
    weight: int | None = Field(None, ge=1, le=100)


class MemberPublic(Out):
    inbox_id: int
    agent_id: int
    auto_assign: bool
    weight: int


class AgentList(Out):
    payload: list[AgentPublic]


class TeamCreate(Body):
    name: Name
    allow_auto_assign: bool = True


class TeamUpdate(Patch):
    name: Name | None = None
    allow_auto_assign: bool | None = None


class TeamPublic(Out):
    id: int
    account_id: int
    name: str
    allow_auto_assign: bool
    created_at: UnixTime


class TeamMembersChange(Body):
    user_ids: list[Id] = Field(max_length=1000)
