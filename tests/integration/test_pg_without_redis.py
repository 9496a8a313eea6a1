"""Two processes assign one inbox on PostgreSQL without Redis: the window limit holds.

Defect D1: without ``redis_url`` each process used to get its own memory state store, so
each counted only its own assignments in the fair-distribution window; with a limit of 2
per window and three agents, two engines assigned 3, 3 and 4. PostgreSQL without Redis
now gets ``PostgresStateStore``, shared by every process on the database.

``_race_once(..., memory_state=True)`` puts the old per-process memory store back; with it
this test fails (checked by hand when it was written: 3, 4 and 4 assignments per agent in
each of three rounds), so it does detect the defect.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from threading import Barrier, Event

import psycopg

from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.adapters.state.postgres_store import PostgresStateStore
from autoassign.bootstrap import build
from autoassign.config import Settings
from autoassign.services import runs
from tests.factories import seed_world

PROCESSES = 2
AGENTS = 3
LIMIT_PER_WINDOW = 2
WINDOW_SECONDS = 3600
CONVERSATIONS = 30
ROUNDS = 3


async def test_two_processes_without_redis_never_exceed_the_window_limit(pg_url):
    for _ in range(ROUNDS):  # repeated: a lost count shows up in some interleavings only
        await _race_once(pg_url)


async def _race_once(pg_url: str, *, memory_state: bool = False) -> None:
    engine = build(Settings(database_url=pg_url))
    assert isinstance(engine.state, PostgresStateStore)  # the wiring under test
    world = await seed_world(
        engine,
        conversations=CONVERSATIONS,
        policy={
            "fair_distribution_limit": LIMIT_PER_WINDOW,
            "fair_distribution_window": WINDOW_SECONDS,
        },
    )
    await engine.aclose()
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    start, loaded = manager.Event(), manager.Barrier(PROCESSES)
    with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        futures = [
            # one conversation per batch, so the processes' batches interleave
            pool.submit(run, pg_url, world.inbox.id, 1, start, loaded, memory_state)
            for _ in range(PROCESSES)
        ]
        start.set()
        per_process = [f.result(timeout=120) for f in futures]

    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT conversation_id, agent_id FROM assignments WHERE inbox_id = %s",
            (world.inbox.id,),
        ).fetchall()
        per_agent_in_window: dict[int, int] = dict(
            conn.execute(
                "SELECT agent_id, count(*) FROM assignments WHERE inbox_id = %s "
                "AND assigned_at > (SELECT max(assigned_at) FROM assignments "
                "                   WHERE inbox_id = %s) - make_interval(secs => %s) "
                "GROUP BY agent_id",
                (world.inbox.id, world.inbox.id, WINDOW_SECONDS),
            ).fetchall()
        )
    assert max(Counter(cid for cid, _ in rows).values()) == 1, "a conversation assigned twice"
    assert per_agent_in_window, "nothing was assigned"
    assert max(per_agent_in_window.values()) <= LIMIT_PER_WINDOW, per_agent_in_window
    # every agent reached the limit: the processes drained what the window allows
    assert per_agent_in_window == {a.id: LIMIT_PER_WINDOW for a in world.agents}
    assert sum(per_process) == len(rows) == AGENTS * LIMIT_PER_WINDOW


async def _work(
    database_url: str, inbox_id: int, limit: int, loaded: Barrier, memory_state: bool
) -> int:
    """Assign the inbox until three batches in a row assign nothing.

    Every process runs its first batch (which loads its state, rebuilding it from SQL
    when missing) before any goes on: a process must not be able to finish the inbox
    before the other has started, or there would be no race to lose.
    """
    settings = Settings(database_url=database_url)
    engine = build(settings, state=MemoryStateStore()) if memory_state else build(settings)
    try:
        assigned = (await runs.run_batch(engine.deps, inbox_id, limit)).assigned
        await asyncio.to_thread(loaded.wait, 30)
        idle = 0
        while idle < 3:
            result = await runs.run_batch(engine.deps, inbox_id, limit)
            assigned += result.assigned
            idle = idle + 1 if result.assigned == 0 else 0
    finally:
        await engine.aclose()
    return assigned


def run(
    database_url: str,
    inbox_id: int,
    limit: int,
    start: Event,
    loaded: Barrier,
    memory_state: bool,
) -> int:
    start.wait(30)
    return asyncio.run(_work(database_url, inbox_id, limit, loaded, memory_state))
