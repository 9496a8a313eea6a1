"""InProcessJobQueue: the embedded twin of ProcrastinateJobQueue, on the API's event loop.

The same rules as Procrastinate's ``queueing_lock`` + ``lock``: at most one waiting and at
most one running run per inbox. A full batch queues its own follow-up; a failed run is
retried after a backoff; a sweep loop offers every eligible inbox periodically.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from autoassign.adapters.jobs import RunInbox, SweepInboxes

logger = logging.getLogger(__name__)


class InProcessJobQueue:
    def __init__(
        self,
        run: RunInbox,
        sweep: SweepInboxes,
        *,
        sweep_interval: float = 300.0,
        retry_delay: float = 5.0,
        max_retry_delay: float = 300.0,
        concurrency: int = 4,
    ) -> None:
        self._run = run
        self._sweep = sweep
        self._sweep_interval = sweep_interval
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._slots = asyncio.Semaphore(concurrency)
        self._waiting: set[int] = set()
        self._drivers: dict[int, asyncio.Task[None]] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self._failures: dict[int, int] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False

    async def enqueue(self, inbox_ids: Iterable[int]) -> int:
        return sum(self._offer(inbox_id) for inbox_id in set(inbox_ids))

    def _offer(self, inbox_id: int) -> bool:
        if self._stopping or inbox_id in self._waiting:
            return False  # coalesced: a run is already waiting
        self._waiting.add(inbox_id)
        self._idle.clear()
        if inbox_id not in self._drivers:
            self._drivers[inbox_id] = asyncio.create_task(self._drive(inbox_id))
        return True

    async def _drive(self, inbox_id: int) -> None:
        """The only task running this inbox: runs while a run is waiting, one at a time."""
        try:
            while inbox_id in self._waiting and not self._stopping:
                async with self._slots:
                    self._waiting.discard(inbox_id)
                    try:
                        full = await self._run(inbox_id)
                    except Exception:
                        self._retry_later(inbox_id)
                        continue
                    self._failures.pop(inbox_id, None)
                    if full:
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
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.enqueue(await self._sweep())
            except Exception:
                logger.exception("sweep failed", extra={"action": "sweep"})
            await asyncio.sleep(self._sweep_interval)

    async def sweep_now(self) -> int:
        return await self.enqueue(await self._sweep())

    async def drain(self, grace: float = 30.0) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)

    async def stop(self, grace: float = 30.0) -> None:
        """No new runs start; running ones finish (each is one transaction, so a cancel
        after ``grace`` leaves nothing half-assigned either)."""
        self._stopping = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper  # let a sweep cut short release its connection
            self._sweeper = None
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        running = list(self._drivers.values())
        if running:
            _done, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
        self._waiting.clear()
        self._check_idle()

    async def depth(self) -> int:
        return len(self._waiting)
