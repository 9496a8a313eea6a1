"""One WindowStore contract, three implementations: memory, Redis and PostgreSQL.

Fair-distribution windows and round-robin rotation: exact sliding windows, idempotent
per conversation, rebuilt from SQL when the store lost them. Also the store-wide checks
(reachability, outages as a typed error) that every state store shares.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from autoassign.core import errors
from autoassign.core.ports import History, RecordedAssignment, StateStore, WindowEntry, WindowStore
from autoassign.core.windows import frees_at, to_ms, window_cutoff_ms, window_start
from tests.factories import T0

WINDOW = 60


async def test_empty_store_is_not_hydrated(state: WindowStore):
    loaded = await state.load_inbox(1, [1, 2], WINDOW, T0)
    assert loaded.hydrated is False
    assert loaded.window_counts == {1: 0, 2: 0}
    assert loaded.rotation == {1: 0, 2: 0}


async def test_counting_never_erases_what_a_batch_with_an_older_clock_must_count(
    state: WindowStore,
):
    """Issue 10.1: a batch whose clock is behind (another machine, or one that read its
    clock before waiting for the inbox lock) still counts every entry in its window."""
    await state.hydrate(1, [1], History([]), WINDOW, T0)
    await state.record(1, [WindowEntry(1, 10)], {}, WINDOW, T0)
    ahead = T0 + timedelta(seconds=WINDOW + 5)
    assert (await state.load_inbox(1, [1], WINDOW, ahead)).window_counts == {1: 0}
    await state.record(1, [WindowEntry(1, 11)], {}, WINDOW, ahead)
    behind = T0 + timedelta(seconds=WINDOW - 5)
    assert (await state.load_inbox(1, [1], WINDOW, behind)).window_counts == {1: 2}


async def test_the_oldest_counted_entry_says_when_an_agent_frees(state: WindowStore):
    await state.hydrate(1, [1, 2], History([]), WINDOW, T0)
    await state.record(1, [WindowEntry(1, 10)], {}, WINDOW, T0)
    await state.record(1, [WindowEntry(1, 11)], {}, WINDOW, T0 + timedelta(seconds=10))
    loaded = await state.load_inbox(1, [1, 2], WINDOW, T0 + timedelta(seconds=20))
    assert loaded.oldest_ms == {1: to_ms(T0)}
    assert frees_at(loaded.oldest_ms[1], WINDOW) == T0 + timedelta(seconds=WINDOW)
    later = await state.load_inbox(1, [1, 2], WINDOW, T0 + timedelta(seconds=WINDOW))
    assert later.oldest_ms == {1: to_ms(T0 + timedelta(seconds=10))}


async def test_window_counts_are_an_exact_sliding_window(state: WindowStore):
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


async def test_an_entry_counts_one_millisecond_before_the_cutoff_and_not_at_it(
    state: WindowStore,
):
    """Every store applies the one rule of core.windows, to the millisecond."""
    await state.record(1, [WindowEntry(1, 10)], {}, WINDOW, T0)
    just_before = T0 + timedelta(seconds=WINDOW) - timedelta(milliseconds=1)
    at_the_cutoff = T0 + timedelta(seconds=WINDOW)
    assert (await state.load_inbox(1, [1], WINDOW, just_before)).window_counts == {1: 1}
    assert (await state.load_inbox(1, [1], WINDOW, at_the_cutoff)).window_counts == {1: 0}


async def test_recording_the_same_conversation_twice_counts_once(state: WindowStore):
    await state.record(1, [WindowEntry(1, 10)], {}, WINDOW, T0)
    await state.record(1, [WindowEntry(1, 10)], {}, WINDOW, T0 + timedelta(seconds=1))
    assert (await state.load_inbox(1, [1], WINDOW, T0)).window_counts == {1: 1}


async def test_one_batch_naming_a_conversation_twice_counts_it_once(state: WindowStore):
    await state.record(1, [WindowEntry(1, 10), WindowEntry(1, 10)], {}, WINDOW, T0)
    assert (await state.load_inbox(1, [1], WINDOW, T0)).window_counts == {1: 1}


async def test_windows_are_per_inbox_and_agent(state: WindowStore):
    await state.record(1, [WindowEntry(1, 10)], {}, WINDOW, T0)
    await state.record(2, [WindowEntry(1, 11), WindowEntry(2, 12)], {}, WINDOW, T0)
    assert (await state.load_inbox(1, [1, 2], WINDOW, T0)).window_counts == {1: 1, 2: 0}
    assert (await state.load_inbox(2, [1, 2], WINDOW, T0)).window_counts == {1: 1, 2: 1}


async def test_forget_releases_reserved_entries(state: WindowStore):
    await state.record(1, [WindowEntry(1, 10), WindowEntry(1, 11)], {}, WINDOW, T0)
    await state.forget(1, [WindowEntry(1, 10)])
    assert (await state.load_inbox(1, [1], WINDOW, T0)).window_counts == {1: 1}


async def test_a_large_batch_for_one_agent_is_recorded_whole(state: WindowStore):
    """Redis records a batch in one script, which adds entries in chunks."""
    entries = [WindowEntry(1, c) for c in range(1, 2_502)] + [WindowEntry(2, 1)]
    await state.record(1, entries, {1: 9, 2: 10}, WINDOW, T0)
    loaded = await state.load_inbox(1, [1, 2], WINDOW, T0)
    assert loaded.window_counts == {1: 2_501, 2: 1}
    assert loaded.rotation == {1: 9, 2: 10}


async def test_rotation_only_moves_forward(state: WindowStore):
    await state.record(1, [], {1: 5, 2: 3}, WINDOW, T0)
    await state.record(1, [], {1: 4, 2: 7}, WINDOW, T0)
    assert (await state.load_inbox(1, [1, 2, 3], WINDOW, T0)).rotation == {1: 5, 2: 7, 3: 0}


async def test_hydrate_replaces_state_and_marks_the_window(state: WindowStore):
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


async def test_hydrating_twice_gives_the_same_state(state: WindowStore):
    """Two rebuilds of one inbox (a batch and an explain) may run one after the other."""
    history = History([RecordedAssignment(1, 10, T0 - timedelta(seconds=10))], rotation={1: 1})
    await state.hydrate(1, [1, 2], history, WINDOW, T0)
    await state.hydrate(1, [1, 2], history, WINDOW, T0)
    loaded = await state.load_inbox(1, [1, 2], WINDOW, T0)
    assert (loaded.hydrated, loaded.window_counts, loaded.rotation) == (
        True,
        {1: 1, 2: 0},
        {1: 1, 2: 0},
    )


async def test_a_flush_loses_the_hydrated_marker_with_the_windows(
    state: WindowStore, flush_state: Callable[[], Awaitable[None]]
):
    """What makes a lost state safe: the store says so, and the batch rebuilds from SQL."""
    await state.hydrate(1, [1], History([]), WINDOW, T0)
    await state.record(1, [WindowEntry(1, 10)], {1: 3}, WINDOW, T0)
    await flush_state()
    loaded = await state.load_inbox(1, [1], WINDOW, T0)
    assert (loaded.hydrated, loaded.window_counts, loaded.rotation) == (False, {1: 0}, {1: 0})


def test_the_window_rule_lives_in_core():
    assert window_cutoff_ms(T0, WINDOW) == int(T0.timestamp() * 1000) - WINDOW * 1000
    assert window_start(T0, WINDOW) == T0 - timedelta(seconds=WINDOW)


async def test_ping_succeeds_on_a_live_store(state: StateStore):
    """The other half, a dead store's ping raising, is in the outage tests below."""
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

    dead = RedisStateStore.from_url("redis://127.0.0.1:1/0")
    with pytest.raises(errors.StateStoreUnavailable, match="state store unavailable"):
        await dead.load_inbox(1, [1], WINDOW, T0)
    with pytest.raises(errors.StateStoreUnavailable, match="state store unavailable"):
        await dead.ping()
    await dead.close()


