"""What every scenario does around its fault: wait for workers, measure recovery, watch
capacity while it runs, and check every invariant once the dust settles."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from datetime import UTC, datetime

import psycopg

from autoassign.bootstrap import Engine
from autoassign.services import runs
from tests.faults.conftest import Stack
from tests.faults.fleet import Fleet
from tests.faults.invariants import (
    Probe,
    pending_assignable,
    stuck_jobs,
    violations,
    wait_for,
)
from tests.faults.results import LOG
from tests.faults.world import World

#: settle: the last conversations wait at most one window (3 s) per round of their
#: inbox's agents; this is the bound on "nothing assignable left" once faults healed
SETTLE_BOUND = 60.0


def now() -> datetime:
    return datetime.now(UTC)


async def workers_ready(probe: Probe, count: int, within: float = 90.0) -> None:
    """Until ``count`` workers heartbeat (Procrastinate's workers table)."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        with contextlib.suppress(psycopg.Error, OSError):
            alive = await probe.scalar(
                "SELECT count(*) FROM procrastinate_workers"
                " WHERE last_heartbeat > now() - interval '5 seconds'"
            )
            if alive >= count:
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{count} workers did not start within {within} s")


async def recovery(
    stack: Stack, fault: str, healed_at: datetime, bound: float, *, before: datetime | None = None
) -> float | None:
    """Time-to-recover of one injection, recorded under ``fault``: from ``healed_at``
    until nothing assignable created by ``before`` (default: ``healed_at``) is left."""
    elapsed_before = (now() - healed_at).total_seconds()
    seconds = await wait_for(stack.probe, before=before or healed_at, within=bound)
    took = None if seconds is None else seconds + elapsed_before
    LOG.record(fault, took, bound)
    return took


class Sentinel:
    """Capacity and double assignment checked every second while faults happen (the
    window check reads the whole history at the end; these two need the moment)."""

    def __init__(self, stack: Stack) -> None:
        self.probe = Probe(stack.url)
        self.found: list[str] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(psycopg.Error, OSError):
                self.found.extend(await violations(self.probe, windows=False))
            await asyncio.sleep(1.0)

    async def stop(self) -> list[str]:
        """Stop; what was found."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.probe.close()
        return sorted(set(self.found))

    async def cancel(self) -> None:
        await self.stop()


class ManualRuns:
    """Batches run outside the job queue, as the API's "run now" route does, racing the
    workers' batches on the same inboxes."""

    def __init__(self, engine: Engine, world: World, tasks: int = 2, seed: object = 11) -> None:
        self.engine = engine
        self.world = world
        self.random = random.Random(str(seed))
        self.batches = 0
        self._stop = asyncio.Event()
        self._tasks = [asyncio.create_task(self._loop()) for _ in range(tasks)]

    async def _loop(self) -> None:
        while not self._stop.is_set():
            inbox_id = self.random.choice(self.world.inbox_ids)
            with contextlib.suppress(Exception):
                await runs.run_batch(self.engine.deps, inbox_id, self.random.choice((1, 3, 50)))
                self.batches += 1
            await asyncio.sleep(self.random.uniform(0, 0.05))

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def cancel(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def settle(
    stack: Stack, *, fleets: tuple[Fleet, ...] = (), bound: float = SETTLE_BOUND
) -> None:
    """After the last fault healed: nothing assignable left within ``bound``, no job
    stuck, every safety invariant holds, and no worker exited by itself."""
    probe = stack.probe
    waited = await wait_for(probe, before=None, within=bound)
    if waited is None:
        left = await pending_assignable(probe)
        raise AssertionError(f"{left} assignable conversations still unassigned after {bound} s")
    stuck: list[object] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        stuck = list(await stuck_jobs(probe))
        if not stuck:
            break
        await asyncio.sleep(0.5)
    assert not stuck, f"jobs stuck: {stuck}"
    found = await violations(probe)
    assert not found, "invariants broken:\n" + "\n".join(found)
    for fleet in fleets:
        assert not fleet.exited(), f"workers exited by themselves: {fleet.exited()}"
