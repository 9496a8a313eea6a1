"""Running the outbox: a loop that keeps up to ``concurrency`` deliveries in flight.

The loop claims due rows into its free slots, sends each in a task of its own, and
claims again whenever a slot frees, a new delivery is queued (``wake``) or a retry falls
due. It never waits for a whole batch: a receiver that hangs holds its own slots (and,
by the claim's per-account share, only its account's), while every other delivery
keeps going. Nothing is kept in memory that a restart would lose: the rows are the
queue, the loop only paces.

Two ways to run it, one per back end:

* ``start()``: in the background for the life of the process (the embedded default),
  woken by ``wake`` after a commit queued deliveries;
* ``run_until_idle()``: until nothing is in flight and nothing falls due soon (a
  Procrastinate job on PostgreSQL, and ``drain`` in tests and the CLI).

What a claim, an attempt or a release does is the delivery service's; they come in as
callables (``bootstrap`` binds them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial

from autoassign.adapters.aio import finish_before_cancel
from autoassign.core.deliveries import DeliveryStatus
from autoassign.core.ports import Clock
from autoassign.core.ports.deliveries import (
    AttemptKind,
    AttemptResult,
    OutgoingDelivery,
    Settled,
)

logger = logging.getLogger(__name__)

Claim = Callable[[int], Awaitable[Sequence[OutgoingDelivery]]]
Attempt = Callable[[OutgoingDelivery], Awaitable[tuple[AttemptResult, Settled]]]
NextDue = Callable[[], Awaitable[datetime | None]]
Release = Callable[[Sequence[OutgoingDelivery]], Awaitable[None]]
Prune = Callable[[], Awaitable[int]]
Listener = Callable[[], Awaitable[None]]
Task = asyncio.Task[None]


class Doorbell:
    """Rung by the outbox after a commit that queued deliveries (never before: whoever
    answers must find the rows). It wakes whatever delivers: the runner in this process,
    and on PostgreSQL a job for whichever worker is free. Listeners are added once the
    deliverer is built, after the stores that ring. It never raises: the commit has
    succeeded, and a periodic look catches up on a lost wake-up."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def ring(self) -> None:
        for listener in self._listeners:
            try:
                await listener()
            except Exception:
                logger.warning(
                    "could not wake the webhook deliverer; a periodic look will",
                    exc_info=True,
                    extra={"action": "webhook"},
                )


