"""Inbox runs: one batch with its metrics, the rule for running again, the sweep's list,
and handing triggered inboxes to the job queue.

The job queues (in-process and Procrastinate) only schedule; what a run does and when it
goes again are decided here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from autoassign.core.ports import JobQueue
from autoassign.services import assign
from autoassign.services.context import Deps

logger = logging.getLogger(__name__)


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
    deps.metrics.record_batch(result.assigned, result.skip_reasons, result.duration_ms / 1000)
    return result


async def assign_now(
    deps: Deps, account_id: int, inbox_id: int, limit: int | None = None
) -> assign.BatchResult:
    """Run one batch of an account's inbox now (InboxNotFound for another account's)."""
    async with deps.uow.read() as uow:
        await uow.inboxes.require(account_id, [inbox_id])
    return await run_batch(deps, inbox_id, limit)


async def run_inbox_job(deps: Deps, inbox_id: int) -> bool:
    """One job: a batch of the inbox. True when the batch was full, made progress and
    left some member able to take more, so more work may wait and the job goes again.
    Otherwise the next trigger (a new conversation, an agent online, capacity freed) or
    the periodic sweep brings the inbox back."""
    result = await run_batch(deps, inbox_id)
    return result.assigned > 0 and result.considered >= deps.bulk_limit and not result.exhausted


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
