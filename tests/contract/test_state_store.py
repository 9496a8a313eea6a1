"""One contract, two implementations: MemoryStateStore and RedisStateStore."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from autoassign.core.ports import History, RecordedAssignment, StateStore, WindowEntry
from tests.factories import T0

WINDOW = 60


async def test_empty_store_is_not_hydrated(state: StateStore):
    loaded = await state.load_inbox(1, [1, 2], WINDOW, T0)
    assert loaded.hydrated is False
    assert loaded.window_counts == {1: 0, 2: 0}
    assert loaded.rotation == {1: 0, 2: 0}


async def test_window_counts_are_an_exact_sliding_window(state: StateStore):
    await state.hydrate(1, [1, 2], History([]), WINDOW, T0)
    await state.record(1, [WindowEntry(1, 10), WindowEntry(1, 11)], {}, WINDOW, T0)
    await state.record(1, [WindowEntry(1, 12)], {}, WINDOW, T0 + timedelta(seconds=30))
    assert (
        await state.load_inbox(1, [1, 2], WINDOW, T0 + timedelta(seconds=59))
    ).window_counts == {
        1: 3,
        2: 0,
    }
    # the first two leave the window exactly WINDOW seconds after they were recorded
    later = await state.load_inbox(1, [1, 2], WINDOW, T0 + timedelta(seconds=60))
    assert later.window_counts == {1: 1, 2: 0}
    assert (await state.load_inbox(1, [1], WINDOW, T0 + timedelta(seconds=91))).window_counts == {
        1: 0
    }


async def test_recording_the_same_conversation_twice_counts_once(state: StateStore):
    await state.record(1, [WindowEntry(1, 10)], {}, WINDOW, T0)
    await state.record(1, [WindowEntry(1, 10)], {}, WINDOW, T0 + timedelta(seconds=1))
    assert (await state.load_inbox(1, [1], WINDOW, T0)).window_counts == {1: 1}


async def test_windows_are_per_inbox_and_agent(state: StateStore):
    await state.record(1, [WindowEntry(1, 10)], {}, WINDOW, T0)
    await state.record(2, [WindowEntry(1, 11), WindowEntry(2, 12)], {}, WINDOW, T0)
    assert (await state.load_inbox(1, [1, 2], WINDOW, T0)).window_counts == {1: 1, 2: 0}
    assert (await state.load_inbox(2, [1, 2], WINDOW, T0)).window_counts == {1: 1, 2: 1}


async def test_forget_releases_reserved_entries(state: StateStore):
    await state.record(1, [WindowEntry(1, 10), WindowEntry(1, 11)], {}, WINDOW, T0)
    await state.forget(1, [WindowEntry(1, 10)])
    assert (await state.load_inbox(1, [1], WINDOW, T0)).window_counts == {1: 1}


async def test_a_large_batch_for_one_agent_is_recorded_whole(state: StateStore):
    """Redis records a batch in one script, which adds entries in chunks."""
    entries = [WindowEntry(1, c) for c in range(1, 2_502)] + [WindowEntry(2, 1)]
    await state.record(1, entries, {1: 9, 2: 10}, WINDOW, T0)
    loaded = await state.load_inbox(1, [1, 2], WINDOW, T0)
    assert loaded.window_counts == {1: 2_501, 2: 1}
    assert loaded.rotation == {1: 9, 2: 10}


async def test_rotation_only_moves_forward(state: StateStore):
    await state.record(1, [], {1: 5, 2: 3}, WINDOW, T0)
    await state.record(1, [], {1: 4, 2: 7}, WINDOW, T0)
    assert (await state.load_inbox(1, [1, 2, 3], WINDOW, T0)).rotation == {1: 5, 2: 7, 3: 0}


async def test_hydrate_replaces_state_and_marks_the_window(state: StateStore):
    await state.record(1, [WindowEntry(1, 99)], {1: 50}, WINDOW, T0)
    history = History(
        window_entries=[
            RecordedAssignment(1, 10, T0 - timedelta(seconds=10)),
            RecordedAssignment(2, 11, T0 - timedelta(seconds=20)),
            RecordedAssignment(2, 12, T0 - timedelta(seconds=WINDOW + 1)),  # already expired
        ],
        rotation={2: 1, 1: 2},
    )
    await state.hydrate(1, [1, 2, 3], history, WINDOW, T0)
    loaded = await state.load_inbox(1, [1, 2, 3], WINDOW, T0)
    assert loaded.hydrated is True
    assert loaded.window_counts == {1: 1, 2: 1, 3: 0}
    assert loaded.rotation == {1: 2, 2: 1, 3: 0}
    # a different window size means the state must be rebuilt for it
    assert (await state.load_inbox(1, [1], WINDOW * 2, T0)).hydrated is False


async def test_presence_expires(state: StateStore):
    await state.heartbeat(1, 7, T0, ttl_seconds=20)
    await state.heartbeat(1, 8, T0 - timedelta(seconds=15), ttl_seconds=20)
    assert await state.present(1, [7, 8, 9], T0) == {7, 8}
    assert await state.present(1, [7, 8, 9], T0 + timedelta(seconds=10)) == {7}
    assert await state.present(2, [7], T0) == set()  # per account
    assert await state.present(1, [], T0) == set()


async def test_lock_is_exclusive_and_released_only_by_its_holder(state: StateStore):
    assert await state.acquire_lock("inbox:1", "a", 5)
    assert not await state.acquire_lock("inbox:1", "b", 5)
    assert not await state.release_lock("inbox:1", "b")
    assert await state.release_lock("inbox:1", "a")
    assert await state.acquire_lock("inbox:1", "b", 5)


async def test_lock_expires(state: StateStore):
    assert await state.acquire_lock("inbox:2", "a", 0.05)
    await asyncio.sleep(0.12)
    assert await state.acquire_lock("inbox:2", "b", 5)
    assert not await state.release_lock("inbox:2", "a")  # a stale holder frees nothing


async def test_ping(state: StateStore):
    await state.ping()


@pytest.mark.redis
async def test_redis_cost_does_not_depend_on_unrelated_keys(redis_state, redis_client):
    """The window count touches only the agent's own key: no keyspace scan."""
    redis_client.mset({f"unrelated:{i}": "x" for i in range(20_000)})
    await redis_state.record(1, [WindowEntry(1, 10)], {}, WINDOW, T0)
    before = (
        redis_client.info("stats")["keyspace_hits"] + redis_client.info("stats")["keyspace_misses"]
    )
    assert (await redis_state.load_inbox(1, [1], WINDOW, T0)).window_counts == {1: 1}
    after = (
        redis_client.info("stats")["keyspace_hits"] + redis_client.info("stats")["keyspace_misses"]
    )
    assert after - before <= 5  # marker, rotation score, the one window key: a constant


