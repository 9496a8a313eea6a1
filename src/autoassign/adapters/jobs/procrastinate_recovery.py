"""Getting inbox jobs going again after a worker died or a status write was lost.

Two ways an inbox's job chain can stop on PostgreSQL, both reproduced (shared/stack.md §3):

1. A worker is killed mid-run: its job stays ``doing`` and stops heart-beating. Putting
   it back is Procrastinate's ``retry_job``; when a sibling already waits for the inbox,
   that would break the queueing-lock index, so the stalled job is marked failed instead.
2. A job's final status write hits a killed connection: the job stays ``doing`` while its
   worker goes on heart-beating, so (1) never sees it, and its ``lock`` blocks the inbox
   for good. Our batches are bounded (a job runs at most a few dozen of them), so a job
   ``doing`` for far longer than that is dead: it is marked failed and its inbox queued.
"""

from __future__ import annotations

import logging
from typing import Any

from procrastinate import App
from procrastinate import exceptions as pexc
from procrastinate.jobs import Status

logger = logging.getLogger(__name__)

_WEDGED = """
    SELECT j.id, j.args
      FROM procrastinate_jobs j
     WHERE j.status = 'doing' AND j.queue_name = %(queue)s AND j.task_name = %(task)s
       AND (SELECT max(e.at) FROM procrastinate_events e
             WHERE e.job_id = j.id AND e.type = 'started')
           < now() - make_interval(secs => %(seconds)s)
"""


async def recover_stalled(app: App, queue: str, task: str | None, stalled_after: float) -> int:
    """Put back jobs (of ``task``, or of every task) whose worker stopped heart-beating;
    returns how many."""
    manager = app.job_manager
    stalled = list(
        await manager.get_stalled_jobs(
            queue=queue, task_name=task, seconds_since_heartbeat=stalled_after
        )
    )
    for job in stalled:
        try:
            await manager.retry_job(job)
        except pexc.UniqueViolation:
            # a sibling is already waiting (for this inbox, or this periodic task): it
            # does the work
            if job.id is not None:
                await manager.finish_job_by_id_async(job.id, status=Status.FAILED, delete_job=False)
        logger.warning(
            "recovered stalled job %s", job.id, extra={"action": "recover", "job_id": job.id}
        )
    await manager.prune_stalled_workers(seconds_since_heartbeat=stalled_after)
    return len(stalled)


async def fail_wedged(app: App, queue: str, task: str, older_than: float) -> list[int]:
    """Mark failed the jobs ``doing`` for longer than any run takes; their inbox ids, to
    queue again (the inbox row lock still keeps a late finisher harmless)."""
    rows: list[dict[str, Any]] = await app.connector.execute_query_all_async(
        _WEDGED, queue=queue, task=task, seconds=older_than
    )
    inbox_ids: list[int] = []
    for row in rows:
        await app.job_manager.finish_job_by_id_async(
            row["id"], status=Status.FAILED, delete_job=False
        )
        inbox_ids.append(int(row["args"]["inbox_id"]))
        logger.warning(
            "job %s was doing for over %.0f s: marked failed, its inbox queued again",
            row["id"],
            older_than,
            extra={"action": "recover", "job_id": row["id"]},
        )
    return inbox_ids
