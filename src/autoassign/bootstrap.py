"""The composition root: the only place that chooses adapters and wires them together.

It holds no behaviour: what a run does, when it goes again, what triggers one and how
metrics are counted are the services'. Services are built first; the job queue is built
after them from plain callables, so nothing calls back into a half-built object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine

from autoassign.adapters.clock import SystemClock
from autoassign.adapters.event_sinks import FanoutSink, LoggingEventSink
from autoassign.adapters.jobs.inprocess import InProcessJobQueue
from autoassign.adapters.metrics import Metrics
from autoassign.adapters.sql import migrate
from autoassign.adapters.sql.engine import libpq_url, make_engine
from autoassign.adapters.sql.overview import SqlOverview
from autoassign.adapters.sql.store import SqlAssignmentStore
from autoassign.adapters.sql.uow import SqlUnitOfWorkFactory
from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.adapters.webhooks import DeliveryRunner, Doorbell, WebhookSender
from autoassign.config import Settings
from autoassign.core.ports import AssignmentStore, Clock, EventSink, JobQueue, StateStore
from autoassign.core.ports.state import RunGate
from autoassign.core.ports.uow import UnitOfWorkFactory
from autoassign.services import deliveries, runs
from autoassign.services.context import Deps


@dataclass
class Engine:
    """A ready-to-use autoassign: the services' dependencies, the job queue, and what must
    be closed at the end."""

    settings: Settings
    sql: AsyncEngine
    deps: Deps
    #: the whole state store (the services see only windows and presence; the job
    #: queue only the run gate)
    state: StateStore
    jobs: JobQueue
    #: the webhook outbox's runner (in the background on the embedded default)
    webhooks: DeliveryRunner
    metrics: Metrics

    @property
    def clock(self) -> Clock:
        return self.deps.clock

    @property
    def store(self) -> AssignmentStore:
        return self.deps.store

    async def start(self) -> None:
        await self.jobs.start()
        if self.settings.embedded:
            await self.webhooks.start()

    async def aclose(self) -> None:
        await self.jobs.stop()
        await self.webhooks.aclose()
        await self.state.close()
        await self.sql.dispose()


def make_jobs(settings: Settings, deps: Deps, gate: RunGate) -> JobQueue:
    """In-process on the embedded default; Procrastinate on PostgreSQL."""
    run = partial(runs.run_inbox_job, deps)
    sweep = partial(runs.sweepable_inbox_ids, deps)
    lost = partial(runs.lost_run_requests, deps)
    if settings.embedded:
        return InProcessJobQueue(
            run,
            sweep,
            clock=deps.clock,
            lost=lost,
            sweep_interval=settings.sweep_interval,
            retry_delay=settings.job_retry_delay,
            concurrency=settings.worker_concurrency,
        )
    from autoassign.adapters.jobs.procrastinate_queue import ProcrastinateJobQueue

    return ProcrastinateJobQueue(
        libpq_url(settings.database_url),
        gate=gate,
        run=run,
        sweep=sweep,
        lost=lost,
        sweep_interval=settings.sweep_interval,
        retry_delay=settings.job_retry_delay,
        stalled_after=settings.stalled_after,
        wedged_after=settings.wedged_after,
        concurrency=settings.worker_concurrency,
        keep_finished_jobs=settings.keep_finished_jobs,
        pool_size=settings.pool_size,
    )


def make_state(settings: Settings) -> StateStore:
    """Redis when ``redis_url`` is set. Otherwise PostgreSQL tables on PostgreSQL, so
    every process on that database shares one state (a memory store per process broke
    the fair-distribution limit, defect D1), with its own small pool; and memory on
    SQLite, which is one process."""
    if settings.redis_url is not None:
        from autoassign.adapters.state.redis_store import RedisStateStore  # optional extra

        return RedisStateStore.from_url(settings.redis_url, settings.redis_prefix)
    if settings.database_url.startswith("postgresql"):
        from autoassign.adapters.state.postgres_store import PostgresStateStore

        return PostgresStateStore.from_url(settings.database_url, pool_size=settings.pool_size)
    return MemoryStateStore()


def make_webhooks(
    settings: Settings,
    uow: UnitOfWorkFactory,
    clock: Clock,
    jobs: JobQueue,
    bell: Doorbell,
    sender: WebhookSender | None = None,
) -> DeliveryRunner:
    """The outbox's runner, and who answers the doorbell: the runner itself on the
    embedded default (a loop started with the engine); on PostgreSQL a Procrastinate
    job that runs it on a worker, and this process's runner if it is running one."""
    chosen = sender or WebhookSender(
        timeout=settings.webhook_timeout, allowed_hosts=settings.webhook_allowed_hosts
    )
    rules = deliveries.DeliveryRules(
        attempts=settings.webhook_attempts,
        retry_delay=settings.webhook_retry_delay,
        per_account=settings.webhook_account_concurrency,
        lease=timedelta(seconds=max(60.0, 4 * settings.webhook_timeout)),
        keep_for=timedelta(days=settings.webhook_log_days),
    )
    deliverer = deliveries.Deliverer(uow, clock, chosen, rules)
    runner = DeliveryRunner(
        claim=partial(deliveries.claim, deliverer),
        attempt=partial(deliveries.attempt, deliverer),
        next_due=partial(deliveries.next_due, deliverer),
        release=partial(deliveries.release, deliverer),
        prune=partial(deliveries.prune, deliverer),
        clock=clock,
        concurrency=settings.webhook_concurrency,
        # embedded: every queued delivery rings, so polling is only a safety net
        poll=1.0 if settings.embedded else 0.25,
        close=chosen.aclose,
    )
    bell.listen(runner.ring)
    if not settings.embedded:
        from autoassign.adapters.jobs.procrastinate_queue import ProcrastinateJobQueue
        from autoassign.adapters.jobs.procrastinate_webhooks import register_deliveries

        assert isinstance(jobs, ProcrastinateJobQueue)
        conninfo = libpq_url(settings.database_url)
        bell.listen(register_deliveries(jobs.app, conninfo, runner.run_until_idle))
    return runner


def build(
    settings: Settings,
    *,
    state: StateStore | None = None,
    sink: EventSink | None = None,
    clock: Clock | None = None,
    sender: WebhookSender | None = None,
) -> Engine:
    sql = make_engine(settings.database_url, pool_size=settings.pool_size)
    # rung after a commit that queued webhook deliveries; answered once they are built
    bell = Doorbell()
    uow = SqlUnitOfWorkFactory(sql, on_queued=bell.ring)
    sinks: list[EventSink] = [LoggingEventSink()]
    if sink is not None:
        sinks.append(sink)
    chosen_state = state if state is not None else make_state(settings)
    chosen_clock = clock if clock is not None else SystemClock()
    metrics = Metrics()
    deps = Deps(
        uow=uow,
        store=SqlAssignmentStore(sql, on_queued=bell.ring),
        state=chosen_state,
        clock=chosen_clock,
        sink=FanoutSink(*sinks),
        metrics=metrics,
        bulk_limit=settings.bulk_limit,
        presence_ttl=settings.presence_ttl,
        overview=SqlOverview(sql),
    )
    jobs = make_jobs(settings, deps, chosen_state)
    return Engine(
        settings=settings,
        sql=sql,
        deps=deps,
        state=chosen_state,
        jobs=jobs,
        webhooks=make_webhooks(settings, uow, chosen_clock, jobs, bell, sender),
        metrics=metrics,
    )


def upgrade_database(settings: Settings) -> None:
    migrate.upgrade(settings.database_url)
