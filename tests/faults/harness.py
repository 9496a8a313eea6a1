"""What every scenario does around its fault: wait for workers, measure recovery, watch
capacity while it runs, listen for its webhooks, and check every invariant (its webhooks
too) once the dust settles."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from datetime import UTC, datetime

import psycopg

from autoassign.bootstrap import Engine
from autoassign.core.drafts import WebhookDraft
from autoassign.services import runs
from autoassign.services import webhooks as webhook_service
from tests.faults.conftest import Stack
from tests.faults.fleet import Fleet
from tests.faults.invariants import (
    Probe,
    pending_assignable,
    stuck_jobs,
    violations,
    wait_for,
    wait_for_webhooks,
)
from tests.faults.receiver import Receiver, WebhookWatch
from tests.faults.results import LOG
from tests.faults.world import World

#: settle: the last conversations wait at most one window (3 s) per round of their
#: inbox's agents; this is the bound on "nothing assignable left" once faults healed
SETTLE_BOUND = 60.0
#: webhooks: once the assignments settled, every one accepted by the receiver and its
#: outbox row delivered, with no stall longer than this: a delivery claimed by a process
#: that died (kill -9) or could not record its attempt (the database gone, its
#: connection terminated) is sent again only once its lease lapses, 60 s after the claim
#: (``bootstrap.make_webhooks``), and meanwhile its lease counts against the account's
#: share of deliveries in flight (4), so four such leases stall the account's webhooks
#: for that long; retries of a refused attempt take 0.2 + 0.4 + ... s
WEBHOOK_STALL_BOUND = 75.0
#: ... and within this long in all: a backlog drains at 15 to 30 deliveries per second on
#: this machine (the full profile's racing workers leave about 2,000 of 2,900 to send,
#: which took 150 s)
WEBHOOK_BOUND = 420.0


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
    await record(stack, fault, took, bound)
    return took


async def record(stack: Stack, fault: str, seconds: float | None, bound: float) -> None:
    """One injection's time-to-recover, under ``fault``; the assignments made so far (and
    not counted under an earlier injection) have their webhooks counted under it too."""
    LOG.record(fault, seconds, bound)
    if stack.webhooks is not None:
        with contextlib.suppress(psycopg.Error, OSError):
            upto = await stack.probe.scalar("SELECT coalesce(max(id), 0) FROM assignments")
            stack.webhooks.marks.append((upto, fault))


async def watch_webhooks(stack: Stack, engine: Engine, account_id: int) -> WebhookWatch:
    """The suite's receiver, registered as the account's webhook (through the service the
    API's route calls) before any assignment; ``settle`` checks what it accepted."""
    receiver = Receiver()
    try:
        hook = await webhook_service.create_webhook(
            engine.deps,
            account_id,
            WebhookDraft(url=receiver.url, subscriptions=["assignee_changed"]),
        )
    except BaseException:
        receiver.close()
        raise
    receiver.secret = hook.secret
    stack.webhooks = WebhookWatch(receiver, hook.id)
    return stack.webhooks


async def check_webhooks(stack: Stack, bound: float = WEBHOOK_BOUND) -> None:
    """Every assignment so far accepted by the receiver, and its outbox row delivered,
    without a stall of ``WEBHOOK_STALL_BOUND`` and within ``bound``; lost ones,
    duplicates and the worst delay are recorded per fault."""
    watch = stack.webhooks
    if watch is None:
        return
    receiver = watch.receiver
    upto = await stack.probe.scalar("SELECT coalesce(max(id), 0) FROM assignments")
    report, took = await wait_for_webhooks(
        stack.probe,
        watch.webhook_id,
        receiver.received,
        upto,
        stalled=WEBHOOK_STALL_BOUND,
        within=bound,
    )
    per_fault: dict[str, tuple[int, int, float | None]] = {}
    for _, label in watch.marks:
        per_fault[label] = (0, 0, None)

    def add(assignment_id: int, lost: int, duplicates: int, delay: float | None) -> None:
        label = watch.fault_of(assignment_id)
        if label is None:
            return
        was_lost, was_doubled, worst = per_fault[label]
        if delay is not None:
            worst = max(worst if worst is not None else delay, delay)
        per_fault[label] = (was_lost + lost, was_doubled + duplicates, worst)

    for assignment_id in report.missing:
        add(assignment_id, 1, 0, None)
    for assignment_id, delay in report.delays.items():
        add(assignment_id, 0, report.duplicates.get(assignment_id, 0), delay)
    for label, (lost, duplicates, worst) in per_fault.items():
        LOG.record_webhooks(label, lost, duplicates, worst)
    totals = LOG.webhooks
    totals.scenarios += 1
    totals.assignments += report.checked
    totals.accepted += report.accepted
    totals.duplicates += sum(report.duplicates.values())
    totals.lost += len(report.missing)
    totals.refused += receiver.refused
    totals.settle_wait = max(totals.settle_wait, bound if took is None else took)
    assert receiver.rejected == 0, f"{receiver.rejected} webhook requests failed verification"
    assert not report.phantoms, "webhooks of no assignment:\n" + "\n".join(report.phantoms[:20])
    assert report.checked > 0, "no assignment to check webhooks against"
    assert report.clean, (
        f"webhooks not delivered (no progress for {WEBHOOK_STALL_BOUND:.0f} s, or"
        f" {bound:.0f} s in all) once the assignments settled:\n" + "\n".join(report.lines())
    )


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
    stuck, every safety invariant holds, no worker exited by itself, and no webhook was
    lost (when the scenario watches them)."""
    probe = stack.probe
    waited = await wait_for(probe, before=None, within=bound)
    if waited is None:
        left = await pending_assignable(probe)
        raise AssertionError(f"{left} assignable conversations still unassigned after {bound} s")
    # first: while webhooks are still being sent, their job is legitimately ``doing``
    await check_webhooks(stack)
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
