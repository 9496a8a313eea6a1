"""A worker process for the race test: assigns one inbox until nothing is left."""

from __future__ import annotations

import asyncio
from threading import Event

from autoassign.bootstrap import build
from autoassign.config import Settings
from autoassign.services import runs


async def _work(database_url: str, redis_url: str, prefix: str, inbox_id: int, limit: int) -> int:
    engine = build(Settings(database_url=database_url, redis_url=redis_url, redis_prefix=prefix))
    assigned = 0
    idle = 0
    try:
        while idle < 3:  # stop after three empty rounds in a row
            result = await runs.run_batch(engine.deps, inbox_id, limit)
            assigned += result.assigned
            idle = idle + 1 if result.assigned == 0 else 0
    finally:
        await engine.aclose()
    return assigned


def run(
    database_url: str, redis_url: str, prefix: str, inbox_id: int, limit: int, start: Event
) -> int:
    start.wait(30)
    return asyncio.run(_work(database_url, redis_url, prefix, inbox_id, limit))
