"""Reassignment through the services on each SQL back end, on a fake clock: each reason,
the wake-up each timer asks for, the record and event it leaves, and a reply winning
over the timer."""

from __future__ import annotations

from datetime import timedelta

from autoassign.adapters.sql.tables import conversations as conversations_table
from autoassign.core.drafts import Activity, Membership, MessageType, SenderType
from autoassign.core.model import Presence, Status
from autoassign.core.reasons import AgentReason, OutcomeKind, ReassignReason
from autoassign.core.views import AssignmentEventView, EventFilter, Paging
from autoassign.services import agents, conversations, history, inboxes, teams
from autoassign.services.explain import Explanation
from tests.factories import World, add_team, assign, conversation, seed_world

CUSTOMER = Activity(MessageType.INCOMING, SenderType.CONTACT)
REPLY = Activity(MessageType.OUTGOING, SenderType.USER)


async def held_by_first(engine, **policy: object) -> tuple[World, int]:
    """Two online agents, one conversation assigned to the first."""
    world = await seed_world(engine, agents=[Presence.ONLINE] * 2, conversations=1, policy=policy)
    await agents.update_agent(
        engine.deps, world.account.id, world.agents[1].id, {"availability": Presence.OFFLINE}
    )
    [cid] = world.conversation_ids
    await assign(engine, world.inbox.id)
    await agents.update_agent(
        engine.deps, world.account.id, world.agents[1].id, {"availability": Presence.ONLINE}
    )
    assert (await conversation(engine, world.account.id, cid)).assignee_id == world.agents[0].id
    return world, cid


async def events(engine, world: World, cid: int) -> list[AssignmentEventView]:
    page = await history.list_events(
        engine.deps, world.account.id, EventFilter(conversation_id=cid), Paging(1, 50)
    )
    return sorted(page.items, key=lambda e: e.id)


async def explain(engine, world: World, cid: int) -> Explanation:
    return await conversations.explain_assignment(engine.deps, world.account.id, cid)


async def test_an_offline_assignee_loses_the_conversation_after_the_grace(engine, clock, sink):
    world, cid = await held_by_first(engine, reassign_after_absent_seconds=30)
    first, second = world.agents
    away = await agents.update_agent(
        engine.deps, world.account.id, first.id, {"availability": Presence.OFFLINE}
    )
    assert away.run == {world.inbox.id}  # the timer starts with a run
    early = await assign(engine, world.inbox.id)
    assert early.assigned == 0
    assert early.wake_at == clock.now() + timedelta(seconds=30)
    timer = (await explain(engine, world, cid)).timer
    assert timer is not None
    assert (timer.reason, timer.fires_at) == (ReassignReason.ASSIGNEE_OFFLINE, early.wake_at)

    clock.advance(30)
    done = await assign(engine, world.inbox.id)
    assert done.assigned == 1
    moved = await conversation(engine, world.account.id, cid)
    assert moved.assignee_id == second.id
    assert moved.reassignments == 1
    assert moved.previous_assignee_id is None  # cleared once assigned again
    last = (await events(engine, world, cid))[-1]
    assert (last.agent_id, last.previous_agent_id, last.reassign_reason) == (
        second.id,
        first.id,
        ReassignReason.ASSIGNEE_OFFLINE,
    )
    announced = sink.events[-1]
    assert (announced.previous_agent_id, announced.reassign_reason) == (
        first.id,
        "assignee_offline",
    )


async def test_back_online_within_the_grace_keeps_the_conversation(engine, clock):
    world, cid = await held_by_first(engine, reassign_after_absent_seconds=30)
    first = world.agents[0]
    for availability in (Presence.BUSY, Presence.ONLINE):
        await agents.update_agent(
            engine.deps, world.account.id, first.id, {"availability": availability}
        )
        clock.advance(20)
    clock.advance(60)
    assert (await assign(engine, world.inbox.id)).assigned == 0
    assert (await conversation(engine, world.account.id, cid)).assignee_id == first.id
    assert (await explain(engine, world, cid)).timer is None


