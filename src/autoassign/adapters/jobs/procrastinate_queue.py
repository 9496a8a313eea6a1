"""ProcrastinateJobQueue: per-inbox jobs on PostgreSQL, run by workers on any machine.

Coalescing and mutual exclusion are Procrastinate's own ``queueing_lock`` (one waiting job
per inbox) and ``lock`` (one running job per inbox). Three traps shape this module
(shared/stack.md §3):

1. No ``RetryStrategy`` on the inbox task: a retry that meets a waiting sibling violates
   the queueing-lock index and wedges the inbox. A failed run re-defers itself instead.
2. A run gate in the state store stands in front of deferring: a trigger either takes the
   gate and defers one job, or (while a job holds it) marks that job to go again. The job
   loops while marked and releases the gate atomically, so a burst of thousands of
   triggers costs one job and no unique-violation log lines, and no trigger is lost.
3. Stalled jobs (a worker killed mid-run) are recovered by a periodic task; when putting
   one back would meet a waiting sibling, it is marked failed instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from procrastinate import App, PsycopgConnector
from procrastinate import exceptions as pexc
from procrastinate.jobs import Status

from autoassign.adapters.jobs import RunInbox, SweepInboxes
from autoassign.core.ports import RunGate

logger = logging.getLogger(__name__)

QUEUE = "autoassign"
ASSIGN_TASK = "autoassign.assign_inbox"


def inbox_lock(inbox_id: int) -> str:
    return f"autoassign:inbox:{inbox_id}"


def gate_name(inbox_id: int) -> str:
    return f"inbox:{inbox_id}"


#: batches one job runs before it re-defers itself, so other inboxes get the worker too
MAX_BATCHES_PER_JOB = 20


def interval_to_cron(seconds: int) -> str:
    """A Procrastinate cron for "every ``seconds``". Below a minute it has six fields, and
    croniter reads the sixth (last) one as seconds: "*/5 * * * * *" would mean every
    second of every fifth minute."""
    if seconds < 60 and 60 % seconds == 0:
        return f"* * * * * */{seconds}"
    if seconds % 60 == 0 and 60 % (seconds // 60) == 0:
        return f"*/{seconds // 60} * * * *"
    if seconds % 3600 == 0 and 24 % (seconds // 3600) == 0:
        return f"0 */{seconds // 3600} * * *"
    raise ValueError(f"sweep interval {seconds} s must divide a minute, an hour or a day evenly")


class ProcrastinateJobQueue:
    def __init__(
        self,
        conninfo: str,
        *,
        gate: RunGate,
        run: RunInbox | None = None,
        sweep: SweepInboxes | None = None,
        sweep_interval: int = 300,
        retry_delay: int = 5,
        stalled_after: float = 30.0,
        gate_ttl: float | None = None,
        concurrency: int = 4,
        keep_finished_jobs: bool = False,
    ) -> None:
        self._gate = gate
        #: a gate outlives a dead holder only about as long as its stalled job does
        self._gate_ttl = gate_ttl if gate_ttl is not None else max(2 * stalled_after, 10.0)
        self._run = run
        self._sweep = sweep
        self._retry_delay = retry_delay
        self._stalled_after = stalled_after
        #: look for stalled jobs twice per stall timeout (a divisor of 60 s)
        self._recover_every = max(
            d for d in (1, 2, 3, 4, 5, 6, 10, 15, 20, 30) if d <= max(1, stalled_after / 2)
        )
        self._concurrency = concurrency
        self._delete_jobs = "never" if keep_finished_jobs else "successful"
        self.app = App(connector=PsycopgConnector(conninfo=conninfo))
        self._open = False
        self._register(interval_to_cron(sweep_interval))

    def _register(self, sweep_cron: str) -> None:
        app = self.app

        @app.task(name=ASSIGN_TASK, queue=QUEUE)
        async def assign_inbox(inbox_id: int) -> None:
            if self._run is None:
                raise RuntimeError("this queue only defers jobs; run them with `autoassign worker`")
            gate = gate_name(inbox_id)
            for _ in range(MAX_BATCHES_PER_JOB):
                await self._gate.claim_run(gate, self._gate_ttl)  # triggers so far: covered
                try:
                    full = await self._run(inbox_id)
                except Exception:
                    await self._defer(inbox_id, schedule_in={"seconds": self._retry_delay})
                    raise
                if not full and not await self._gate.finish_run(gate, self._gate_ttl):
                    return  # nothing more came in; the gate is released
            await self._defer(inbox_id)  # a long backlog: let other inboxes have a turn

        @app.periodic(cron=sweep_cron, periodic_id="sweep")
        @app.task(name="autoassign.sweep", queue=QUEUE, queueing_lock="autoassign:sweep")
        async def sweep(timestamp: int) -> None:
            if self._sweep is not None:
                await self.enqueue(await self._sweep())

        @app.periodic(cron=interval_to_cron(self._recover_every), periodic_id="recover")
        @app.task(
            name="autoassign.recover_stalled", queue=QUEUE, queueing_lock="autoassign:recover"
        )
        async def recover(timestamp: int) -> None:
            await self.recover_stalled()

    async def _defer(self, inbox_id: int, **options: Any) -> bool:
        lock = inbox_lock(inbox_id)
        deferrer = self.app.configure_task(ASSIGN_TASK, lock=lock, queueing_lock=lock, **options)
        try:
            await deferrer.defer_async(inbox_id=inbox_id)
        except pexc.AlreadyEnqueued:
            return False  # a run is already waiting: it will see this work too
        return True

    async def enqueue(self, inbox_ids: Iterable[int]) -> int:
        queued = 0
        for inbox_id in sorted(set(inbox_ids)):
            gate = gate_name(inbox_id)
            if not await self._gate.request_run(gate, self._gate_ttl):
                continue  # a run holds the gate and will go again
            try:
                queued += await self._defer(inbox_id)
            except Exception:
                await self._gate.claim_run(gate, self._gate_ttl)  # hand the gate back
                await self._gate.finish_run(gate, self._gate_ttl)
                raise
        return queued

    async def recover_stalled(self) -> int:
        """Put back jobs whose worker stopped heart-beating; returns how many."""
        manager = self.app.job_manager
        stalled = list(
            await manager.get_stalled_jobs(
                queue=QUEUE, task_name=ASSIGN_TASK, seconds_since_heartbeat=self._stalled_after
            )
        )
        for job in stalled:
            try:
                await manager.retry_job(job)
            except pexc.UniqueViolation:
                # a sibling is already waiting for this inbox: it does the work
                assert job.id is not None
                await manager.finish_job_by_id_async(job.id, status=Status.FAILED, delete_job=False)
            logger.warning(
                "recovered stalled job %s", job.id, extra={"action": "recover", "job_id": job.id}
            )
        await manager.prune_stalled_workers(seconds_since_heartbeat=self._stalled_after)
        return len(stalled)

    async def start(self) -> None:
        if not self._open:
            await self.app.open_async()
            self._open = True

    async def sweep_now(self) -> int:
        return await self.enqueue(await self._sweep()) if self._sweep is not None else 0

    async def work(
        self, *, concurrency: int | None = None, wait: bool = True, name: str = "worker"
    ) -> None:
        """Run a worker until stopped (``wait=False``: until nothing is left)."""
        await self.start()
        await self.app.run_worker_async(
            queues=[QUEUE],
            concurrency=concurrency or self._concurrency,
            wait=wait,
            name=name,
            delete_jobs=self._delete_jobs,
            shutdown_graceful_timeout=30,
            update_heartbeat_interval=max(1.0, self._stalled_after / 5),
            stalled_worker_timeout=self._stalled_after,
            fetch_job_polling_interval=1.0,
            install_signal_handlers=wait,
        )

    async def drain(self, grace: float = 30.0) -> None:
        """Work in this process until no job is ready (for tests and the CLI).

        A worker told not to wait stops once it finds nothing to fetch, even if its own
        jobs deferred follow-ups meanwhile, so it is run again until none is ready."""

        async def until_empty() -> None:
            while True:
                await self.work(wait=False, name="drain")
                if not await self._ready_jobs():
                    return

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(until_empty(), grace)

    async def depth(self) -> int:
        return await self._ready_jobs()

    async def _ready_jobs(self) -> int:
        now = datetime.now(UTC)
        todo = await self.app.job_manager.list_jobs_async(queue=QUEUE, status="todo")
        return sum(1 for job in todo if job.scheduled_at is None or job.scheduled_at <= now)

    async def stop(self) -> None:
        if self._open:
            await self.app.close_async()
            self._open = False
