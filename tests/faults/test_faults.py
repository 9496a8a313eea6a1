"""Fault injection on real processes (issue 10, Tests): the suite's own PostgreSQL and
Redis servers, `autoassign worker` and `autoassign serve` processes, killed, stopped,
flushed and restarted; after every scenario the invariants are checked in SQL, with the
periodic sweep an hour away, and every assignment's webhook must reach the suite's
receiver. ``make faults`` runs the full profile; ``make test`` the short one. Sizes:
tests/faults/profile.py; method and results: docs/faults.md."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from datetime import datetime

import httpx2
import psycopg
import pytest
from psycopg.types.json import Jsonb

from autoassign.adapters.jobs.procrastinate_queue import ASSIGN_TASK, QUEUE, inbox_lock
from autoassign.bootstrap import Engine
from tests.faults import profile
from tests.faults.conftest import Stack
from tests.faults.fleet import Fleet
from tests.faults.harness import (
    ManualRuns,
    Sentinel,
    now,
    record,
    recovery,
    settle,
    watch_webhooks,
    workers_ready,
)
from tests.faults.invariants import wait_for
from tests.faults.world import LIMIT, Traffic, World, add_conversations, seed

P = profile.current()
pytestmark = [pytest.mark.faults, pytest.mark.timeout(P.timeout)]

#: recovery bounds (s): worker death is noticed after 2 s without a heartbeat (checked
#: every 1 s); a lost trigger is relayed after 5 s (every 2 s); a run gate left held
#: expires after 10 s; the last conversations then wait up to one 3-s window per round
WORKER_BOUND = 30.0
REDIS_BOUND = 30.0
PG_BOUND = 45.0
API_BOUND = 30.0
WEDGED_AFTER = 10.0  # AUTOASSIGN_WEDGED_AFTER in tests/faults/fleet.py


async def _burst(engine: Engine, world: World) -> None:
    """One window's worth per agent and one more each, in every inbox, just before a
    fault: work is in flight when it strikes and must wait for a window to open (a
    wake-up) after it."""
    per_inbox = {i: len(world.members[i]) * (LIMIT + 1) for i in world.inbox_ids}
    with contextlib.suppress(Exception):
        await add_conversations(engine, world, per_inbox)


async def _warm_up(stack: Stack) -> None:
    """Until the initial backlog is assigned (traffic flowing), so that each recovery
    measured afterwards is the fault's, not the backlog's."""
    drained = await wait_for(stack.probe, before=now(), within=120)
    assert drained is not None, "the initial backlog was not assigned in 120 s"


def _spread(total: int, inbox_ids: list[int]) -> dict[int, int]:
    share, extra = divmod(total, len(inbox_ids))
    return {inbox_id: share + (1 if i < extra else 0) for i, inbox_id in enumerate(inbox_ids)}


async def _under_traffic(
    stack: Stack, inbox_count: int, agents: int, workers: int, backlog: int
) -> tuple[Engine, World, Fleet, Sentinel, Traffic, datetime]:
    """The running system every scenario injects its fault into: seeded inboxes, a worker
    fleet, the invariant sentinel, a backlog and steady traffic. The last value is when
    the backlog began to be added."""
    engine = await stack.engine()
    world = await seed(engine, inbox_count=inbox_count, agents=agents)
    await watch_webhooks(stack, engine, world.account_id)
    fleet = stack.fleet(workers)
    await workers_ready(stack.probe, workers)
    sentinel = Sentinel(stack)
    sentinel.start()
    stack.on_close(sentinel.cancel)
    started = now()
    await add_conversations(engine, world, _spread(backlog, world.inbox_ids))
    traffic = Traffic(engine, world, P.rate, seed=f"{profile.SEED}-traffic")
    traffic.start()
    stack.on_close(traffic.cancel)
    return engine, world, fleet, sentinel, traffic, started


async def test_racing_workers_never_exceed_a_window(stack: Stack):
    """(1) 8 workers and "run now" batches race on a few thousand conversations under
    3-per-3-s windows; no window of any agent ever holds more than 3."""
    engine, world, fleet, sentinel, traffic, started = await _under_traffic(
        stack, P.race_inboxes, P.race_agents, P.race_workers, P.race_conversations
    )
    manual = ManualRuns(engine, world, seed=f"{profile.SEED}-manual")
    stack.on_close(manual.cancel)
    # the backlog drains at about (agents x 1 per s) while traffic keeps coming
    drained = await wait_for(stack.probe, before=started, within=180)
    await traffic.stop()
    await manual.stop()
    await record(stack, f"{P.race_workers} racing workers: backlog drained", drained, 180)
    assert drained is not None, "the backlog was not drained in 180 s"
    assert manual.batches > 0
    await settle(stack, fleets=(fleet,))
    assert await sentinel.stop() == []


async def test_workers_killed_at_random_moments(stack: Stack):
    """(2) kill -9 of one or two workers at random moments, each restarted; recovery
    is measured without new traffic."""
    engine, world, fleet, sentinel, traffic, _ = await _under_traffic(
        stack, P.inboxes, P.agents, P.workers, P.backlog
    )
    await _warm_up(stack)
    chance = random.Random(f"{profile.SEED}-kills")
    rounds = ["kill"] * P.worker_kills + ["control"] * P.controls
    chance.shuffle(rounds)
    for kind in rounds:
        traffic.resume()
        await asyncio.sleep(chance.uniform(0.3, 2.5))
        await _burst(engine, world)
        await asyncio.sleep(chance.uniform(0, 0.5))
        victims = chance.sample(range(P.workers), chance.choice((1, 1, 2)))
        if kind == "control":
            victims = []  # the same burst and timing, and no fault: the baseline
        for slot in victims:
            fleet.kill(slot)
        await asyncio.sleep(chance.uniform(0, 1.0))
        for slot in victims:
            fleet.restart(slot)
        healed = now()
        traffic.pause()
        label = "worker kill -9 and restart" if victims else "no fault (control round)"
        took = await recovery(stack, label, healed, WORKER_BOUND)
        assert took is not None, f"not recovered {WORKER_BOUND} s after: {label}"
    await traffic.stop()
    await settle(stack, fleets=(fleet,))
    assert await sentinel.stop() == []


async def test_redis_restarted_from_snapshot_and_flushed(stack: Stack):
    """(3) Redis killed (SIGKILL) and restarted from its RDB snapshot, which holds older
    window entries, gates and "hydrated" markers; and Redis flushed (FLUSHALL)."""
    engine, world, fleet, sentinel, traffic, _ = await _under_traffic(
        stack, P.inboxes, P.agents, P.workers, P.backlog
    )
    await _warm_up(stack)
    chance = random.Random(f"{profile.SEED}-redis")
    faults = ["restart"] * P.redis_restarts + ["flush"] * P.redis_flushes
    chance.shuffle(faults)
    for fault in faults:
        traffic.resume()
        await asyncio.sleep(chance.uniform(1.0, 2.5))  # a snapshot a second old or so
        await _burst(engine, world)
        await asyncio.sleep(chance.uniform(0, 0.5))
        if fault == "restart":
            stack.redis.kill()
            await asyncio.sleep(chance.uniform(0.2, 1.5))
            stack.redis.start()
            label = "Redis kill -9, restart from snapshot"
        else:
            stack.redis.flushall()
            label = "Redis FLUSHALL"
        healed = now()
        traffic.pause()
        took = await recovery(stack, label, healed, REDIS_BOUND)
        assert took is not None, f"not recovered {REDIS_BOUND} s after {label}"
    await traffic.stop()
    await settle(stack, fleets=(fleet,))
    assert await sentinel.stop() == []


async def test_postgres_backends_terminated_and_server_stopped(stack: Stack):
    """(4) every backend terminated, and the server stopped for ~10 s: workers ride it
    out and reconnect by themselves (none exits)."""
    engine, world, fleet, sentinel, traffic, _ = await _under_traffic(
        stack, P.inboxes, P.agents, P.workers, P.backlog
    )
    await _warm_up(stack)
    chance = random.Random(f"{profile.SEED}-postgres")
    faults = ["terminate"] * P.pg_terminations + ["stop"] * P.pg_stops
    chance.shuffle(faults)
    for fault in faults:
        traffic.resume()
        await asyncio.sleep(chance.uniform(1.0, 2.5))
        await _burst(engine, world)
        await asyncio.sleep(chance.uniform(0, 0.5))
        if fault == "terminate":
            stack.pg.terminate_backends(stack.database)
            label = "PostgreSQL backends terminated"
        else:
            await asyncio.to_thread(stack.pg.stop, "fast")
            await asyncio.sleep(P.pg_outage)
            await asyncio.to_thread(stack.pg.start)
            label = f"PostgreSQL stopped {P.pg_outage:.0f} s, started"
        healed = now()
        traffic.pause()
        took = await recovery(stack, label, healed, PG_BOUND)
        assert took is not None, f"not recovered {PG_BOUND} s after: {label}"
        assert not fleet.exited(), f"workers exited: {fleet.exited()}"
    await traffic.stop(errors_allowed=True)
    await settle(stack, fleets=(fleet,))
    assert await sentinel.stop() == []


#: the PostgreSQL-only state store (no Redis) too, in the full profile
STATE_STORES = {"postgres+redis": True} | ({"postgres": False} if P.name == "full" else {})


@pytest.mark.parametrize("with_redis", STATE_STORES.values(), ids=STATE_STORES.keys())
async def test_api_killed_right_after_answering_creates(stack: Stack, with_redis: bool):
    """(5) `autoassign serve` SIGKILLed as soon as it answered the first of a burst of
    concurrent creates: the background tasks that queue runs die with it, and creates
    still in flight may have committed without an answer. With no other traffic and no
    sweep, every conversation it created is still assigned."""
    engine = await stack.engine(with_redis=with_redis)
    world = await seed(engine, inbox_count=P.inboxes, agents=P.agents, capped=False)
    await watch_webhooks(stack, engine, world.account_id)
    fleet = stack.fleet(2, with_redis=with_redis)
    api = stack.api(with_redis=with_redis)
    await workers_ready(stack.probe, 2)
    chance = random.Random(f"{profile.SEED}-api")
    headers = {"api_access_token": world.token}
    path = f"/api/v1/accounts/{world.account_id}/conversations"
    label = "API kill -9 right after answering creates" + ("" if with_redis else " (no Redis)")
    for _ in range(P.api_kills):
        api.spawn()
        await asyncio.to_thread(api.ready)
        before = await stack.probe.scalar("SELECT coalesce(max(id), 0) FROM conversations")
        async with httpx2.AsyncClient(base_url=api.base, headers=headers, timeout=30) as client:
            posts = [
                asyncio.create_task(
                    client.post(path, json={"inbox_id": chance.choice(world.inbox_ids)})
                )
                for _ in range(P.api_creates)
            ]
            answered, _ = await asyncio.wait(posts, return_when=asyncio.FIRST_COMPLETED)
            api.kill()
            await asyncio.gather(*posts, return_exceptions=True)
        assert all(t.result().status_code == 200 for t in answered)
        ids = [
            int(row[0])
            for row in await stack.probe.rows(
                "SELECT id FROM conversations WHERE id > %(id)s", {"id": before}
            )
        ]
        assert len(ids) >= len(answered)
        took = await _all_assigned(stack, ids, API_BOUND)
        await record(stack, label, took, API_BOUND)
        assert took is not None, f"created conversations not assigned {API_BOUND} s after"
    await settle(stack, fleets=(fleet,))


async def _all_assigned(stack: Stack, ids: list[int], bound: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < bound:
        left = await stack.probe.scalar(
            "SELECT count(*) FROM conversations WHERE id = ANY(%(ids)s) AND assignee_id IS NULL",
            {"ids": ids},
        )
        if left == 0:
            return time.monotonic() - started
        await asyncio.sleep(0.25)
    return None


async def test_a_wedged_job_unblocks_its_inbox(stack: Stack):
    """(6) a job left ``doing`` while its worker heartbeats (as when its final status
    write hit a killed connection) holds its inbox's lock; recovery fails it after
    ``AUTOASSIGN_WEDGED_AFTER`` and the inbox runs again."""
    engine = await stack.engine()
    world = await seed(engine, inbox_count=P.inboxes, agents=P.agents, capped=False)
    await watch_webhooks(stack, engine, world.account_id)
    fleet = stack.fleet(2)
    await workers_ready(stack.probe, 2)
    chance = random.Random(f"{profile.SEED}-wedges")
    for round_number in range(P.wedges):
        inbox_id = chance.choice(world.inbox_ids)
        wedged_at = now()
        job_id = await asyncio.to_thread(_wedge, stack, inbox_id)
        await add_conversations(engine, world, {inbox_id: 3})
        took = await recovery(
            stack, "job wedged doing, worker heartbeating", wedged_at, 30, before=now()
        )
        assert took is not None, f"round {round_number}: the inbox stayed blocked"
        assert took >= WEDGED_AFTER - 1, f"the wedge did not block the inbox ({took:.1f} s)"
        status = await stack.probe.scalar(
            "SELECT count(*) FROM procrastinate_jobs WHERE id = %(id)s AND status = 'failed'",
            {"id": job_id},
        )
        assert status == 1, "the wedged job was not marked failed"
    await settle(stack, fleets=(fleet,))


def _wedge(stack: Stack, inbox_id: int) -> int:
    """A job of ``inbox_id`` made ``doing`` under a live worker, as a lost final status
    write leaves it (a sibling running now makes it wait and try again)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            with psycopg.connect(stack.url, autocommit=True) as conn, conn.transaction():
                row = conn.execute(
                    "SELECT id FROM procrastinate_workers ORDER BY last_heartbeat DESC LIMIT 1"
                ).fetchone()
                assert row is not None, "no worker heartbeats"
                job = conn.execute(
                    "INSERT INTO procrastinate_jobs (queue_name, task_name, lock, args)"
                    " VALUES (%s, %s, %s, %s) RETURNING id",
                    (QUEUE, ASSIGN_TASK, inbox_lock(inbox_id), Jsonb({"inbox_id": inbox_id})),
                ).fetchone()
                assert job is not None
                # todo → doing fires Procrastinate's own "started" event, as a fetch does
                conn.execute(
                    "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE id = %s",
                    (row[0], job[0]),
                )
                return int(job[0])
        except psycopg.errors.UniqueViolation:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
