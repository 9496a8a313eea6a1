"""Deleting keeps the history (issue 10.13): a deleted agent or inbox leaves every read
and never takes or gets work, while the assignments that name it stay."""

from __future__ import annotations

import pytest

from autoassign.core import errors
from autoassign.core.model import Presence
from autoassign.core.ports import RunResult
from autoassign.core.views import EventFilter, Paging
from autoassign.services import agents, conversations, history, inboxes, runs
from tests.factories import assign, conversation, seed_world


async def events(engine, world) -> list[tuple[int, int]]:
    page = await history.list_events(
        engine.deps, world.account.id, EventFilter(inbox_id=world.inbox.id), Paging(1, 100)
    )
    return sorted((e.conversation_id, e.agent_id) for e in page.items)


async def test_a_deleted_agent_keeps_its_history_and_its_work_goes_to_others(engine):
    world = await seed_world(engine, agents=(Presence.ONLINE, Presence.ONLINE), conversations=4)
    await assign(engine, world.inbox.id)
    before = await events(engine, world)
    gone = world.agents[0].id
    held = [
        c
        for c in world.conversation_ids
        if (await conversation(engine, world.account.id, c)).assignee_id == gone
    ]
    assert held

    deleted = await agents.delete_agent(engine.deps, world.account.id, gone)
    assert deleted.run == {world.inbox.id}  # its conversations are offered again
    assert await events(engine, world) == before  # the history stays
    for cid in held:
        assert (await conversation(engine, world.account.id, cid)).assignee_id is None
    with pytest.raises(errors.AgentNotFound):
        await agents.get_agent(engine.deps, world.account.id, gone)
    assert gone not in {a.id for a in await agents.list_agents(engine.deps, world.account.id)}
    members = await inboxes.list_members(engine.deps, world.account.id, world.inbox.id)
    assert [a.id for a in members] == [world.agents[1].id]
    with pytest.raises(errors.AgentNotFound):
        await conversations.assign_by_hand(engine.deps, world.account.id, held[0], gone)

    again = await assign(engine, world.inbox.id)
    assert {o.agent_id for o in again.outcomes if o.agent_id} == {world.agents[1].id}


async def test_a_deleted_inbox_keeps_its_conversations_and_history_and_never_runs(engine):
    world = await seed_world(engine, conversations=3)
    await assign(engine, world.inbox.id)
    before = await events(engine, world)
    await inboxes.delete_inbox(engine.deps, world.account.id, world.inbox.id)

    assert await events(engine, world) == before
    kept = await conversation(engine, world.account.id, world.conversation_ids[0])
    assert kept.assignee_id is not None
    with pytest.raises(errors.InboxNotFound):
        await inboxes.get_inbox(engine.deps, world.account.id, world.inbox.id)
    assert world.inbox.id not in await runs.sweepable_inbox_ids(engine.deps)
    assert await runs.run_inbox_job(engine.deps, world.inbox.id) == RunResult()
    with pytest.raises(errors.InboxNotFound):
        await inboxes.delete_inbox(engine.deps, world.account.id, world.inbox.id)
