"""What-if questions on an account's inbox: its configuration now, its recorded traffic,
and the changes asked for.

Why a service: an inbox's configuration is spread over aggregates (members and their
availability, the linked policy, capacity limits, teams) and its traffic over the
conversations and the assignment history; reading them belongs to the read services,
and what a change means ("8 agents" when 10 are online) is a rule worth one place. The
simulation itself is not a service: it picks adapters (the in-memory store, a virtual
clock), so it is handed in as a callable, the way bootstrap hands the job queue its runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from autoassign.core import errors
from autoassign.core.model import Presence, Status, Team
from autoassign.core.policies import AssignmentOrder, AssignmentPolicy
from autoassign.core.views import ConversationFilter, EventFilter, Paging
from autoassign.services import capacity, conversations, history, inboxes, teams
from autoassign.services.context import Deps

T = TypeVar("T")
_PAGE = 500


@dataclass(frozen=True, slots=True)
class SetupAgent:
    agent_id: int
    name: str
    presence: Presence
    #: most open conversations in this inbox; None: no capacity policy limits the agent
    capacity_limit: int | None


@dataclass(frozen=True, slots=True)
class InboxSetup:
    """What decides an inbox's assignments: its policy, members and teams."""

    inbox_id: int
    name: str
    #: None when no policy is linked (the inbox assigns nothing)
    policy: AssignmentPolicy | None
    agents: tuple[SetupAgent, ...]
    teams: tuple[Team, ...] = ()

    @property
    def online(self) -> int:
        return sum(1 for a in self.agents if a.presence is Presence.ONLINE)


@dataclass(frozen=True, slots=True)
class RecordedConversation:
    created_at: datetime
    #: the first assignment (by the engine or by hand), if any
    assigned_at: datetime | None
    #: when it was resolved (its last update, if resolved now), if it was
    resolved_at: datetime | None
    team_id: int | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """The conversations created in [since, until) and how they went."""

    since: datetime
    until: datetime
    conversations: tuple[RecordedConversation, ...]

    @property
    def arrivals_per_minute(self) -> float:
        return len(self.conversations) / ((self.until - self.since).total_seconds() / 60)

    @property
    def mean_handle_minutes(self) -> float | None:
        """Resolution minus first assignment, over the conversations that had both."""
        spans = [
            (c.resolved_at - c.assigned_at).total_seconds() / 60
            for c in self.conversations
            if c.assigned_at is not None and c.resolved_at is not None
        ]
        return sum(spans) / len(spans) if spans else None


@dataclass(frozen=True, slots=True)
class Changes:
    """What to change; None keeps the current value."""

    #: agents online: fewer keeps the first online members (by id), more adds agents
    agents: int | None = None
    assignment_order: AssignmentOrder | None = None
    #: every agent's open-conversation limit in the inbox
    conversation_limit: int | None = None
    fair_distribution_limit: int | None = None
    fair_distribution_window: int | None = None

    def describe(self) -> tuple[str, ...]:
        return tuple(
            f"{name}={value}"
            for name, value in (
                ("agents", self.agents),
                ("assignment_order", self.assignment_order),
                ("conversation_limit", self.conversation_limit),
                ("fair_distribution_limit", self.fair_distribution_limit),
                ("fair_distribution_window", self.fair_distribution_window),
            )
            if value is not None
        )


def apply_changes(setup: InboxSetup, changes: Changes) -> InboxSetup:
    """The setup with ``changes``. Added agents get the commonest limit of the online
    members (or ``conversation_limit``); members beyond the count asked go offline."""
    agents = list(setup.agents)
    if changes.conversation_limit is not None:
        agents = [replace(a, capacity_limit=changes.conversation_limit) for a in agents]
    if changes.agents is not None:
        if changes.agents < 0:
            raise errors.InvalidValue("agents must be 0 or more", field="agents")
        online = [a for a in agents if a.presence is Presence.ONLINE]
        keep = {a.agent_id for a in online[: changes.agents]}
        agents = [
            a
            if a.agent_id in keep or a.presence is not Presence.ONLINE
            else replace(a, presence=Presence.OFFLINE)
            for a in agents
        ]
        limits = Counter(a.capacity_limit for a in online) or Counter([1])
        limit = limits.most_common(1)[0][0]
        first = max((a.agent_id for a in agents), default=0) + 1
        agents += [
            SetupAgent(first + k, f"added agent {k + 1}", Presence.ONLINE, limit)
            for k in range(changes.agents - len(online))
        ]
    policy = setup.policy
    if policy is not None:
        policy = replace(
            policy,
            assignment_order=changes.assignment_order or policy.assignment_order,
            fair_distribution_limit=changes.fair_distribution_limit
            or policy.fair_distribution_limit,
            fair_distribution_window=changes.fair_distribution_window
            or policy.fair_distribution_window,
        )
    return replace(setup, policy=policy, agents=tuple(agents))