@pytest.mark.redis
async def test_redis_outage_is_a_typed_error():
    from autoassign.adapters.state.redis_store import RedisStateStore
    from autoassign.core import errors

    dead = RedisStateStore.from_url("redis://127.0.0.1:1/0")
    with pytest.raises(errors.StateStoreUnavailable, match="state store unavailable"):
        await dead.load_inbox(1, [1], WINDOW, T0)
    await dead.close()


async def test_run_gate_coalesces_triggers_and_loses_none(state: StateStore):
    assert await state.request_run("inbox:1", 5) is True  # queue a run
    assert await state.request_run("inbox:1", 5) is False  # already queued
    await state.claim_run("inbox:1", 5)  # the run starts: earlier triggers are covered
    assert await state.finish_run("inbox:1", 5) is False  # nothing new: released
    assert await state.request_run("inbox:1", 5) is True  # so the next trigger queues
    await state.claim_run("inbox:1", 5)
    assert await state.request_run("inbox:1", 5) is False  # arrives mid-run
    assert await state.finish_run("inbox:1", 5) is True  # so the run goes again
    assert await state.finish_run("inbox:1", 5) is False  # and then lets go
    assert await state.request_run("inbox:2", 5) is True  # gates are per name


async def test_run_gate_expires(state: StateStore):
    assert await state.request_run("inbox:3", 0.05) is True
    await asyncio.sleep(0.12)
    assert await state.request_run("inbox:3", 5) is True  # a dead holder frees it in time