async def test_nobody_free_returns_it_to_the_queue(engine, clock):
    world, cid = await held_by_first(engine, reassign_after_absent_seconds=0)
    for agent in world.agents:
        await agents.update_agent(
            engine.deps, world.account.id, agent.id, {"availability": Presence.OFFLINE}
        )
    result = await assign(engine, world.inbox.id)
    assert [o.result for o in result.outcomes] == [OutcomeKind.NO_AGENT_ONLINE]
    waiting = await conversation(engine, world.account.id, cid)
    assert waiting.assignee_id is None
    assert (waiting.previous_assignee_id, waiting.reassign_reason) == (
        world.agents[0].id,
        ReassignReason.ASSIGNEE_OFFLINE,
    )
    # the first one back gets it, and the record still says why it moved
    back = world.agents[1]
    await agents.update_agent(
        engine.deps, world.account.id, back.id, {"availability": Presence.ONLINE}
    )
    assert (await assign(engine, world.inbox.id)).assigned == 1
    last = (await events(engine, world, cid))[-1]
    assert (last.agent_id, last.previous_agent_id) == (back.id, world.agents[0].id)


async def test_taken_out_of_the_inbox_or_team(engine, clock):
    world, cid = await held_by_first(engine, reassign_after_absent_seconds=10)
    first, second = world.agents
    removed = await inboxes.change_members(
        engine.deps, world.account.id, world.inbox.id, [first.id], Membership.REMOVE
    )
    assert removed.run == {world.inbox.id}
    assert (await assign(engine, world.inbox.id)).wake_at == clock.now() + timedelta(seconds=10)
    clock.advance(10)
    assert (await assign(engine, world.inbox.id)).assigned == 1
    last = (await events(engine, world, cid))[-1]
    assert (last.agent_id, last.reassign_reason) == (second.id, ReassignReason.ASSIGNEE_REMOVED)

    # a team: the member taken out of the conversation's team loses it after the grace
    team = await add_team(engine, world, [first.id, second.id])
    await inboxes.change_members(
        engine.deps, world.account.id, world.inbox.id, [first.id], Membership.ADD
    )
    await conversations.update_conversation(
        engine.deps, world.account.id, cid, {"team_id": team.id}
    )
    left = await teams.change_members(
        engine.deps, world.account.id, team.id, [second.id], Membership.REMOVE
    )
    assert left.run == {world.inbox.id}
    clock.advance(10)
    assert (await assign(engine, world.inbox.id)).assigned == 1
    last = (await events(engine, world, cid))[-1]
    assert (last.agent_id, last.reassign_reason) == (first.id, ReassignReason.ASSIGNEE_REMOVED)


async def test_unanswered_goes_to_another_agent_never_back(engine, clock):
    world, cid = await held_by_first(
        engine, reassign_unanswered_after_seconds=60, max_reassignments=1
    )
    first, second = world.agents
    wait = await conversations.record_activity(engine.deps, world.account.id, cid, CUSTOMER)
    assert wait.run == frozenset()  # created waiting already: no new timer
    assert wait.value.waiting_since is not None
    first_run = await assign(engine, world.inbox.id)
    assert first_run.wake_at is not None
    clock.advance((first_run.wake_at - clock.now()).total_seconds())
    assert (await assign(engine, world.inbox.id)).assigned == 1
    moved = await conversation(engine, world.account.id, cid)
    assert moved.assignee_id == second.id
    last = (await events(engine, world, cid))[-1]
    assert (last.previous_agent_id, last.reassign_reason) == (first.id, ReassignReason.UNANSWERED)
    # the cap: the second agent lets it lapse too, and keeps it
    clock.advance(3600)
    assert (await assign(engine, world.inbox.id)).assigned == 0
    assert (await conversation(engine, world.account.id, cid)).assignee_id == second.id


async def test_unanswered_stays_put_while_nobody_else_can_take_it(engine, clock):
    world, cid = await held_by_first(engine, reassign_unanswered_after_seconds=60)
    first, second = world.agents
    await agents.update_agent(
        engine.deps, world.account.id, second.id, {"availability": Presence.OFFLINE}
    )
    clock.advance(120)
    result = await assign(engine, world.inbox.id)
    assert result.assigned == 0
    [skip] = result.outcomes
    assert skip.agents[first.id] is AgentReason.PREVIOUS_ASSIGNEE
    assert (await conversation(engine, world.account.id, cid)).assignee_id == first.id


async def test_a_reply_stops_the_unanswered_timer(engine, clock):
    world, cid = await held_by_first(engine, reassign_unanswered_after_seconds=60)
    replied = await conversations.record_activity(engine.deps, world.account.id, cid, REPLY)
    assert replied.value.waiting_since is None
    assert replied.value.first_reply_created_at == clock.now()
    clock.advance(120)
    assert (await assign(engine, world.inbox.id)).assigned == 0
    assert (await explain(engine, world, cid)).timer is None
    # the customer writes again: the timer starts over, and the inbox runs for it
    again = await conversations.record_activity(engine.deps, world.account.id, cid, CUSTOMER)
    assert again.run == {world.inbox.id}
    timer = (await explain(engine, world, cid)).timer
    assert timer is not None
    assert timer.fires_at == clock.now() + timedelta(seconds=60)


