"""assign_inbox end to end on each SQL back end (memory state), plus PG + Redis."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from autoassign.core import errors
from autoassign.core.drafts import Membership
from autoassign.core.model import Presence, Status
from autoassign.core.reasons import AgentReason, OutcomeKind, SkipReason
from autoassign.core.views import ConversationView
from autoassign.services import agents, conversations, inboxes
from autoassign.services.explain import Explanation
from tests.factories import (
    add_conversations,
    add_team,
    assign,
    conversation,
    seed_world,
    set_status,
)


async def explain(engine, target: ConversationView) -> Explanation:
    return await conversations.explain_assignment(engine.deps, target.account_id, target.id)


def assignees(result) -> Counter[int]:
    return Counter(o.agent_id for o in result.outcomes if o.result is OutcomeKind.ASSIGNED)


async def test_assigns_round_robin_and_records_each_assignment(engine, sink):
    world = await seed_world(engine, conversations=7)
    result = await assign(engine, world.inbox.id)
    assert result.assigned == 7
    assert sorted(assignees(result).values()) == [2, 2, 3]
    for o in result.outcomes:
        stored = await conversation(engine, world.account.id, o.conversation_id)
        assert stored.assignee_id == o.agent_id
    events = sink.events
    assert len(events) == 7  # one event per assignment, never two
    assert {e.conversation_id for e in events} == set(world.conversation_ids)
    assert all(e.name == "assignee_changed" and e.policy_id == world.policy.id for e in events)


async def test_rotation_carries_over_between_batches(engine):
    world = await seed_world(engine, conversations=4)
    first = await assign(engine, world.inbox.id, limit=2)
    second = await assign(engine, world.inbox.id, limit=2)
    order = [o.agent_id for o in first.outcomes] + [o.agent_id for o in second.outcomes]
    agents = [a.id for a in world.agents]
    assert order == [agents[0], agents[1], agents[2], agents[0]]


async def test_capacity_holds_across_batches_and_frees_on_resolve(engine):
    world = await seed_world(engine, conversations=10, capacity=2)
    result = await assign(engine, world.inbox.id)
    assert result.assigned == 6
    assert set(assignees(result).values()) == {2}
    skipped = [o for o in result.outcomes if o.result is not OutcomeKind.ASSIGNED]
    assert {o.result for o in skipped} == {SkipReason.NO_ELIGIBLE_AGENT.value}
    assert {o.result for o in skipped} == {OutcomeKind.NO_ELIGIBLE_AGENT}
    assert result.skip_reasons == [SkipReason.NO_ELIGIBLE_AGENT] * 4
    assert set(skipped[0].agents.values()) == {AgentReason.AT_CAPACITY}
    assert (await assign(engine, world.inbox.id)).assigned == 0
    first = next(o for o in result.outcomes if o.result is OutcomeKind.ASSIGNED)
    await set_status(engine, world, first.conversation_id, Status.RESOLVED)
    again = await assign(engine, world.inbox.id)
    assert again.assigned == 1
    assert assignees(again) == {first.agent_id: 1}


async def test_fair_distribution_window_limits_and_then_frees(engine):
    world = await seed_world(
        engine,
        conversations=10,
        policy={"fair_distribution_limit": 2, "fair_distribution_window": 600},
    )
    assert (await assign(engine, world.inbox.id)).assigned == 6
    limited = await assign(engine, world.inbox.id)
    assert limited.assigned == 0
    assert set(limited.outcomes[0].agents.values()) == {AgentReason.RATE_LIMITED}
    engine.clock.advance(599)
    assert (await assign(engine, world.inbox.id)).assigned == 0
    engine.clock.advance(1)
    assert (await assign(engine, world.inbox.id)).assigned == 4


async def test_losing_the_state_store_breaks_no_limit(engine):
    world = await seed_world(
        engine,
        conversations=12,
        policy={"fair_distribution_limit": 2, "fair_distribution_window": 600},
    )
    first = await assign(engine, world.inbox.id, limit=4)
    engine.state.clear()  # as a Redis restart would
    second = await assign(engine, world.inbox.id)
    totals = assignees(first) + assignees(second)
    assert max(totals.values()) <= 2
    assert sum(totals.values()) == 6
    # the rotation was rebuilt from SQL too: the agent served least recently went first
    assert second.outcomes[0].agent_id == world.agents[1].id


async def test_disabled_policy_no_policy_and_disabled_inbox_assign_nothing(engine, sink):
    disabled = await seed_world(engine, conversations=2, policy={"enabled": False})
    assert (await assign(engine, disabled.inbox.id)).skipped is SkipReason.POLICY_DISABLED
    assert (await assign(engine, disabled.inbox.id)).skip_reasons == [SkipReason.POLICY_DISABLED]
    off = await seed_world(engine, conversations=2, enable_auto_assignment=False)
    assert (await assign(engine, off.inbox.id)).skipped is SkipReason.INBOX_DISABLED
    for world in (disabled, off):
        for cid in world.conversation_ids:
            assert (await conversation(engine, world.account.id, cid)).assignee_id is None
    assert sink.events == []


async def test_only_online_members_are_chosen(engine):
    world = await seed_world(
        engine, agents=[Presence.OFFLINE, Presence.BUSY, Presence.ONLINE], conversations=3
    )
    result = await assign(engine, world.inbox.id)
    assert assignees(result) == {world.agents[2].id: 3}
    assert result.agent_filters == {
        world.agents[0].id: AgentReason.OFFLINE,
        world.agents[1].id: AgentReason.BUSY,
    }


async def test_nobody_online_explains_itself(engine):
    world = await seed_world(engine, agents=[Presence.OFFLINE], conversations=1)
    result = await assign(engine, world.inbox.id)
    assert result.outcomes[0].result == SkipReason.NO_AGENT_ONLINE.value
    assert result.outcomes[0].result is OutcomeKind.NO_AGENT_ONLINE


async def test_auto_offline_agents_need_a_fresh_heartbeat(engine):
    world = await seed_world(engine, agents=[Presence.ONLINE], conversations=2)
    from autoassign.core.model import Agent

    watcher = await agents.create_agent(
        engine.deps,
        Agent(0, world.account.id, "hb", availability=Presence.ONLINE, auto_offline=True),
    )
    await inboxes.change_members(
        engine.deps, world.account.id, world.inbox.id, [watcher.id], Membership.ADD
    )
    first = await assign(engine, world.inbox.id, limit=1)
    assert first.agent_filters == {watcher.id: AgentReason.PRESENCE_EXPIRED}
    await agents.heartbeat(engine.deps, world.account.id, watcher.id)
    second = await assign(engine, world.inbox.id, limit=1)
    assert assignees(second) == {watcher.id: 1}
    with pytest.raises(errors.AgentNotFound):
        await agents.heartbeat(engine.deps, world.account.id + 1000, watcher.id)


async def test_team_conversations_stay_in_the_team(engine):
    world = await seed_world(engine, conversations=0)
    team = await add_team(engine, world, [world.agents[2].id])
    closed_team = await add_team(engine, world, [world.agents[0].id], allow=False)
    await add_conversations(engine, world, 3, team_id=team.id)
    blocked = await add_conversations(engine, world, 1, team_id=closed_team.id)
    result = await assign(engine, world.inbox.id)
    assert assignees(result) == {world.agents[2].id: 3}
    outcome = next(o for o in result.outcomes if o.conversation_id == blocked[0])
    assert outcome.result == SkipReason.TEAM_AUTO_ASSIGN_DISABLED.value
    assert outcome.result is OutcomeKind.TEAM_AUTO_ASSIGN_DISABLED


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
    result = await assign(engine, world.inbox.id)
    assert [o.conversation_id for o in result.outcomes] == ok


async def test_balanced_policy_levels_open_loads(engine):
    world = await seed_world(engine, conversations=0, policy={"assignment_order": "balanced"})
    a, b, c = (agent.id for agent in world.agents)
    await add_conversations(engine, world, 4, assignee_id=a)
    await add_conversations(engine, world, 1, assignee_id=b)
    await add_conversations(engine, world, 6)
    result = await assign(engine, world.inbox.id)
    assert a not in assignees(result)
    loads = Counter({a: 4, b: 1}) + assignees(result)
    assert max(loads.values()) - min(loads[x] for x in (a, b, c)) <= 1


async def test_bad_input_is_a_typed_error(engine):
    with pytest.raises(errors.InboxNotFound, match="inbox 424242 not found"):
        await assign(engine, 424242)
    for bad in (0, -1):
        with pytest.raises(errors.InvalidLimit, match="limit must be a positive integer"):
            await assign(engine, 1, limit=bad)


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
    assert lost.result is OutcomeKind.LOST_RACE
    assert lost.agent_id is None
    got = await conversation(engine, world.account.id, world.conversation_ids[0])
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
    first = await assign(pg_engine, world.inbox.id, limit=3)
    redis_client.flushdb()
    second = await assign(pg_engine, world.inbox.id)
    totals = assignees(first) + assignees(second)
    assert sum(totals.values()) == 6
    assert max(totals.values()) == 2


async def test_explanation_names_the_next_agent_before_the_run(engine):
    world = await seed_world(engine, conversations=2)
    second = await conversation(engine, world.account.id, world.conversation_ids[1])
    why = await explain(engine, second)
    assert why.result == "would_be_assigned"
    assert why.result is OutcomeKind.WOULD_ASSIGN
    assert why.next_agent_id == world.agents[0].id  # never-assigned agents go by id
    await assign(engine, world.inbox.id, limit=1)
    why = await explain(engine, second)
    assert why.next_agent_id == world.agents[1].id  # the rotation moved on


async def test_explanation_says_assigned_or_why_not_with_each_agents_reason(engine):
    world = await seed_world(
        engine, agents=[Presence.ONLINE, Presence.BUSY], conversations=2, capacity=1
    )
    await assign(engine, world.inbox.id)
    first, second = [
        await conversation(engine, world.account.id, cid) for cid in world.conversation_ids
    ]
    why = await explain(engine, first)
    assert why.result is OutcomeKind.ASSIGNED
    assert why.assignment is not None
    assert why.assignment.agent_id == first.assignee_id == world.agents[0].id
    why = await explain(engine, second)
    assert why.result is OutcomeKind.NO_ELIGIBLE_AGENT
    assert why.agents == {
        world.agents[0].id: AgentReason.AT_CAPACITY,
        world.agents[1].id: AgentReason.BUSY,
    }
    off = await seed_world(engine, conversations=1, enable_auto_assignment=False)
    waiting = await conversation(engine, off.account.id, off.conversation_ids[0])
    assert (await explain(engine, waiting)).result is OutcomeKind.INBOX_DISABLED


async def test_embedded_sweep_assigns_conversations_whose_trigger_was_lost(sqlite_url, clock):
    """Conversations written without any trigger are found by the in-process sweep."""
    import asyncio

    from autoassign.bootstrap import build
    from autoassign.config import Settings

    engine = build(Settings(database_url=sqlite_url, sweep_interval=1), clock=clock)
    try:
        world = await seed_world(
            engine, conversations=5
        )  # service writes: their runs are not queued
        await engine.start()
        for _ in range(50):
            await engine.jobs.drain()
            assigned = [
                (await conversation(engine, world.account.id, cid)).assignee_id
                for cid in world.conversation_ids
            ]
            if all(assigned):
                break
            await asyncio.sleep(0.1)
        assert all(assigned)
    finally:
        await engine.aclose()
