"""Exact wake-ups: a batch says when time alone lets waiting work through (issue 11.1),
and dry runs never write the state store (issue 10.3). The clock is a fake one."""

from __future__ import annotations

from datetime import timedelta

from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.core.model import Presence
from autoassign.services import conversations, runs
from tests.factories import assign, seed_world

WINDOW = 600


async def test_a_batch_held_back_by_windows_says_when_they_open(sqlite_engine, clock):
    world = await seed_world(
        sqlite_engine,
        agents=(Presence.ONLINE, Presence.ONLINE),
        conversations=6,
        policy={"fair_distribution_limit": 2, "fair_distribution_window": WINDOW},
    )
    first = await assign(sqlite_engine, world.inbox.id)
    assert first.assigned == 4
    assert first.wake_at == clock.now() + timedelta(seconds=WINDOW)

    clock.advance(WINDOW - 1)
    early = await assign(sqlite_engine, world.inbox.id)
    assert early.assigned == 0
    assert early.wake_at == first.wake_at  # still the same moment

    clock.advance(1)
    on_time = await assign(sqlite_engine, world.inbox.id)
    assert on_time.assigned == 2
    assert on_time.wake_at is None  # nothing is left waiting


async def test_the_job_asks_for_its_wake_up(sqlite_engine, clock):
    world = await seed_world(
        sqlite_engine,
        agents=(Presence.ONLINE,),
        conversations=3,
        policy={"fair_distribution_limit": 1, "fair_distribution_window": 30},
    )
    result = await runs.run_inbox_job(sqlite_engine.deps, world.inbox.id)
    assert (result.again, result.wake_at) == (False, clock.now() + timedelta(seconds=30))


async def test_no_wake_up_when_only_events_can_help(sqlite_engine, clock):
    capacity = await seed_world(sqlite_engine, conversations=5, capacity=1)
    result = await assign(sqlite_engine, capacity.inbox.id)
    assert (result.assigned, result.wake_at) == (3, None)  # capacity frees by resolving
    nobody = await seed_world(sqlite_engine, agents=(Presence.OFFLINE,), conversations=2)
    assert (await assign(sqlite_engine, nobody.inbox.id)).wake_at is None
    done = await seed_world(sqlite_engine, conversations=2)
    assert (await assign(sqlite_engine, done.inbox.id)).wake_at is None


async def test_explaining_never_rebuilds_the_state_store(sqlite_engine, clock):
    """A dry run holds no inbox lock: rebuilding there could erase the entries a batch
    is writing meanwhile. It counts from the recorded assignments instead."""
    world = await seed_world(
        sqlite_engine,
        agents=(Presence.ONLINE,),
        conversations=2,
        policy={"fair_distribution_limit": 1, "fair_distribution_window": WINDOW},
    )
    await assign(sqlite_engine, world.inbox.id)
    state = sqlite_engine.state
    assert isinstance(state, MemoryStateStore)
    state.clear()  # as a Redis restart would
    waiting = world.conversation_ids[1]
    why = await conversations.explain_assignment(sqlite_engine.deps, world.account.id, waiting)
    assert why.result == "no_eligible_agent"
    assert dict(why.agents) == {world.agents[0].id: "rate_limited"}
    opens = clock.now() + timedelta(seconds=WINDOW)
    assert why.agents_until == {world.agents[0].id: opens}  # "rate_limited until …"
    assert why.waits_until == opens
    loaded = await state.load_inbox(world.inbox.id, [world.agents[0].id], WINDOW, clock.now())
    assert loaded.hydrated is False  # the store was left alone
