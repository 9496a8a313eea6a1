"""A committed change leads to a run even if its process dies the next instant (issue
10.7): the change wrote a run request in its own transaction, and with no batch taking
it, the relay queues the run, past a run gate the dead process left held. The sweep is an
hour away, so only the relay can do it."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import pytest

from autoassign.adapters.jobs.procrastinate_queue import gate_name
from autoassign.bootstrap import build
from autoassign.config import Settings
from autoassign.services import runs
from tests.conftest import REDIS_URL
from tests.factories import assign, conversation, seed_world
from tests.integration.workers import workers


async def test_a_request_no_batch_took_is_relayed_and_a_batch_takes_it(sqlite_engine, clock):
    world = await seed_world(sqlite_engine, conversations=1)  # its run is never queued
    deps = sqlite_engine.deps
    assert await runs.lost_run_requests(deps) == []  # young: its run may be on the way
    clock.advance(runs.REQUEST_RELAY_AFTER.total_seconds() + 1)
    assert await runs.lost_run_requests(deps) == [world.inbox.id]
    await assign(sqlite_engine, world.inbox.id)  # the batch takes the request
    assert await runs.lost_run_requests(deps) == []
    clock.advance(timedelta(days=1).total_seconds())
    assert await runs.lost_run_requests(deps) == []


@pytest.mark.timeout(120)
@pytest.mark.parametrize("with_redis", [True, False], ids=["postgres+redis", "postgres"])
async def test_a_trigger_whose_process_died_is_still_assigned(pg_url, redis_client, with_redis):
    prefix = f"lost{uuid.uuid4().hex[:6]}"
    settings = Settings(
        database_url=pg_url,
        redis_url=REDIS_URL if with_redis else None,
        redis_prefix=prefix,
        sweep_interval=3600,
    )
    engine = build(settings)
    try:
        world = await seed_world(engine, conversations=3)  # committed; no run queued
        # the dying process had taken the inbox's run gate: every later trigger would
        # wait for the gate's TTL
        assert await engine.state.request_run(gate_name(world.inbox.id), 600)
        env = {
            "AUTOASSIGN_DATABASE_URL": pg_url,
            "AUTOASSIGN_REDIS_PREFIX": prefix,
            "AUTOASSIGN_SWEEP_INTERVAL": "3600",
        }
        if with_redis:
            env["AUTOASSIGN_REDIS_URL"] = REDIS_URL
        started = time.monotonic()
        with workers(1, _env(env)):
            ids = world.conversation_ids
            while time.monotonic() - started < 60:
                found = [await conversation(engine, world.account.id, c) for c in ids]
                if all(c.assignee_id is not None for c in found):
                    break
                await asyncio.sleep(0.25)
        waited = time.monotonic() - started
        assert all(c.assignee_id is not None for c in found), f"waited {waited:.1f} s"
        assert waited < 20  # worker start + relay age (5 s) + relay period (2 s)
    finally:
        await engine.aclose()


def _env(extra: dict[str, str]) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOASSIGN_")}
    env.update(extra)
    return env
