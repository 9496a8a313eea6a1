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
3. A job's ``lock`` orders it before every later job of the same lock, even while it
   waits for a future ``scheduled_at``. So wake-ups (runs at a time) are jobs of their own
   task without the inbox lock, one per inbox and second; when one fires it queues a run
   past the gate (the queueing lock still coalesces): a gate left held by a dead process
   would swallow it, and unlike a trigger it has no run request for the relay to find.

The run gate is an optimisation, never a condition: when the state store cannot be
reached, triggers defer directly (the queueing lock still coalesces) and a job that
cannot tell whether triggers arrived runs again. Workers ride out database restarts (the
worker loop is restarted with backoff), and stalled or wedged jobs are recovered
(``procrastinate_recovery``). A relay task re-queues runs whose requests outlived every
run, so a trigger whose process died right after its commit still leads to a run.
SIGTERM stops a worker gracefully, and promptly even while the database is down (its
pool is then closed so that nothing waits for a connection: ``_wind_down``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
from procrastinate import App, JobContext, PsycopgConnector
from procrastinate import exceptions as pexc

from autoassign.adapters.jobs import LostRequests, RunInbox, SweepInboxes
from autoassign.adapters.jobs.procrastinate_recovery import fail_wedged, recover_stalled
from autoassign.core import errors
from autoassign.core.ports import RunGate

if TYPE_CHECKING:
    from procrastinate.worker import Worker

logger = logging.getLogger(__name__)

QUEUE = "autoassign"
ASSIGN_TASK = "autoassign.assign_inbox"
WAKE_TASK = "autoassign.wake_inbox"
#: how often idle workers look for due jobs: the worst extra delay of a wake-up
POLL_SECONDS = 0.25
#: a stopping worker: seconds its running jobs get before the database is checked (and
#: again between checks while it answers: Procrastinate's graceful timeout bounds them)
STOP_CHECK_SECONDS = 1.0
#: the database unreachable: seconds given to closing the pool, and then to the worker
#: (its jobs cancelled) to end, before it is left to the process's exit
STOP_ABANDON_SECONDS = 2.0


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
        lost: LostRequests | None = None,
        sweep_interval: int = 300,
        relay_interval: int = 2,
        retry_delay: int = 5,
        stalled_after: float = 30.0,
        wedged_after: float | None = None,
        gate_ttl: float | None = None,
        concurrency: int = 4,
        keep_finished_jobs: bool = False,
        pool_size: int = 4,
    ) -> None:
        self._conninfo = conninfo
        self._gate = gate
        #: a gate outlives a dead holder only about as long as its stalled job does
        self._gate_ttl = gate_ttl if gate_ttl is not None else max(2 * stalled_after, 10.0)
        self._run = run
        self._sweep = sweep
        self._lost = lost
        self._retry_delay = retry_delay
        self._stalled_after = stalled_after
        self._wedged_after = (
            wedged_after if wedged_after is not None else max(10 * stalled_after, 300.0)
        )
        #: look for stalled jobs twice per stall timeout (a divisor of 60 s)
        self._recover_every = max(
            d for d in (1, 2, 3, 4, 5, 6, 10, 15, 20, 30) if d <= max(1, stalled_after / 2)
        )
        self._concurrency = concurrency
        self._delete_jobs = "never" if keep_finished_jobs else "successful"
        # idle: one connection (plus the worker's listener); idle extras close after 60 s
        connector = PsycopgConnector(
            conninfo=conninfo, min_size=1, max_size=pool_size, max_idle=60.0
        )
        self.app = App(connector=connector)
        self._open = False
        #: the jobs this process is running (their tasks), for a stop that cannot wait
        self._jobs: set[asyncio.Task[Any]] = set()
        self._register(interval_to_cron(sweep_interval), interval_to_cron(relay_interval))

    def _register(self, sweep_cron: str, relay_cron: str) -> None:
        app = self.app

        @app.task(name=ASSIGN_TASK, queue=QUEUE)
        async def assign_inbox(inbox_id: int) -> None:
            await self._run_job(inbox_id)

        @app.task(name=WAKE_TASK, queue=QUEUE)
        async def wake_inbox(inbox_id: int) -> None:
            # past the run gate: a gate left held by a dead process would only mark the
            # wake-up "go again" for no one, and no run request would bring it back
            await self.enqueue([inbox_id], force=True)

        @app.periodic(cron=sweep_cron, periodic_id="sweep")
        @app.task(name="autoassign.sweep", queue=QUEUE, queueing_lock="autoassign:sweep")
        async def sweep(timestamp: int) -> None:
            if self._sweep is not None:
                await self.enqueue(await self._sweep())

        @app.periodic(cron=relay_cron, periodic_id="relay")
        @app.task(name="autoassign.relay", queue=QUEUE, queueing_lock="autoassign:relay")
        async def relay(timestamp: int) -> None:
            if self._lost is not None:
                await self.enqueue(await self._lost(), force=True)

        @app.periodic(cron=interval_to_cron(self._recover_every), periodic_id="recover")
        @app.task(
            name="autoassign.recover_stalled", queue=QUEUE, queueing_lock="autoassign:recover"
        )
        async def recover(timestamp: int) -> None:
            await self.recover_stalled()

    async def _run_job(self, inbox_id: int) -> None:
        """One job: batches while the gate says more came in, a wake-up when work waits
        on time, and a follow-up job whenever it cannot tell whether work is left."""
        if self._run is None:
            raise RuntimeError("this queue only defers jobs; run them with `autoassign worker`")
        gate = gate_name(inbox_id)
        for _ in range(MAX_BATCHES_PER_JOB):
            # triggers so far are covered by this batch; a lost gate costs only coalescing
            await self._gate_call(self._gate.claim_run(gate, self._gate_ttl), None)
            try:
                result = await self._run(inbox_id)
                if result.wake_at is not None:
                    # the batch took the inbox's run requests: a lost wake-up would
                    # leave work waiting on a window until the next trigger
                    await self.schedule(inbox_id, result.wake_at)
            except Exception:
                await self._follow_up(inbox_id, schedule_in={"seconds": self._retry_delay})
                raise
            if result.again:
                continue
            again = await self._gate_call(self._gate.finish_run(gate, self._gate_ttl), None)
            if again is None:  # cannot tell whether triggers came: look again shortly
                await self._follow_up(inbox_id, schedule_in={"seconds": self._retry_delay})
                return
            if not again:
                return  # nothing more came in; the gate is released
        await self._follow_up(inbox_id)  # a long backlog: let other inboxes have a turn

    async def _follow_up(self, inbox_id: int, **options: Any) -> None:
        """Defer the inbox's next run, trying a few times: after the server dropped a
        connection (a restart, a terminated backend) the pool's next one works, and
        this job's chain must not end on the first error. If the database stays down,
        the job's own row is recovered (stalled or wedged) and runs the inbox."""
        delay = 0.2
        for attempt in range(5):
            try:
                await self._defer(inbox_id, **options)
                return
            except Exception:
                if attempt == 4:
                    raise
                logger.warning("could not defer the inbox's next run; trying again")
            await asyncio.sleep(delay)
            delay *= 2

    @staticmethod
    async def _gate_call(call: Awaitable[bool | None], unknown: bool | None) -> bool | None:
        """A gate call whose failure (the state store down) must not stop the job chain;
        ``unknown`` is the safe answer then (finish: "run again")."""
        try:
            return await call
        except errors.StateStoreUnavailable:
            logger.warning("run gate unavailable; going on without it", exc_info=True)
            return unknown

    async def _defer(self, inbox_id: int, **options: Any) -> bool:
        lock = inbox_lock(inbox_id)
        deferrer = self.app.configure_task(ASSIGN_TASK, lock=lock, queueing_lock=lock, **options)
        try:
            await deferrer.defer_async(inbox_id=inbox_id)
        except pexc.AlreadyEnqueued:
            return False  # a run is already waiting: it will see this work too
        return True

    async def enqueue(self, inbox_ids: Iterable[int], *, force: bool = False) -> int:
        queued = 0
        for inbox_id in sorted(set(inbox_ids)):
            gate = gate_name(inbox_id)
            took = True
            if not force:
                took = bool(
                    await self._gate_call(self._gate.request_run(gate, self._gate_ttl), True)
                )
            if not took:
                continue  # a run holds the gate and will go again
            try:
                queued += await self._defer(inbox_id)
            except Exception:
                await self._gate_call(self._gate.claim_run(gate, self._gate_ttl), None)
                await self._gate_call(self._gate.finish_run(gate, self._gate_ttl), None)
                raise
        return queued

    async def schedule(self, inbox_id: int, at: datetime) -> None:
        """A wake-up job at ``at``: one per inbox and second (its queueing lock), without
        the inbox lock (which would hold back every later run of the inbox until then).

        Idle workers find due jobs by polling every ``POLL_SECONDS``: that is the worst
        extra delay. (Due early and sleeping until ``at`` was tried: sleeping jobs hold
        worker slots, and when many inboxes wake together the runs queue behind them.)"""
        when = max(at, datetime.now(UTC))
        deferrer = self.app.configure_task(
            WAKE_TASK,
            queueing_lock=f"autoassign:wake:{inbox_id}:{int(when.timestamp())}",
            schedule_at=when,
        )
        with contextlib.suppress(pexc.AlreadyEnqueued):
            await deferrer.defer_async(inbox_id=inbox_id)

    async def recover_stalled(self) -> int:
        """Put back stalled jobs and queue the inboxes of wedged ones; returns how many."""
        # every task: a wake-up whose worker died must run too, or it is lost
        stalled = await recover_stalled(self.app, QUEUE, None, self._stalled_after)
        wedged = [
            inbox_id
            for task in (ASSIGN_TASK, WAKE_TASK)  # a wake-up wedged would hold its row forever
            for inbox_id in await fail_wedged(self.app, QUEUE, task, self._wedged_after)
        ]
        await self.enqueue(wedged, force=True)
        return stalled + len(wedged)

    async def start(self) -> None:
        """Open the pool: waits (up to 30 s) for a first connection, so cancel it to stop
        sooner; a pool that failed or was cancelled while opening is closed again."""
        if not self._open:
            try:
                await self.app.open_async()
            except BaseException:
                with contextlib.suppress(Exception):
                    await self.app.close_async()  # its connecting tasks go with it
                raise
            self._open = True

    async def sweep_now(self) -> int:
        return await self.enqueue(await self._sweep()) if self._sweep is not None else 0

    async def work(
        self, *, concurrency: int | None = None, wait: bool = True, name: str = "worker"
    ) -> None:
        """Run a worker until stopped by SIGTERM or SIGINT (``wait=False``: until nothing
        is left).

        A long-running worker outlives database restarts. Procrastinate stops its worker
        when a side task fails (the listener's connection, on any transient PostgreSQL
        error) and returns as if asked to stop; so the signals are ours, and any stop
        that was not asked for starts the worker again, with backoff."""
        slots = concurrency or self._concurrency
        if not wait:
            await self.start()
            await self._work_once(slots, wait=False, name=name)
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            delay = 1.0
            while not stop.is_set():
                if await self._supervised(slots, name, stop):
                    return
                with contextlib.suppress(Exception):
                    await self.stop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, 30.0)
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    async def _supervised(self, slots: int, name: str, stop: asyncio.Event) -> bool:
        """One life of the worker; True when it ended because it was asked to stop.

        Opening the pool is part of the life, so a stop asked while the database is down
        does not wait for the pool's 30-s timeout; and a life is never left running: if
        this is cancelled instead of asked, the worker is wound down all the same."""
        life = asyncio.create_task(self._life(slots, name), name="autoassign-worker")
        asked = asyncio.create_task(stop.wait())
        wound_down = False
        try:
            done, _ = await asyncio.wait({life, asked}, return_when=asyncio.FIRST_COMPLETED)
            if life not in done:
                wound_down = True
                await self._wind_down(life)
                return True
            life.result()  # raises what stopped it, if anything did
            logger.warning("worker stopped by itself (a side task failed); starting it again")
        except Exception:
            logger.exception("worker stopped on an error; starting it again")
        finally:
            asked.cancel()
            if not wound_down and not life.done():  # cancelled rather than asked
                await self._wind_down(life)
        return False

    async def _life(self, slots: int, name: str) -> None:
        await self.start()
        await self._work_once(slots, wait=True, name=name)

    async def _wind_down(self, life: asyncio.Task[None]) -> None:
        """Stop a worker's life: gracefully (Procrastinate fetches no more jobs, lets the
        running ones finish, records their status and unregisters the worker), but
        without waiting on a database that is gone. While the database answers, the
        graceful stop takes what it takes (its jobs are bounded, and so is Procrastinate's
        wait for them). Once it does not, no running job can finish its work or record
        it: the pool is closed, so that every call waiting for one of its connections
        (a job's status, unregistering the worker) fails at once, and the running jobs
        are cancelled (they may be waiting on another pool: the state store's, say).
        Their rows stay ``doing`` under a worker that no longer heart-beats: the other
        workers' recovery puts them back once the database is."""
        life.cancel()  # Procrastinate turns this into its graceful stop
        while not await _ended(life, STOP_CHECK_SECONDS):
            if not await self._database_answers():
                break
        else:
            return
        logger.warning(
            "stopping while the database is unreachable: closing the worker's connections"
            " and cancelling its %d running job(s)",
            len(self._jobs),
        )
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.stop(), STOP_ABANDON_SECONDS)
        for job in list(self._jobs):
            job.cancel()
        if await _ended(life, STOP_ABANDON_SECONDS):
            return
        # psycopg_pool can queue a connection request again after its pool closed (a
        # dead connection's check fails and getconn retries): Procrastinate's shutdown
        # then waits out the request's timeout. Stop waiting for it; what it would have
        # written is recovered by the other workers, and the process's exit ends it.
        logger.warning(
            "the worker's shutdown still waits on the database %.0f s after its pool"
            " closed; leaving it",
            STOP_ABANDON_SECONDS,
        )
        life.cancel()  # Procrastinate stops waiting for its (shielded) loop
        await _ended(life, STOP_CHECK_SECONDS)

    async def _track_job(
        self, call_next: Callable[[], Awaitable[Any]], context: JobContext, worker: Worker
    ) -> Any:
        """Worker middleware: each running job's task is known while it runs."""
        task = asyncio.current_task()
        if task is None:
            return await call_next()
        self._jobs.add(task)
        try:
            return await call_next()
        finally:
            self._jobs.discard(task)

    async def _database_answers(self) -> bool:
        """Whether the database takes a new connection now (within about 2 s)."""
        try:
            async with asyncio.timeout(3):
                conn = await psycopg.AsyncConnection.connect(
                    self._conninfo, connect_timeout=2, autocommit=True
                )
                async with conn:
                    await conn.execute("SELECT 1")
        except (psycopg.Error, OSError, TimeoutError):
            return False
        return True

    async def _work_once(self, concurrency: int, *, wait: bool, name: str) -> None:
        await self.app.run_worker_async(
            queues=[QUEUE],
            concurrency=concurrency,
            wait=wait,
            name=name,
            delete_jobs=self._delete_jobs,
            shutdown_graceful_timeout=30,
            update_heartbeat_interval=max(1.0, self._stalled_after / 5),
            stalled_worker_timeout=self._stalled_after,
            fetch_job_polling_interval=POLL_SECONDS,
            install_signal_handlers=False,
            worker_middleware=[self._track_job],
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
            self._open = False
            await self.app.close_async()


async def _ended(task: asyncio.Task[None], within: float) -> bool:
    """Whether ``task`` ended within ``within`` seconds; how it ended is logged, not
    raised (a worker stopping while the database is down ends on a database error)."""
    await asyncio.wait({task}, timeout=within)
    if not task.done():
        return False
    if not task.cancelled() and (exc := task.exception()) is not None:
        logger.warning("the worker ended on %r while stopping", exc)
    return True