async def test_a_reply_racing_the_timer_wins(engine, clock):
    """The batch read the conversation as unanswered; a reply commits before its claim:
    the release's guard sees the new activity and the conversation stays."""
    world, cid = await held_by_first(engine, reassign_unanswered_after_seconds=60)
    clock.advance(120)
    store = engine.deps.store
    real = store.inbox_batch

    def replying_first(inbox_id: int):
        manager = real(inbox_id)

        class Racing:
            async def __aenter__(self):
                batch = await manager.__aenter__()
                held = batch.held

                async def held_then_reply(*args, **kwargs):
                    found = await held(*args, **kwargs)
                    # the reply lands on the row the batch has read: committed by
                    # another connection on PostgreSQL (the batch locks the inbox,
                    # not the conversation); on SQLite the batch holds the only write
                    # lock, so through its own connection
                    reply = (
                        conversations_table.update()
                        .where(conversations_table.c.id == cid)
                        .values(
                            waiting_since=None,
                            last_activity_at=clock.now() + timedelta(seconds=1),
                            agent_replied_at=clock.now(),
                        )
                    )
                    if batch._conn.dialect.name == "postgresql":
                        async with store.engine.begin() as other:
                            await other.execute(reply)
                    else:
                        await batch._conn.execute(reply)
                    return found

                batch.held = held_then_reply
                return batch

            async def __aexit__(self, *exc):
                return await manager.__aexit__(*exc)

        return Racing()

    store.inbox_batch = replying_first
    try:
        result = await assign(engine, world.inbox.id)
    finally:
        store.inbox_batch = real
    assert result.assigned == 0
    assert [o.result for o in result.outcomes] == [OutcomeKind.LOST_RACE]
    kept = await conversation(engine, world.account.id, cid)
    assert (kept.assignee_id, kept.reassignments) == (world.agents[0].id, 0)


async def test_reopened_while_the_assignee_is_gone(engine, clock):
    world, cid = await held_by_first(engine, reassign_on_reopen=True)
    first, second = world.agents
    await conversations.update_conversation(
        engine.deps, world.account.id, cid, {"status": Status.RESOLVED}
    )
    await agents.update_agent(
        engine.deps, world.account.id, first.id, {"availability": Presence.OFFLINE}
    )
    clock.advance(5)
    reopened = await conversations.update_conversation(
        engine.deps, world.account.id, cid, {"status": Status.OPEN}
    )
    assert reopened.run == {world.inbox.id}
    assert (await assign(engine, world.inbox.id)).assigned == 1
    last = (await events(engine, world, cid))[-1]
    assert (last.agent_id, last.reassign_reason) == (second.id, ReassignReason.REOPENED)


async def test_reopened_while_the_assignee_can_take_it_stays(engine, clock):
    world, cid = await held_by_first(engine, reassign_on_reopen=True)
    await conversations.update_conversation(
        engine.deps, world.account.id, cid, {"status": Status.RESOLVED}
    )
    await conversations.update_conversation(
        engine.deps, world.account.id, cid, {"status": Status.OPEN}
    )
    # the assignee goes offline after the reopening: the reopen rule does not apply
    clock.advance(1)
    await agents.update_agent(
        engine.deps, world.account.id, world.agents[0].id, {"availability": Presence.OFFLINE}
    )
    clock.advance(3600)
    assert (await assign(engine, world.inbox.id)).assigned == 0
    stayed = await conversation(engine, world.account.id, cid)
    assert stayed.assignee_id == world.agents[0].id


async def test_a_lapsed_heartbeat_on_redis(pg_engine, clock):
    """PostgreSQL + Redis: the presence store keeps when a heartbeat ended."""
    world, cid = await held_by_first(pg_engine, reassign_after_absent_seconds=20)
    first, second = world.agents
    deps, account = pg_engine.deps, world.account.id
    await agents.update_agent(deps, account, first.id, {"auto_offline": True})
    await agents.heartbeat(deps, account, first.id)
    present = await assign(pg_engine, world.inbox.id)
    assert present.wake_at == clock.now() + timedelta(seconds=deps.presence_ttl + 20)
    clock.advance(deps.presence_ttl + 19)
    assert (await assign(pg_engine, world.inbox.id)).assigned == 0
    clock.advance(1)
    assert (await assign(pg_engine, world.inbox.id)).assigned == 1
    assert (await conversation(pg_engine, account, cid)).assignee_id == second.id
