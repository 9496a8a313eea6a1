"""InProcessJobQueue: the embedded twin of ProcrastinateJobQueue, on the API's event loop.

The same rules as Procrastinate's ``queueing_lock`` + ``lock``: at most one waiting and at
most one running run per inbox. A full batch queues its own follow-up; a run that leaves
work waiting on time is woken at that time (one timer per inbox: the earliest wins); a
failed run is retried after a backoff; a relay loop re-queues runs whose requests
outlived every run, and a sweep loop offers every eligible inbox as a safety net.

Wake-ups are timers of this process: they die with it, like everything the embedded
default keeps in memory. On a restart the first sweep runs every inbox, and each run
computes its next wake-up again from the stored assignments.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from autoassign.adapters.aio import finish_before_cancel
from autoassign.adapters.jobs import LostRequests, RunInbox, SweepInboxes
from autoassign.core.ports import Clock

logger = logging.getLogger(__name__)


class InProcessJobQueue:
    def __init__(
        self,
        run: RunInbox,
        sweep: SweepInboxes,
        *,
        clock: Clock,
        lost: LostRequests | None = None,
        sweep_interval: float = 300.0,
        relay_interval: float = 2.0,
        retry_delay: float = 5.0,
        max_retry_delay: float = 300.0,
        concurrency: int = 4,
    ) -> None:
        self._run = run
        self._sweep = sweep
        self._lost = lost
        self._clock = clock
        self._sweep_interval = sweep_interval
        self._relay_interval = relay_interval
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._slots = asyncio.Semaphore(concurrency)
        self._waiting: set[int] = set()
        self._drivers: dict[int, asyncio.Task[None]] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        #: inbox → (when, timer): the one wake-up each inbox has
        self._wakes: dict[int, tuple[datetime, asyncio.TimerHandle]] = {}
        self._failures: dict[int, int] = {}
        self._loops: list[asyncio.Task[None]] = []
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False

    async def enqueue(self, inbox_ids: Iterable[int], *, force: bool = False) -> int:
        """``force`` changes nothing here: there is no run gate to get past."""
        return sum(self._offer(inbox_id) for inbox_id in set(inbox_ids))

    def _offer(self, inbox_id: int) -> bool:
        if self._stopping or inbox_id in self._waiting:
            return False  # coalesced: a run is already waiting
        self._waiting.add(inbox_id)
        self._idle.clear()
        if inbox_id not in self._drivers:
            self._drivers[inbox_id] = asyncio.create_task(self._drive(inbox_id))
        return True

    async def schedule(self, inbox_id: int, at: datetime) -> None:
        current = self._wakes.get(inbox_id)
        if self._stopping or (current is not None and current[0] <= at):
            return  # an earlier (or equal) wake-up already covers this one
        if current is not None:
            current[1].cancel()
        delay = max(0.0, (at - self._clock.now()).total_seconds())

        def wake() -> None:
            self._wakes.pop(inbox_id, None)
            self._offer(inbox_id)

        self._wakes[inbox_id] = (at, asyncio.get_running_loop().call_later(delay, wake))

    async def _drive(self, inbox_id: int) -> None:
        """The only task running this inbox: runs while a run is waiting, one at a time."""
        try:
            while inbox_id in self._waiting and not self._stopping:
                async with self._slots:
                    self._waiting.discard(inbox_id)
                    try:
                        result = await self._run(inbox_id)
                    except Exception:
                        self._retry_later(inbox_id)
                        continue
                    self._failures.pop(inbox_id, None)
                    if result.wake_at is not None:
                        await self.schedule(inbox_id, result.wake_at)
                    if result.again:
                        self._waiting.add(inbox_id)  # drain a backlog without waiting
        finally:
            self._drivers.pop(inbox_id, None)
            self._check_idle()

    def _retry_later(self, inbox_id: int) -> None:
        failures = self._failures.get(inbox_id, 0) + 1
        self._failures[inbox_id] = failures
        delay = min(self._retry_delay * 2 ** (failures - 1), self._max_retry_delay)
        logger.exception(
            "inbox run failed; retrying in %.1f s",
            delay,
            extra={"action": "retry", "inbox_id": inbox_id},
        )
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(handle)
            self._offer(inbox_id)
            self._check_idle()

        handle = loop.call_later(delay, fire)
        self._timers.add(handle)

    def _check_idle(self) -> None:
        if not self._waiting and not self._drivers and not self._timers:
            self._idle.set()

    async def start(self) -> None:
        self._stopping = False
        if not self._loops:
            self._loops.append(asyncio.create_task(self._every(self._sweep_interval, self._sweep)))
            if self._lost is not None:
                self._loops.append(
                    asyncio.create_task(self._every(self._relay_interval, self._lost))
                )

    async def _every(
        self, interval: float, inboxes: Callable[[], Awaitable[Iterable[int]]]
    ) -> None:
        """Offer these inboxes now and every ``interval`` seconds; a failure is logged
        and tried again next time."""
        while True:
            try:
                await self.enqueue(await finish_before_cancel(inboxes()), force=True)
            except Exception:
                logger.exception("periodic run request failed", extra={"action": "sweep"})
            await asyncio.sleep(interval)

    async def sweep_now(self) -> int:
        return await self.enqueue(await self._sweep())

    async def drain(self, grace: float = 30.0) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)

    async def stop(self, grace: float = 30.0) -> None:
        """No new runs start; running ones finish (each is one transaction, so a cancel
        after ``grace`` leaves nothing half-assigned either)."""
        self._stopping = True
        for loop_task in self._loops:
            loop_task.cancel()  # a sweep or relay query in flight finishes first
            with contextlib.suppress(asyncio.CancelledError):
                await loop_task
        self._loops.clear()
        for handle in [*self._timers, *(h for _, h in self._wakes.values())]:
            handle.cancel()
        self._timers.clear()
        self._wakes.clear()
        running = list(self._drivers.values())
        if running:
            _done, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:  # each is one transaction: cut short, it rolls back
                await asyncio.gather(*pending, return_exceptions=True)
        self._waiting.clear()
        self._check_idle()

    async def depth(self) -> int:
        return len(self._waiting)
