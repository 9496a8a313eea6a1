"""The composition root: the only place that chooses adapters and wires them together.

It holds no behaviour: what a run does, when it goes again, what triggers one and how
metrics are counted are the services'. Services are built first; the job queue is built
after them from plain callables, so nothing calls back into a half-built object.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine

from autoassign.adapters.clock import SystemClock
from autoassign.adapters.event_sinks import FanoutSink, LoggingEventSink
from autoassign.adapters.jobs.inprocess import InProcessJobQueue
from autoassign.adapters.metrics import Metrics
from autoassign.adapters.sql import migrate
from autoassign.adapters.sql.engine import libpq_url, make_engine
from autoassign.adapters.sql.store import SqlAssignmentStore
from autoassign.adapters.sql.uow import SqlUnitOfWorkFactory
from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.adapters.webhooks import WebhookDispatcher, WebhookSink
from autoassign.config import Settings
from autoassign.core.ports import AssignmentStore, Clock, EventSink, JobQueue, StateStore
from autoassign.core.ports.state import RunGate
from autoassign.core.views import WebhookView
from autoassign.services import runs
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
    webhooks: WebhookDispatcher
    metrics: Metrics

    @property
    def clock(self) -> Clock:
        return self.deps.clock

    @property
    def store(self) -> AssignmentStore:
        return self.deps.store

    async def start(self) -> None:
        await self.jobs.start()

    async def aclose(self) -> None:
        await self.jobs.stop()
        await self.webhooks.aclose()
        await self.state.close()
        await self.sql.dispose()


def make_jobs(settings: Settings, deps: Deps, gate: RunGate) -> JobQueue:
    """In-process on the embedded default; Procrastinate on PostgreSQL."""
    run = partial(runs.run_inbox_job, deps)
    sweep = partial(runs.sweepable_inbox_ids, deps)
    if settings.embedded:
        return InProcessJobQueue(
            run,
            sweep,
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
        sweep_interval=settings.sweep_interval,
        retry_delay=settings.job_retry_delay,
        stalled_after=settings.stalled_after,
        concurrency=settings.worker_concurrency,
        keep_finished_jobs=settings.keep_finished_jobs,
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


def build(
    settings: Settings,
    *,
    state: StateStore | None = None,
    sink: EventSink | None = None,
    clock: Clock | None = None,
    webhooks: WebhookDispatcher | None = None,
) -> Engine:
    sql = make_engine(settings.database_url, pool_size=settings.pool_size)
    uow = SqlUnitOfWorkFactory(sql)
    dispatcher = webhooks or WebhookDispatcher(
        attempts=settings.webhook_attempts,
        base_delay=settings.webhook_retry_delay,
        allowed_hosts=settings.webhook_allowed_hosts,
    )

    async def webhook_targets(account_ids: set[int], event: str) -> list[WebhookView]:
        async with uow.read() as reader:
            return await reader.queries.webhook_targets(account_ids, event)

    sinks: list[EventSink] = [LoggingEventSink(), WebhookSink(webhook_targets, dispatcher)]
    if sink is not None:
        sinks.append(sink)
    chosen_state = state if state is not None else make_state(settings)
    metrics = Metrics()
    deps = Deps(
        uow=uow,
        store=SqlAssignmentStore(sql),
        state=chosen_state,
        clock=clock if clock is not None else SystemClock(),
        sink=FanoutSink(*sinks),
        metrics=metrics,
        bulk_limit=settings.bulk_limit,
        presence_ttl=settings.presence_ttl,
    )
    return Engine(
        settings=settings,
        sql=sql,
        deps=deps,
        state=chosen_state,
        jobs=make_jobs(settings, deps, chosen_state),
        webhooks=dispatcher,
        metrics=metrics,
    )


def upgrade_database(settings: Settings) -> None:
    migrate.upgrade(settings.database_url)
