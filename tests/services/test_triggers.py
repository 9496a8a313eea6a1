"""The trigger table, directly, and every service write against it on the embedded stores.

Each service returns the inboxes its change must run; these tests pin which changes run
which inboxes (and which run nothing), without HTTP.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from autoassign.core.drafts import Membership
from autoassign.core.model import Agent, Conversation, Inbox, Presence, Status
from autoassign.core.policies import CapacityPolicy
from autoassign.core.views import ConversationView
from autoassign.services import agents, capacity, conversations, inboxes, policies, triggers
from autoassign.services.triggers import RUNS, Scope, Trigger
from tests.factories import T0, World, add_team, seed_world

FREED = Trigger.CAPACITY_FREED


def view(**over: object) -> ConversationView:
    values: dict[str, object] = {
        "id": 1,
        "account_id": 1,
        "inbox_id": 7,
        "status": Status.OPEN,
        "priority": None,
        "team_id": None,
        "assignee_id": None,
        "created_at": T0,
        "last_activity_at": T0,
        "updated_at": T0,
    }
    values.update(over)
    return ConversationView(**values)  # type: ignore[arg-type]


# the table ---------------------------------------------------------------------------


def test_every_trigger_has_a_row_in_the_table() -> None:
    assert set(RUNS) == set(Trigger)
    assert set(RUNS.values()) == set(Scope)


@pytest.mark.parametrize(
    ("before", "after", "fired"),
    [
        (view(status=Status.RESOLVED), view(), {Trigger.CONVERSATION_REOPENED}),
        (
            view(assignee_id=3),
            view(assignee_id=3, status=Status.RESOLVED),
            {Trigger.CAPACITY_FREED},
        ),
        (view(assignee_id=3), view(assignee_id=3, status=Status.SNOOZED), {Trigger.CAPACITY_FREED}),
        (view(assignee_id=3), view(assignee_id=3, status=Status.PENDING), {Trigger.CAPACITY_FREED}),
        (view(status=Status.OPEN), view(status=Status.RESOLVED), set()),  # unassigned: frees none
        (view(assignee_id=3, team_id=1), view(team_id=2), {Trigger.ASSIGNEE_LEFT_TEAM}),
        (view(), view(priority=None, labels=("vip",)), set()),
        # its reassignment timers may start (core/reassignment.py)
        (
            view(status=Status.RESOLVED, assignee_id=3),
            view(assignee_id=3),
            {Trigger.ASSIGNED_REOPENED},
        ),
    ],
)
def test_conversation_changes_that_run_the_inbox(before, after, fired) -> None:
    assert triggers.conversation_updated(before, after) == fired


def test_only_open_unassigned_creations_run_the_inbox() -> None:
    assert triggers.conversation_created(view()) == {Trigger.CONVERSATION_CREATED}
    assert triggers.conversation_created(view(assignee_id=2)) == set()
    assert triggers.conversation_created(view(status=Status.PENDING)) == set()


def test_limits_run_the_inbox_only_when_raised() -> None:
    assert triggers.limit_changed(2, 3) == {Trigger.LIMIT_RAISED}
    assert triggers.limit_changed(3, 2) == set()
    assert triggers.limit_changed(3, 3) == set()


def test_a_heartbeat_runs_the_inboxes_only_after_a_gap() -> None:
    assert triggers.heartbeat(was_present=False) == {Trigger.HEARTBEAT_RESUMED}
    assert triggers.heartbeat(was_present=True) == set()


# every service write, on SQLite with in-process state ----------------------------------


@pytest.fixture
async def world(sqlite_engine) -> World:
    return await seed_world(sqlite_engine, conversations=0)


async def test_creating_a_conversation_runs_its_inbox_only_when_assignable(sqlite_engine, world):
    deps = sqlite_engine.deps
    draft = Conversation(0, world.account.id, world.inbox.id, T0, T0)
    assert (await conversations.create_conversation(deps, draft)).run == {world.inbox.id}
    closed = replace(draft, status=Status.RESOLVED)
    assert (await conversations.create_conversation(deps, closed)).run == frozenset()
    taken = replace(draft, assignee_id=world.agents[0].id)
    assert (await conversations.create_conversation(deps, taken)).run == frozenset()


async def test_conversation_updates(sqlite_engine, world):
    deps, account = sqlite_engine.deps, world.account.id
    draft = Conversation(0, account, world.inbox.id, T0, T0, assignee_id=world.agents[0].id)
    cid = (await conversations.create_conversation(deps, draft)).value.id

    labelled = await conversations.update_conversation(deps, account, cid, {"labels": ["vip"]})
    assert labelled.run == frozenset()
    assert labelled.value.labels == ("vip",)
    resolved = await conversations.update_conversation(
        deps, account, cid, {"status": Status.RESOLVED}
    )
    assert resolved.run == {world.inbox.id}  # capacity freed
    reopened = await conversations.update_conversation(deps, account, cid, {"status": Status.OPEN})
    assert reopened.run == {world.inbox.id}  # still assigned: its reassignment timers may start


async def test_moving_to_a_team_without_the_assignee_unassigns_and_runs(sqlite_engine, world):
    deps, account = sqlite_engine.deps, world.account.id
    inside = await add_team(sqlite_engine, world, [world.agents[0].id])
    outside = await add_team(sqlite_engine, world, [world.agents[1].id])
    draft = Conversation(0, account, world.inbox.id, T0, T0, assignee_id=world.agents[0].id)
    cid = (await conversations.create_conversation(deps, draft)).value.id

    kept = await conversations.update_conversation(deps, account, cid, {"team_id": inside.id})
    assert (kept.value.assignee_id, kept.run) == (world.agents[0].id, frozenset())
    moved = await conversations.update_conversation(deps, account, cid, {"team_id": outside.id})
    assert moved.value.assignee_id is None
    assert moved.run == {world.inbox.id}


async def test_assigning_by_hand_records_and_unassigning_runs(sqlite_engine, sink, world):
    deps, account = sqlite_engine.deps, world.account.id
    draft = Conversation(0, account, world.inbox.id, T0, T0)
    cid = (await conversations.create_conversation(deps, draft)).value.id
    agent = world.agents[1].id

    assigned = await conversations.assign_by_hand(deps, account, cid, agent)
    assert (assigned.value.assignee_id, assigned.run) == (agent, frozenset())
    assert [(e.conversation_id, e.agent_id, e.reason) for e in sink.events] == [
        (cid, agent, conversations.MANUAL_REASON)
    ]
    again = await conversations.assign_by_hand(deps, account, cid, agent)
    assert len(sink.events) == 1  # the same assignee again is no new assignment
    assert again.run == frozenset()
    freed = await conversations.assign_by_hand(deps, account, cid, None)
    assert freed.value.assignee_id is None
    assert freed.run == {world.inbox.id}


async def test_agents_coming_online_run_their_inboxes(sqlite_engine, world):
    deps, account = sqlite_engine.deps, world.account.id
    other = await inboxes.create_inbox(deps, Inbox(0, account, "Other"))
    agent = await agents.create_agent(deps, Agent(0, account, "New", Presence.OFFLINE))
    for inbox_id in (world.inbox.id, other.id):
        await inboxes.change_members(deps, account, inbox_id, [agent.id], Membership.ADD)

    busy = await agents.update_agent(deps, account, agent.id, {"availability": Presence.BUSY})
    assert busy.run == frozenset()
    online = await agents.update_agent(deps, account, agent.id, {"availability": Presence.ONLINE})
    assert online.run == {world.inbox.id, other.id}
    renamed = await agents.update_agent(deps, account, agent.id, {"name": "Renamed"})
    assert renamed.run == frozenset()


async def test_heartbeats_run_the_agents_inboxes_after_a_gap(sqlite_engine, clock, world):
    deps, account, agent = sqlite_engine.deps, world.account.id, world.agents[0].id
    assert (await agents.heartbeat(deps, account, agent)).run == {world.inbox.id}
    assert (await agents.heartbeat(deps, account, agent)).run == frozenset()
    clock.advance(deps.presence_ttl + 1)
    assert (await agents.heartbeat(deps, account, agent)).run == {world.inbox.id}


async def test_inbox_changes(sqlite_engine, world):
    deps, account, inbox = sqlite_engine.deps, world.account.id, world.inbox.id
    newcomer = await agents.create_agent(deps, Agent(0, account, "Newcomer"))

    off = await inboxes.update_inbox(deps, account, inbox, {"enable_auto_assignment": False})
    assert off.run == frozenset()
    on = await inboxes.update_inbox(deps, account, inbox, {"enable_auto_assignment": True})
    assert on.run == {inbox}
    added = await inboxes.change_members(deps, account, inbox, [newcomer.id], Membership.ADD)
    assert added.run == {inbox}
    again = await inboxes.change_members(deps, account, inbox, [newcomer.id], Membership.ADD)
    assert again.run == frozenset()  # nobody new
    removed = await inboxes.change_members(deps, account, inbox, [newcomer.id], Membership.REMOVE)
    assert removed.run == {inbox}  # the reassignment grace of its conversations starts
    linked = await inboxes.link_policy(deps, account, inbox, world.policy.id)
    assert linked.run == {inbox}


async def test_policy_edits_run_every_linked_inbox(sqlite_engine, world):
    deps, account = sqlite_engine.deps, world.account.id
    second = await inboxes.create_inbox(deps, Inbox(0, account, "Second"))
    await inboxes.link_policy(deps, account, second.id, world.policy.id)
    await inboxes.create_inbox(deps, Inbox(0, account, "Unlinked"))
    changed = await policies.update_policy(
        deps, account, world.policy.id, {"fair_distribution_limit": 5}
    )
    assert changed.run == {world.inbox.id, second.id}
    assert changed.value.fair_distribution_limit == 5


async def test_capacity_changes_run_the_inboxes_they_free(sqlite_engine, world):
    deps, account, inbox = sqlite_engine.deps, world.account.id, world.inbox.id
    agent = world.agents[0].id
    policy = await capacity.create_policy(deps, CapacityPolicy(0, account, "Cap"))
    assert (
        await capacity.update_policy(deps, account, policy.id, {"name": "C"})
    ).run == frozenset()

    added = await capacity.add_limit(deps, account, policy.id, inbox, 2)
    assert added.run == {inbox}
    limit = added.value.id
    assert (await capacity.update_limit(deps, account, policy.id, limit, 1)).run == frozenset()
    assert (await capacity.update_limit(deps, account, policy.id, limit, 4)).run == {inbox}
    edited = await capacity.update_policy(deps, account, policy.id, {"excluded_labels": ["x"]})
    assert edited.run == {inbox}

    await capacity.add_user(deps, account, policy.id, agent)
    assert (await capacity.remove_user(deps, account, policy.id, agent)).run == {inbox}
    assert (await capacity.delete_limit(deps, account, policy.id, limit)).run == {inbox}


async def test_a_failed_write_changes_nothing_and_runs_nothing(sqlite_engine, world):
    deps, account = sqlite_engine.deps, world.account.id
    draft = Conversation(0, account, world.inbox.id, T0 - timedelta(hours=1), T0)
    cid = (await conversations.create_conversation(deps, draft)).value.id
    with pytest.raises(Exception, match="team 999 not found"):
        await conversations.update_conversation(
            deps, account, cid, {"team_id": 999, "status": Status.RESOLVED}
        )
    unchanged = await conversations.get_conversation(deps, account, cid)
    assert (unchanged.status, unchanged.team_id) == (Status.OPEN, None)


async def test_bulk_creation_runs_each_inbox_with_an_assignable_conversation(sqlite_engine, world):
    deps, account = sqlite_engine.deps, world.account.id
    other = await inboxes.create_inbox(deps, Inbox(0, account, "Other"))
    quiet = await inboxes.create_inbox(deps, Inbox(0, account, "Quiet"))
    open_one = Conversation(0, account, world.inbox.id, T0, T0)
    drafts = [
        open_one,
        replace(open_one, status=Status.RESOLVED),  # the inbox's last draft is not assignable
        replace(open_one, inbox_id=other.id, assignee_id=world.agents[0].id),
        replace(open_one, inbox_id=other.id),
        replace(open_one, inbox_id=quiet.id, status=Status.PENDING),
    ]
    created = await conversations.create_conversations(deps, account, drafts)
    assert len(created.value) == 5
    assert created.run == {world.inbox.id, other.id}