async def current_setup(deps: Deps, account_id: int, inbox_id: int) -> InboxSetup:
    """The inbox as configured now, read through the services the API uses."""
    inbox = await inboxes.get_inbox(deps, account_id, inbox_id)
    try:
        view = await inboxes.get_policy(deps, account_id, inbox_id)
    except errors.NotFound:
        policy = None
    else:
        policy = AssignmentPolicy(
            id=view.id,
            account_id=view.account_id,
            name=view.name,
            description=view.description,
            assignment_order=view.assignment_order,
            conversation_priority=view.conversation_priority,
            fair_distribution_limit=view.fair_distribution_limit,
            fair_distribution_window=view.fair_distribution_window,
            enabled=view.enabled,
            exclude_older_than_hours=view.exclude_older_than_hours,
            reassign_after_absent_seconds=view.reassign_after_absent_seconds,
            reassign_only_unreplied=view.reassign_only_unreplied,
            reassign_unanswered_after_seconds=view.reassign_unanswered_after_seconds,
            max_reassignments=view.max_reassignments,
            reassign_on_reopen=view.reassign_on_reopen,
            overflow_after_seconds=view.overflow_after_seconds,
            overflow_team_id=view.overflow_team_id,
            sticky_days=view.sticky_days,
            preferred_hold_seconds=view.preferred_hold_seconds,
            skill_relaxation=view.skill_relaxation,
        )
    limits = {
        p.id: limit.conversation_limit
        for p in await capacity.list_policies(deps, account_id)
        for limit in p.inbox_capacity_limits
        if limit.inbox_id == inbox_id
    }
    members = await inboxes.list_members(deps, account_id, inbox_id)
    found = [
        Team(
            t.id,
            t.account_id,
            t.name,
            t.allow_auto_assign,
            frozenset(a.id for a in await teams.list_members(deps, account_id, t.id)),
        )
        for t in await teams.list_teams(deps, account_id)
    ]
    return InboxSetup(
        inbox_id=inbox.id,
        name=inbox.name,
        policy=policy,
        agents=tuple(
            SetupAgent(
                m.id,
                m.name,
                m.availability,
                limits.get(m.capacity_policy_id) if m.capacity_policy_id is not None else None,
            )
            for m in members
        ),
        teams=tuple(found),
    )


async def recorded_traffic(
    deps: Deps, account_id: int, inbox_id: int, since: datetime, until: datetime
) -> Recorded:
    """The inbox's conversations created in [since, until), with their first
    assignment from the history, through the conversation and history read services."""
    if until <= since:
        raise errors.InvalidValue("until must be after since", field="until")
    first: dict[int, datetime] = {}
    where = EventFilter(inbox_id=inbox_id, since=since)
    page = 1
    while True:
        events = await history.list_events(deps, account_id, where, Paging(page, _PAGE))
        for event in events.items:
            known = first.get(event.conversation_id)
            if known is None or event.assigned_at < known:
                first[event.conversation_id] = event.assigned_at
        if page * _PAGE >= events.total:
            break
        page += 1
    found: list[RecordedConversation] = []
    page = 1
    while True:
        listed = await conversations.list_conversations(
            deps, account_id, ConversationFilter(inbox_id=inbox_id), Paging(page, _PAGE)
        )
        for c in listed.items:
            if since <= c.created_at < until:
                resolved = c.updated_at if c.status is Status.RESOLVED else None
                found.append(
                    RecordedConversation(c.created_at, first.get(c.id), resolved, c.team_id)
                )
        if page * _PAGE >= listed.total:
            break
        page += 1
    found.sort(key=lambda c: c.created_at)
    return Recorded(since, until, tuple(found))


async def what_if(
    deps: Deps,
    account_id: int,
    inbox_id: int,
    changes: Changes,
    *,
    period: tuple[datetime, datetime] | None,
    simulate: Callable[[InboxSetup, InboxSetup, Recorded | None], Awaitable[T]],
) -> T:
    """Run ``simulate`` on the inbox as it is and as it would be with ``changes``, with
    its traffic recorded over ``period`` [since, until) when one is given."""
    setup = await current_setup(deps, account_id, inbox_id)
    changed = apply_changes(setup, changes)
    recorded = await recorded_traffic(deps, account_id, inbox_id, *period) if period else None
    return await simulate(setup, changed, recorded)