@pytest.mark.postgres
async def test_postgres_outage_is_a_typed_error():
    from autoassign.adapters.state.postgres_store import PostgresStateStore

    dead = PostgresStateStore.from_url("postgresql://postgres@127.0.0.1:1/test")
    with pytest.raises(errors.StateStoreUnavailable, match="state store unavailable"):
        await dead.load_inbox(1, [1], WINDOW, T0)
    with pytest.raises(errors.StateStoreUnavailable, match="state store unavailable"):
        await dead.ping()
    await dead.close()


@pytest.mark.postgres
async def test_postgres_stores_on_one_database_share_windows(pg_url):
    """Two processes on one database see one window: the point of the store (D1)."""
    from autoassign.adapters.state.postgres_store import PostgresStateStore

    first, second = PostgresStateStore.from_url(pg_url), PostgresStateStore.from_url(pg_url)
    try:
        await first.hydrate(1, [1], History([]), WINDOW, T0)
        await first.record(1, [WindowEntry(1, 10)], {1: 4}, WINDOW, T0)
        loaded = await second.load_inbox(1, [1], WINDOW, T0)
        assert (loaded.hydrated, loaded.window_counts, loaded.rotation) == (True, {1: 1}, {1: 4})
    finally:
        await first.close()
        await second.close()


@pytest.mark.postgres
async def test_postgres_recording_drops_entries_that_left_the_window(postgres_state, pg_url):
    """The table does not grow without bound: a record trims the inbox's stale entries,
    once they are a whole window past the cutoff (``core.windows.trim_before_ms``)."""
    import psycopg

    def stored() -> list[tuple[int, int]]:
        with psycopg.connect(pg_url) as conn:
            query = "SELECT agent_id, conversation_id FROM state_windows ORDER BY 2"
            return [tuple(r) for r in conn.execute(query).fetchall()]

    await postgres_state.record(1, [WindowEntry(1, 10), WindowEntry(2, 11)], {}, WINDOW, T0)
    later = T0 + timedelta(seconds=WINDOW)
    await postgres_state.record(1, [WindowEntry(1, 12)], {}, WINDOW, later)
    assert stored() == [(1, 10), (2, 11), (1, 12)]  # out of the window, kept a while
    assert (await postgres_state.load_inbox(1, [1, 2], WINDOW, later)).window_counts == {1: 1, 2: 0}
    much_later = T0 + timedelta(seconds=2 * WINDOW)
    await postgres_state.record(1, [WindowEntry(1, 13)], {}, WINDOW, much_later)
    assert stored() == [(1, 12), (1, 13)]
