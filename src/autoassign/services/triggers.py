"""Which changes make which inboxes run: the one table of assignment triggers.

A run is asked for whenever a change can let a waiting conversation reach an agent. Each
row names the change and the inboxes it runs; the detectors below decide from before
and after values which rows fired, and ``inboxes_to_run`` resolves them. Services call
these and return the inbox ids; nothing else decides what triggers a run.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final

from autoassign.core.model import Conversation, Presence, Status
from autoassign.core.ports.uow import UnitOfWork
from autoassign.core.views import AgentView, ConversationView, InboxView


class Scope(enum.StrEnum):
    """Which inboxes a trigger runs."""

    INBOX = "the inbox itself (or the conversation's inbox)"
    AGENT_INBOXES = "every inbox the agent is a member of"
    POLICY_INBOXES = "every inbox linked to the assignment policy"
    LIMITED_INBOXES = "every inbox the capacity policy limits"
    FREED_INBOXES = "every inbox where the change unassigned conversations"
    HELD_INBOXES = "every inbox where the agent holds open conversations"


class Trigger(enum.StrEnum):
    CONVERSATION_CREATED = "a conversation is created open and unassigned"
    CONVERSATION_REOPENED = "an unassigned conversation is reopened"
    CAPACITY_FREED = "an assigned conversation is resolved, snoozed or set pending"
    TOTAL_CAPACITY_FREED = "the same, when its assignee's capacity policy has a total limit"
    ASSIGNEE_LEFT_TEAM = "a conversation moves to a team its assignee is not in (unassigned)"
    UNASSIGNED_BY_HAND = "an open conversation is unassigned by hand"
    AGENT_ONLINE = "an agent's availability becomes online"
    DUTY_CHANGED = "an agent's working hours, time off or skills change"
    BUSINESS_HOURS_CHANGED = "an inbox's business hours or skill labels change"
    HEARTBEAT_RESUMED = "an auto-offline agent's first heartbeat after a gap"
    MEMBERS_ADDED = "agents are added to the inbox, or a member opts back in"
    AUTO_ASSIGNMENT_ON = "the inbox's auto-assignment is switched on"
    POLICY_LINKED = "an assignment policy is linked to the inbox"
    POLICY_CHANGED = "an assignment policy is edited"
    CAPACITY_RULES_CHANGED = "a capacity policy is edited"
    CAPACITY_USER_REMOVED = "an agent is taken out of a capacity policy"
    LIMIT_ADDED = "a capacity policy gets a limit for the inbox"
    LIMIT_RAISED = "an inbox limit is raised"
    LIMIT_REMOVED = "an inbox limit is removed"
    AGENT_DELETED = "an agent holding open conversations is deleted (they are unassigned)"
    # reassignment timers start (core/reassignment.py): the run computes their wake-ups
    AGENT_AWAY = "an agent's availability leaves online"
    MEMBERS_REMOVED = "agents are taken out of the inbox"
    LEFT_TEAM = "an agent is taken out of a team"
    ASSIGNED_REOPENED = "an assigned conversation is reopened"
    CUSTOMER_WAITING = "a customer writes to an assigned conversation nobody waited on"


#: the table: every trigger and the inboxes it runs
RUNS: Final[Mapping[Trigger, Scope]] = {
    Trigger.CONVERSATION_CREATED: Scope.INBOX,
    Trigger.CONVERSATION_REOPENED: Scope.INBOX,
    Trigger.CAPACITY_FREED: Scope.INBOX,
    Trigger.TOTAL_CAPACITY_FREED: Scope.AGENT_INBOXES,
    Trigger.ASSIGNEE_LEFT_TEAM: Scope.INBOX,
    Trigger.UNASSIGNED_BY_HAND: Scope.INBOX,
    Trigger.AGENT_ONLINE: Scope.AGENT_INBOXES,
    Trigger.DUTY_CHANGED: Scope.AGENT_INBOXES,
    Trigger.BUSINESS_HOURS_CHANGED: Scope.INBOX,
    Trigger.HEARTBEAT_RESUMED: Scope.AGENT_INBOXES,
    Trigger.MEMBERS_ADDED: Scope.INBOX,
    Trigger.AUTO_ASSIGNMENT_ON: Scope.INBOX,
    Trigger.POLICY_LINKED: Scope.INBOX,
    Trigger.POLICY_CHANGED: Scope.POLICY_INBOXES,
    Trigger.CAPACITY_RULES_CHANGED: Scope.LIMITED_INBOXES,
    Trigger.CAPACITY_USER_REMOVED: Scope.AGENT_INBOXES,
    Trigger.LIMIT_ADDED: Scope.INBOX,
    Trigger.LIMIT_RAISED: Scope.INBOX,
    Trigger.LIMIT_REMOVED: Scope.INBOX,
    Trigger.AGENT_DELETED: Scope.FREED_INBOXES,
    Trigger.AGENT_AWAY: Scope.HELD_INBOXES,
    Trigger.MEMBERS_REMOVED: Scope.INBOX,
    Trigger.LEFT_TEAM: Scope.HELD_INBOXES,
    Trigger.ASSIGNED_REOPENED: Scope.INBOX,
    Trigger.CUSTOMER_WAITING: Scope.INBOX,
}

#: statuses that take a conversation out of its assignee's open load
FREES_CAPACITY: Final = frozenset({Status.RESOLVED, Status.SNOOZED, Status.PENDING})


# detectors: which rows fired, from before and after ---------------------------------


def conversation_created(created: Conversation | ConversationView) -> set[Trigger]:
    return {Trigger.CONVERSATION_CREATED} if created.assignable else set()


def conversation_updated(before: ConversationView, after: ConversationView) -> set[Trigger]:
    fired: set[Trigger] = set()
    if after.status is not before.status:
        if after.status is Status.OPEN and before.assignee_id is None:
            fired.add(Trigger.CONVERSATION_REOPENED)
        elif after.status is Status.OPEN and after.assignee_id is not None:
            fired.add(Trigger.ASSIGNED_REOPENED)
        if after.status in FREES_CAPACITY and before.assignee_id is not None:
            fired.add(Trigger.CAPACITY_FREED)
    if before.assignee_id is not None and after.assignee_id is None:
        fired.add(Trigger.ASSIGNEE_LEFT_TEAM)
    return fired


def activity_recorded(before: ConversationView, after: ConversationView) -> set[Trigger]:
    """A customer starts waiting on an assigned, open conversation: the unanswered timer
    starts, and only a run can schedule it (a reply needs nothing: the timer then finds
    nobody waiting)."""
    started = before.waiting_since is None and after.waiting_since is not None
    held = after.status is Status.OPEN and after.assignee_id is not None
    return {Trigger.CUSTOMER_WAITING} if started and held else set()


def assigned_by_hand(before: ConversationView, after: ConversationView) -> set[Trigger]:
    unassigned = after.assignee_id is None and after.status is Status.OPEN
    return {Trigger.UNASSIGNED_BY_HAND} if unassigned else set()


def agent_updated(before: AgentView, after: AgentView) -> set[Trigger]:
    came_online = (
        after.availability is Presence.ONLINE and before.availability is not Presence.ONLINE
    )
    went_away = before.availability is Presence.ONLINE and after.availability is not Presence.ONLINE
    return {Trigger.AGENT_ONLINE} if came_online else {Trigger.AGENT_AWAY} if went_away else set()


def heartbeat(was_present: bool) -> set[Trigger]:
    return set() if was_present else {Trigger.HEARTBEAT_RESUMED}


def inbox_updated(before: InboxView, after: InboxView) -> set[Trigger]:
    switched_on = after.enable_auto_assignment and not before.enable_auto_assignment
    return {Trigger.AUTO_ASSIGNMENT_ON} if switched_on else set()


def members_changed(added: Iterable[int], removed: Iterable[int] = ()) -> set[Trigger]:
    fired = {Trigger.MEMBERS_ADDED} if any(True for _ in added) else set()
    return fired | ({Trigger.MEMBERS_REMOVED} if any(True for _ in removed) else set())


def limit_changed(before: int, after: int) -> set[Trigger]:
    return {Trigger.LIMIT_RAISED} if after > before else set()


# resolution ------------------------------------------------------------------------


async def inboxes_to_run(
    uow: UnitOfWork,
    now: datetime,
    fired: Iterable[Trigger],
    *,
    inbox_id: int | None = None,
    inbox_ids: Iterable[int] = (),
    agent_id: int | None = None,
    agent_ids: Iterable[int] = (),
    policy_id: int | None = None,
    capacity_policy_id: int | None = None,
    freed_inbox_ids: Iterable[int] = (),
) -> frozenset[int]:
    """The inboxes the fired triggers run, read in the same unit of work as the change,
    and written there as run requests: committed with the change, so a process that dies
    right after the commit loses no run (the relay in ``services/runs.py`` finds them)."""
    run: set[int] = set()
    for scope in {RUNS[t] for t in fired}:
        if scope is Scope.INBOX:
            run.update(inbox_ids)
            if inbox_id is not None:
                run.add(inbox_id)
        elif scope is Scope.AGENT_INBOXES and agent_id is not None:
            run |= await uow.agents.inbox_ids(agent_id)
        elif scope is Scope.POLICY_INBOXES and policy_id is not None:
            run |= await uow.policies.inbox_ids(policy_id)
        elif scope is Scope.LIMITED_INBOXES and capacity_policy_id is not None:
            run |= await uow.capacity.inbox_ids(capacity_policy_id)
        elif scope is Scope.FREED_INBOXES:
            run |= set(freed_inbox_ids)
        elif scope is Scope.HELD_INBOXES:
            agents = {*agent_ids, *([] if agent_id is None else [agent_id])}
            run |= await uow.agents.held_inbox_ids(agents) if agents else set()
    await uow.runs.add(run, now)
    return frozenset(run)
