"""assign_inbox end to end on each SQL back end (memory state), plus PG + Redis."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from autoassign.core import errors
from autoassign.core.model import Presence, Status
from autoassign.core.reasons import AgentReason, SkipReason
from autoassign.services.assign import ASSIGNED
from tests.factories import add_conversations, add_team, seed_world


def assignees(result) -> Counter[int]:
    return Counter(o.agent_id for o in result.outcomes if o.result == ASSIGNED)


async def test_assigns_round_robin_and_records_each_assignment(engine, sink):
    world = await seed_world(engine, conversations=7)
    result = await engine.assign_inbox(world.inbox.id)
    assert result.assigned == 7
    assert sorted(assignees(result).values()) == [2, 2, 3]
    for o in result.outcomes:
        conversation = await engine.catalog.get_conversation(world.account.id, o.conversation_id)
        assert conversation.assignee_id == o.agent_id
    events = sink.events
    assert len(events) == 7  # one event per assignment, never two
    assert {e.conversation_id for e in events} == set(world.conversation_ids)
    assert all(e.name == "assignee_changed" and e.policy_id == world.policy.id for e in events)


async def test_rotation_carries_over_between_batches(engine):
    world = await seed_world(engine, conversations=4)
    first = await engine.assign_inbox(world.inbox.id, limit=2)
    second = await engine.assign_inbox(world.inbox.id, limit=2)
    order = [o.agent_id for o in first.outcomes] + [o.agent_id for o in second.outcomes]
    agents = [a.id for a in world.agents]
    assert order == [agents[0], agents[1], agents[2], agents[0]]


async def test_capacity_holds_across_batches_and_frees_on_resolve(engine):
    world = await seed_world(engine, conversations=10, capacity=2)
    result = await engine.assign_inbox(world.inbox.id)
    assert result.assigned == 6
    assert set(assignees(result).values()) == {2}
    skipped = [o for o in result.outcomes if o.result != ASSIGNED]
    assert {o.result for o in skipped} == {SkipReason.NO_ELIGIBLE_AGENT.value}
    assert set(skipped[0].agents.values()) == {AgentReason.AT_CAPACITY}
    assert (await engine.assign_inbox(world.inbox.id)).assigned == 0
    first = next(o for o in result.outcomes if o.result == ASSIGNED)
    await engine.catalog.set_status(
        world.account.id, first.conversation_id, Status.RESOLVED, engine.clock.now()
    )
    again = await engine.assign_inbox(world.inbox.id)
    assert again.assigned == 1
    assert assignees(again) == {first.agent_id: 1}


async def test_fair_distribution_window_limits_and_then_frees(engine):
    world = await seed_world(
        engine,
        conversations=10,
        policy={"fair_distribution_limit": 2, "fair_distribution_window": 600},
    )
    assert (await engine.assign_inbox(world.inbox.id)).assigned == 6
    limited = await engine.assign_inbox(world.inbox.id)
    assert limited.assigned == 0
    assert set(limited.outcomes[0].agents.values()) == {AgentReason.RATE_LIMITED}
    engine.clock.advance(599)
    assert (await engine.assign_inbox(world.inbox.id)).assigned == 0
    engine.clock.advance(1)
    assert (await engine.assign_inbox(world.inbox.id)).assigned == 4


async def test_losing_the_state_store_breaks_no_limit(engine):
    world = await seed_world(
        engine,
        conversations=12,
        policy={"fair_distribution_limit": 2, "fair_distribution_window": 600},
    )
    first = await engine.assign_inbox(world.inbox.id, limit=4)
    engine.state.clear()  # as a Redis restart would
    second = await engine.assign_inbox(world.inbox.id)
    totals = assignees(first) + assignees(second)
    assert max(totals.values()) <= 2
    assert sum(totals.values()) == 6
    # the rotation was rebuilt from SQL too: the agent served least recently went first
    assert second.outcomes[0].agent_id == world.agents[1].id


async def test_disabled_policy_no_policy_and_disabled_inbox_assign_nothing(engine, sink):
    disabled = await seed_world(engine, conversations=2, policy={"enabled": False})
    assert (await engine.assign_inbox(disabled.inbox.id)).skipped is SkipReason.POLICY_DISABLED
    off = await seed_world(engine, conversations=2, enable_auto_assignment=False)
    assert (await engine.assign_inbox(off.inbox.id)).skipped is SkipReason.INBOX_DISABLED
    for world in (disabled, off):
        for cid in world.conversation_ids:
            assert (
                await engine.catalog.get_conversation(world.account.id, cid)
            ).assignee_id is None
    assert sink.events == []


async def test_only_online_members_are_chosen(engine):
    world = await seed_world(
        engine, agents=[Presence.OFFLINE, Presence.BUSY, Presence.ONLINE], conversations=3
    )
    result = await engine.assign_inbox(world.inbox.id)
    assert assignees(result) == {world.agents[2].id: 3}
    assert result.agent_filters == {
        world.agents[0].id: AgentReason.OFFLINE,
        world.agents[1].id: AgentReason.BUSY,
    }


async def test_nobody_online_explains_itself(engine):
    world = await seed_world(engine, agents=[Presence.OFFLINE], conversations=1)
    result = await engine.assign_inbox(world.inbox.id)
    assert result.outcomes[0].result == SkipReason.NO_AGENT_ONLINE.value


async def test_auto_offline_agents_need_a_fresh_heartbeat(engine):
    world = await seed_world(engine, agents=[Presence.ONLINE], conversations=2)
    from autoassign.core.model import Agent

    now = engine.clock.now()
    watcher = await engine.catalog.add_agent(
        Agent(0, world.account.id, "hb", availability=Presence.ONLINE, auto_offline=True), now
    )
    await engine.catalog.add_inbox_members(world.account.id, world.inbox.id, [watcher.id])
    first = await engine.assign_inbox(world.inbox.id, limit=1)
    assert first.agent_filters == {watcher.id: AgentReason.PRESENCE_EXPIRED}
    await engine.heartbeat(world.account.id, watcher.id)
    second = await engine.assign_inbox(world.inbox.id, limit=1)
    assert assignees(second) == {watcher.id: 1}
    with pytest.raises(errors.AgentNotFound):
        await engine.heartbeat(world.account.id + 1000, watcher.id)


async def test_team_conversations_stay_in_the_team(engine):
    world = await seed_world(engine, conversations=0)
    team = await add_team(engine, world, [world.agents[2].id])
    closed_team = await add_team(engine, world, [world.agents[0].id], allow=False)
    await add_conversations(engine, world, 3, team_id=team.id)
    blocked = await add_conversations(engine, world, 1, team_id=closed_team.id)
    result = await engine.assign_inbox(world.inbox.id)
    assert assignees(result) == {world.agents[2].id: 3}
    outcome = next(o for o in result.outcomes if o.conversation_id == blocked[0])
    assert outcome.result == SkipReason.TEAM_AUTO_ASSIGN_DISABLED.value


async def test_excluded_and_stale_conversations_are_left_alone(engine):
    world = await seed_world(engine, conversations=0, excluded_labels=["spam"])
    now = engine.clock.now()
    ok = await add_conversations(engine, world, 1)
    await add_conversations(engine, world, 1, labels=frozenset({"spam"}))
    await add_conversations(
        engine,
        world,
        1,
        created_at=now - timedelta(days=30),
        last_activity_at=now - timedelta(days=8),
    )
    result = await engine.assign_inbox(world.inbox.id)
    assert [o.conversation_id for o in result.outcomes] == ok


async def test_balanced_policy_levels_open_loads(engine):
    world = await seed_world(engine, conversations=0, policy={"assignment_order": "balanced"})
    a, b, c = (agent.id for agent in world.agents)
    await add_conversations(engine, world, 4, assignee_id=a)
    await add_conversations(engine, world, 1, assignee_id=b)
    await add_conversations(engine, world, 6)
    result = await engine.assign_inbox(world.inbox.id)
    assert a not in assignees(result)
    loads = Counter({a: 4, b: 1}) + assignees(result)
    assert max(loads.values()) - min(loads[x] for x in (a, b, c)) <= 1


async def test_bad_input_is_a_typed_error(engine):
    with pytest.raises(errors.InboxNotFound, match="inbox 424242 not found"):
        await engine.assign_inbox(424242)
    for bad in (0, -1):
        with pytest.raises(errors.InvalidLimit, match="limit must be a positive integer"):
            await engine.assign_inbox(1, limit=bad)


async def test_manual_assignment_made_meanwhile_is_never_overwritten(engine, sink):
    """The claim re-checks each row: one assigned since the snapshot is skipped."""
    world = await seed_world(engine, conversations=2)
    from autoassign.services import assign as assign_service

    original = engine.store.inbox_batch

    def sneaky(inbox_id):
        cm = original(inbox_id)

        class Wrapped:
            async def __aenter__(self):
                batch = await cm.__aenter__()
                real_claim = batch.claim

                async def claim(planned, policy_id, now):
                    conn = batch._conn
                    from autoassign.adapters.sql.tables import conversations

                    await conn.execute(
                        conversations.update()
                        .where(conversations.c.id == world.conversation_ids[0])
                        .values(assignee_id=world.agents[2].id)
                    )
                    return await real_claim(planned, policy_id, now)

                batch.claim = claim
                return batch

            async def __aexit__(self, *exc):
                return await cm.__aexit__(*exc)

        return Wrapped()

    engine.store.inbox_batch = sneaky
    result = await assign_service.assign_inbox(
        world.inbox.id, store=engine.store, state=engine.state, clock=engine.clock, sink=sink
    )
    lost = next(o for o in result.outcomes if o.conversation_id == world.conversation_ids[0])
    assert lost.result == SkipReason.LOST_RACE.value
    got = await engine.catalog.get_conversation(world.account.id, world.conversation_ids[0])
    assert got.assignee_id == world.agents[2].id
    # the reserved window entry of the lost claim was released
    loaded = await engine.state.load_inbox(
        world.inbox.id, [world.agents[0].id], 3600, engine.clock.now()
    )
    assert loaded.window_counts[world.agents[0].id] == 0


async def test_production_backends_assign_and_rebuild_after_a_redis_flush(pg_engine, redis_client):
    world = await seed_world(
        pg_engine,
        conversations=12,
        policy={"fair_distribution_limit": 2, "fair_distribution_window": 600},
    )
    first = await pg_engine.assign_inbox(world.inbox.id, limit=3)
    redis_client.flushdb()
    second = await pg_engine.assign_inbox(world.inbox.id)
    totals = assignees(first) + assignees(second)
    assert sum(totals.values()) == 6
    assert max(totals.values()) == 2


async def test_explanation_names_the_next_agent_before_the_run(engine):
    from autoassign.services.explain import WOULD_ASSIGN

    world = await seed_world(engine, conversations=2)
    second = await engine.catalog.get_conversation(world.account.id, world.conversation_ids[1])
    why = await engine.explain(second)
    assert why.result == WOULD_ASSIGN
    assert why.next_agent_id == world.agents[0].id  # never-assigned agents go by id
    await engine.assign_inbox(world.inbox.id, limit=1)
    why = await engine.explain(second)
    assert why.next_agent_id == world.agents[1].id  # the rotation moved on


async def test_embedded_sweep_assigns_conversations_whose_trigger_was_lost(sqlite_url, clock):
    """Conversations written without any trigger are found by the in-process sweep."""
    import asyncio

    from autoassign.bootstrap import build
    from autoassign.config import Settings

    engine = build(Settings(database_url=sqlite_url, sweep_interval=1), clock=clock)
    try:
        world = await seed_world(engine, conversations=5)  # catalog writes: no trigger
        await engine.start()
        for _ in range(50):
            await engine.jobs.drain()
            assigned = [
                (await engine.catalog.get_conversation(world.account.id, cid)).assignee_id
                for cid in world.conversation_ids
            ]
            if all(assigned):
                break
            await asyncio.sleep(0.1)
        assert all(assigned)
    finally:
        await engine.aclose()