class DeliveryRunner:
    """``poll``: how often to look for work the wake-ups may miss (rows queued by another
    process) while deliveries are in flight, and the shortest sleep; ``idle_poll``: the
    longest sleep with nothing pending; ``linger``: how far ahead a retry keeps
    ``run_until_idle`` waiting for it rather than returning."""

    def __init__(
        self,
        *,
        claim: Claim,
        attempt: Attempt,
        next_due: NextDue,
        release: Release,
        prune: Prune,
        clock: Clock,
        concurrency: int = 16,
        poll: float = 0.25,
        idle_poll: float = 5.0,
        linger: float = 2.0,
        prune_every: float = 3600.0,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._claim, self._attempt, self._next_due = claim, attempt, next_due
        self._release, self._prune, self._close = release, prune, close
        self._clock = clock
        self._concurrency = concurrency
        self._poll, self._idle_poll, self._linger = poll, idle_poll, linger
        self._prune_every = prune_every
        self._pruned_at: float | None = None
        self._inflight: dict[int, tuple[OutgoingDelivery, Task]] = {}
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()  # a delivery settled (for ``drain``)
        self._one_loop = asyncio.Lock()  # one claimer per process: shares stay exact
        self._background: asyncio.Task[None] | None = None
        #: failures so far, for the metrics: "attempt" (an attempt failed), "gave_up"
        #: (the delivery failed for good), "refused" (the address policy refused it)
        self.failures: Counter[str] = Counter()

    @property
    def in_flight(self) -> int:
        """Attempts this process is making right now."""
        return len(self._inflight)

    def wake(self) -> None:
        """Something was queued or replayed: look now rather than at the next poll."""
        self._wake.set()

    async def ring(self) -> None:
        """``wake`` as the outbox's after-commit callback."""
        self.wake()

    # the loop ---------------------------------------------------------------------------

    async def _loop(
        self, *, until_idle: bool, budget: float | None = None, mine: set[Task] | None = None
    ) -> bool:
        """Claim and send until idle (``until_idle``) or stopped; True when it stopped
        because ``budget`` seconds of claiming were spent (attempts may be in flight)."""
        loop = asyncio.get_running_loop()
        stop_claiming = None if budget is None else loop.time() + budget
        while True:
            self._wake.clear()
            if stop_claiming is not None and loop.time() >= stop_claiming:
                return True
            claimed = await self._fill(loop.time(), mine)
            if claimed and len(self._inflight) < self._concurrency:
                continue  # a full claim: more may be due right away
            timeout = self._poll
            if not self._inflight:
                wait = await self._wait_for_due()
                if until_idle and (wait is None or wait > self._linger or wait <= 0):
                    return False  # nothing in flight, nothing (claimable) due soon
                if wait is None:
                    timeout = self._idle_poll
                else:
                    timeout = min(max(wait, self._poll), self._idle_poll)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _fill(self, now: float, mine: set[Task] | None) -> int:
        free = self._concurrency - len(self._inflight)
        if free <= 0:
            return 0
        try:
            if self._pruned_at is None or now - self._pruned_at > self._prune_every:
                self._pruned_at = now
                await finish_before_cancel(self._prune())
            found = await finish_before_cancel(self._claim(free))
        except Exception:  # the database is down: the rows wait, the loop goes on
            logger.exception("could not claim webhook deliveries", extra={"action": "webhook"})
            return 0
        for delivery in found:
            task = asyncio.create_task(self._one(delivery), name="webhook-delivery")
            self._inflight[delivery.id] = (delivery, task)
            task.add_done_callback(partial(self._settled, delivery.id))
            if mine is not None:
                mine.add(task)
        return len(found)

    def _settled(self, key: int, _task: Task) -> None:
        self._inflight.pop(key, None)
        self._wake.set()
        self._progress.set()

    async def _one(self, delivery: OutgoingDelivery) -> None:
        try:
            result, settled = await self._attempt(delivery)
        except Exception:  # recording failed: the lease lapses and it is sent again
            logger.exception("webhook attempt not recorded", extra={"action": "webhook"})
            return
        if result.kind is AttemptKind.REFUSED:
            self.failures["refused"] += 1
        if result.kind is AttemptKind.FAILED:
            self.failures["attempt"] += 1
        if settled.status is DeliveryStatus.FAILED:
            self.failures["gave_up"] += 1

    async def _wait_for_due(self) -> float | None:
        """Seconds until a claim may find something; None when nothing is pending."""
        try:
            due = await finish_before_cancel(self._next_due())
        except Exception:
            logger.exception("could not read the webhook outbox", extra={"action": "webhook"})
            return self._idle_poll
        return None if due is None else (due - self._clock.now()).total_seconds()

    async def _abandon(self, tasks: set[Task]) -> None:
        """Cut these attempts short and give their rows back to the outbox (sent at once
        by the next runner, instead of after their lease)."""
        cut = [(d, t) for d, t in self._inflight.values() if t in tasks and not t.done()]
        for _, task in cut:
            task.cancel()
        if cut:
            await asyncio.gather(*(task for _, task in cut), return_exceptions=True)
            with contextlib.suppress(Exception):
                await self._release([delivery for delivery, _ in cut])

    # ways to run it ---------------------------------------------------------------------

    async def start(self) -> None:
        """Run in the background until ``aclose`` (the embedded default)."""
        if self._background is None:
            self._background = asyncio.create_task(self._forever(), name="webhook-runner")

    async def _forever(self) -> None:
        async with self._one_loop:
            while True:  # the loop only returns by raising: whatever it was, go on
                try:
                    await self._loop(until_idle=False)
                except Exception:
                    logger.exception("webhook runner failed", extra={"action": "webhook"})
                    await asyncio.sleep(self._idle_poll)

    async def run_until_idle(
        self,
        budget: float | None = None,
        claimed: Callable[[bool], Awaitable[None]] | None = None,
    ) -> None:
        """Deliver until nothing is in flight and nothing falls due within ``linger``,
        or claim for at most ``budget`` seconds (bounded work per run). ``claimed`` is
        awaited once claiming stops (True: the budget was spent, work may remain) and
        before this run's own attempts are waited for, so that another run may take
        over claiming meanwhile. Cancelled (a worker shutting down), the attempts still
        in flight are cut short and their rows given back."""
        mine: set[Task] = set()
        try:
            async with self._one_loop:
                spent = await self._loop(until_idle=True, budget=budget, mine=mine)
            if claimed is not None:
                await claimed(spent)
            if mine:
                await asyncio.wait(mine)
        except asyncio.CancelledError:
            await self._abandon(mine)
            raise

    async def drain(self, grace: float = 10.0) -> None:
        """Return once nothing is in flight or due now (at most ``grace`` s); runs the
        loop itself unless it runs in the background."""

        async def idle() -> None:
            if self._background is None:
                await self.run_until_idle()
                return
            while self._inflight or (
                (wait := await self._wait_for_due()) is not None and wait <= 0
            ):
                self._progress.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), 0.05)

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(idle(), grace)

    async def aclose(self, grace: float = 5.0) -> None:
        """Stop claiming, let attempts in flight finish for ``grace`` s, and give the
        rest back to the outbox (sent at once by the next runner, not after a lease)."""
        if self._background is not None:
            self._background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._background
            self._background = None
        if self._inflight:
            await asyncio.wait([task for _, task in self._inflight.values()], timeout=grace)
        await self._abandon({task for _, task in self._inflight.values()})
        if self._close is not None:
            await self._close()
