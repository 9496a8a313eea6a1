"""Inbox runs: one batch with its metrics, the rule for running again, the sweep's list,
and handing triggered inboxes to the job queue.

The job queues (in-process and Procrastinate) only schedule; what a run does and when it
goes again are decided here.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from autoassign.core import errors
from autoassign.core.ports import JobQueue, RunResult
from autoassign.services import assign
from autoassign.services.context import Deps

logger = logging.getLogger(__name__)

#: a run request this old was not taken by any batch: its trigger was lost. A batch
#: normally takes its requests within milliseconds; a busy queue within seconds, and
#: queueing a run for it again then costs at most one extra batch.
REQUEST_RELAY_AFTER = timedelta(seconds=5)


async def run_batch(deps: Deps, inbox_id: int, limit: int | None = None) -> assign.BatchResult:
    """One batch of the inbox, counted in the metrics."""
    result = await assign.assign_inbox(
        inbox_id,
        store=deps.store,
        state=deps.state,
        clock=deps.clock,
        sink=deps.sink,
        limit=deps.bulk_limit if limit is None else limit,
    )
    reasons = result.skip_reasons
    deps.metrics.record_batch(
        result.assigned, reasons, result.duration_ms / 1000, inbox_id=inbox_id
    )
    logger.info(
        "batch: assigned %d of %d",
        result.assigned,
        result.considered,
        extra={
            "action": "batch",
            "inbox_id": inbox_id,
            "assigned": result.assigned,
            "considered": result.considered,
            "skipped": dict(Counter(r.value for r in reasons)),
            "duration_ms": round(result.duration_ms, 2),
        },
    )
    return result


async def assign_now(
    deps: Deps, account_id: int, inbox_id: int, limit: int | None = None
) -> assign.BatchResult:
    """Run one batch of an account's inbox now (InboxNotFound for another account's)."""
    async with deps.uow.read() as uow:
        await uow.inboxes.require(account_id, [inbox_id])
    return await run_batch(deps, inbox_id, limit)


async def run_inbox_job(deps: Deps, inbox_id: int) -> RunResult:
    """One job: a batch of the inbox, and when to run it again.

    At once when the batch was full, made progress and left some member able to take
    more (more work may wait). At ``wake_at`` when work waits only on time (a window
    sliding open). Otherwise the next trigger (a new conversation, an agent online,
    capacity freed) brings the inbox back; the periodic sweep is only a safety net.
    A job for an inbox deleted since it was queued has nothing to do."""
    try:
        result = await run_batch(deps, inbox_id)
    except errors.InboxNotFound:
        return RunResult()
    full = result.assigned > 0 and result.considered >= deps.bulk_limit
    return RunResult(again=full and not result.exhausted, wake_at=result.wake_at)


async def lost_run_requests(deps: Deps) -> list[int]:
    """Inboxes whose run requests outlived every batch for ``REQUEST_RELAY_AFTER``: their
    trigger's process died between commit and queueing. The relay queues them (past
    any run gate that process may have left held)."""
    async with deps.uow.read() as uow:
        return await uow.runs.outlived(deps.clock.now() - REQUEST_RELAY_AFTER)


async def sweepable_inbox_ids(deps: Deps) -> list[int]:
    """What the periodic sweep runs: inboxes with auto-assignment on and an enabled policy."""
    async with deps.uow.read() as uow:
        return await uow.inboxes.sweepable_ids()


async def request_runs(jobs: JobQueue, inbox_ids: Iterable[int]) -> None:
    """Queue a run of each inbox (coalesced), after the triggering change committed.
    A failure is logged, never raised: the change has succeeded, and the periodic sweep
    catches the inbox later."""
    wanted = set(inbox_ids)
    if not wanted:
        return
    try:
        await jobs.enqueue(wanted)
    except Exception:
        logger.exception("could not queue inbox runs", extra={"inbox_ids": sorted(wanted)})
