"""Several processes assign the same inbox on PostgreSQL + Redis at once."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import psycopg

from autoassign.bootstrap import build
from autoassign.config import Settings
from autoassign.core.model import Presence
from tests.conftest import REDIS_URL
from tests.factories import seed_world
from tests.integration import race_worker

PROCESSES = 4
CAPACITY = 12
RATE_LIMIT = 9


ROUNDS = 3


async def test_parallel_workers_never_double_assign_or_exceed_limits(pg_url, redis_client, clock):
    for round_number in range(ROUNDS):  # repeated: a broken lock shows up in some rounds only
        await _race_once(pg_url, f"race{round_number}")


async def _race_once(pg_url: str, prefix: str) -> None:
    engine = build(Settings(database_url=pg_url, redis_url=REDIS_URL, redis_prefix=prefix))
    world = await seed_world(
        engine,
        conversations=200,
        capacity=CAPACITY,
        policy={"fair_distribution_limit": RATE_LIMIT, "fair_distribution_window": 3600},
        agents=[*([Presence.ONLINE] * 5), Presence.OFFLINE],
    )
    await engine.aclose()
    context = multiprocessing.get_context("spawn")
    start = context.Manager().Event()
    with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        futures = [
            # different batch sizes, so overlapping batches reach different rows and only
            # the inbox lock (not the row guard) can keep the limits
            pool.submit(race_worker.run, pg_url, REDIS_URL, prefix, world.inbox.id, limit, start)
            for limit in (3, 8, 13, 50)[:PROCESSES]
        ]
        start.set()
        per_worker = [f.result(timeout=120) for f in futures]

    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT conversation_id, agent_id FROM assignments WHERE inbox_id = %s",
            (world.inbox.id,),
        ).fetchall()
        loads: dict[int, int] = dict(
            conn.execute(
                "SELECT assignee_id, count(*) FROM conversations WHERE inbox_id = %s "
                "AND status = 'open' AND assignee_id IS NOT NULL GROUP BY assignee_id",
                (world.inbox.id,),
            ).fetchall()
        )
        assigned_rows = conn.execute(
            "SELECT count(*) FROM conversations WHERE inbox_id = %s AND assignee_id IS NOT NULL",
            (world.inbox.id,),
        ).fetchone()
    per_conversation = Counter(cid for cid, _ in rows)
    per_agent = Counter(agent for _, agent in rows)
    online = {a.id for a in world.agents[:5]}
    assert max(per_conversation.values()) == 1, "a conversation was assigned twice"
    assert set(per_agent) <= online, "an offline agent was chosen"
    assert max(per_agent.values()) <= RATE_LIMIT
    assert max(loads.values()) <= CAPACITY
    # every agent reached the rate limit (9 < capacity 12): the workers drained the inbox
    assert sum(per_worker) == len(rows) == 5 * RATE_LIMIT
    assert assigned_rows is not None
    assert assigned_rows[0] == len(rows)
