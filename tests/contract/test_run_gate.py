"""One RunGate contract, three implementations: memory, Redis and PostgreSQL.

A burst of triggers queues one run; a trigger that arrives during a run makes it go
again; and no trigger is lost, even when the store loses the gate mid-run (defect D2).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from autoassign.core.ports import RunGate


async def test_run_gate_coalesces_triggers_and_loses_none(state: RunGate):
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


async def test_run_gate_expires(state: RunGate):
    assert await state.request_run("inbox:3", 0.05) is True
    await asyncio.sleep(0.12)
    assert await state.request_run("inbox:3", 5) is True  # a dead holder frees it in time


async def test_a_flush_during_a_run_loses_no_trigger(
    state: RunGate, flush_state: Callable[[], Awaitable[None]]
):
    """D2: the trigger that arrived mid-run was recorded only in the state the flush lost,
    so a run that finds its gate gone must go again."""
    assert await state.request_run("inbox:4", 5) is True
    await state.claim_run("inbox:4", 5)
    assert await state.request_run("inbox:4", 5) is False  # recorded as "go again"
    await flush_state()  # ...and that record is gone
    assert await state.finish_run("inbox:4", 5) is True  # so the run goes again
    assert await state.request_run("inbox:4", 5) is False  # holding the gate again
    assert await state.finish_run("inbox:4", 5) is True  # for that trigger
    assert await state.finish_run("inbox:4", 5) is False  # and then lets go
    assert await state.request_run("inbox:4", 5) is True


async def test_a_run_that_outlived_its_gate_goes_again(state: RunGate):
    """An expired gate is a lost gate: a trigger may have found it free and then lost its
    record with it, so the run does not assume nothing came."""
    assert await state.request_run("inbox:5", 0.05) is True
    await state.claim_run("inbox:5", 0.05)
    await asyncio.sleep(0.12)
    assert await state.finish_run("inbox:5", 5) is True
    assert await state.finish_run("inbox:5", 5) is False


@pytest.mark.postgres
async def test_postgres_gate_is_shared_by_every_process(pg_url):
    """Taken in one process (the API), released in another (a worker): D1's gate half."""
    from autoassign.adapters.state.postgres_store import PostgresStateStore

    api, worker = PostgresStateStore.from_url(pg_url), PostgresStateStore.from_url(pg_url)
    try:
        assert await api.request_run("inbox:6", 60) is True
        await worker.claim_run("inbox:6", 60)
        assert await api.request_run("inbox:6", 60) is False
        assert await worker.finish_run("inbox:6", 60) is True
        assert await worker.finish_run("inbox:6", 60) is False
        assert await api.request_run("inbox:6", 60) is True
    finally:
        await api.close()
        await worker.close()


@pytest.mark.postgres
async def test_postgres_concurrent_triggers_take_the_gate_once(pg_url):
    from autoassign.adapters.state.postgres_store import PostgresStateStore

    stores = [PostgresStateStore.from_url(pg_url) for _ in range(4)]
    try:
        took = await asyncio.gather(
            *(s.request_run("inbox:7", 60) for s in stores for _ in range(10))
        )
        assert sorted(took) == [False] * 39 + [True]
    finally:
        for s in stores:
            await s.close()
