"""The composition root: the only place that chooses embedded or production adapters."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from autoassign.adapters.clock import SystemClock
from autoassign.adapters.event_sinks import LoggingEventSink
from autoassign.adapters.jobs.inprocess import InProcessJobQueue
from autoassign.adapters.metrics import Metrics
from autoassign.adapters.sql import migrate
from autoassign.adapters.sql.accounts import Accounts
from autoassign.adapters.sql.catalog import SqlCatalog
from autoassign.adapters.sql.engine import libpq_url, make_engine
from autoassign.adapters.sql.records import Records
from autoassign.adapters.sql.store import SqlAssignmentStore
from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.adapters.webhooks import FanoutSink, WebhookDispatcher, WebhookSink
from autoassign.config import Settings
from autoassign.core.model import Conversation
from autoassign.core.ports import Clock, EventSink, JobQueue, StateStore
from autoassign.services import assign, explain, presence

logger = logging.getLogger(__name__)


@dataclass
class Engine:
    """A ready-to-use autoassign: stores, state, clock and event sinks wired together."""

    settings: Settings
    sql: AsyncEngine
    store: SqlAssignmentStore
    catalog: SqlCatalog
    records: Records
    accounts: Accounts
    state: StateStore
    sink: EventSink
    clock: Clock
    webhooks: WebhookDispatcher
    jobs: JobQueue = field(init=False)
    metrics: Metrics = field(default_factory=Metrics)

    def __post_init__(self) -> None:
        self.jobs = make_jobs(self)

    async def assign_inbox(self, inbox_id: int, limit: int | None = None) -> assign.BatchResult:
        result = await assign.assign_inbox(
            inbox_id,
            store=self.store,
            state=self.state,
            clock=self.clock,
            sink=self.sink,
            limit=self.settings.bulk_limit if limit is None else limit,
        )
        skips = [o.result for o in result.outcomes if o.agent_id is None]
        if result.skipped is not None:
            skips.append(result.skipped.value)
        self.metrics.record_batch(result.assigned, skips, result.duration_ms / 1000)
        return result

    async def explain(self, conversation: Conversation) -> explain.Explanation:
        return await explain.explain_conversation(
            conversation, store=self.store, state=self.state, clock=self.clock
        )

    async def trigger(self, inbox_ids: set[int]) -> None:
        """Queue a run of each inbox (coalesced). Call it after the triggering write has
        committed, so the run sees it. Failures are logged, never raised: the request that
        triggered the run has succeeded, and the periodic sweep catches the inbox later."""
        try:
            await self.jobs.enqueue(inbox_ids)
        except Exception:
            logger.exception("could not queue inbox runs", extra={"inbox_ids": sorted(inbox_ids)})

    async def run_inbox_job(self, inbox_id: int) -> bool:
        """One job: a batch of the inbox. True when the batch was full, made progress and
        left some member able to take more, so more work may wait. Otherwise the next
        trigger (a new conversation, an agent online, capacity freed) or the periodic
        sweep brings the inbox back."""
        result = await self.assign_inbox(inbox_id)
        return (
            result.assigned > 0
            and result.considered >= self.settings.bulk_limit
            and not result.exhausted
        )

    async def sweep_inbox_ids(self) -> list[int]:
        return await self.catalog.sweepable_inbox_ids()

    async def start(self) -> None:
        await self.jobs.start()

    async def heartbeat(self, account_id: int, agent_id: int) -> bool:
        """Record a heartbeat; True when the agent was not present before (came online)."""
        await self.catalog.agent(account_id, agent_id)  # NotFound for a foreign agent
        was_present = agent_id in await self.state.present(account_id, [agent_id], self.clock.now())
        await presence.heartbeat(
            account_id,
            agent_id,
            state=self.state,
            clock=self.clock,
            ttl_seconds=self.settings.presence_ttl,
        )
        return not was_present

    async def aclose(self) -> None:
        await self.jobs.stop()
        await self.webhooks.aclose()
        await self.state.close()
        await self.sql.dispose()


def make_jobs(engine: Engine) -> JobQueue:
    """In-process on the embedded default; Procrastinate on PostgreSQL."""
    settings = engine.settings
    if settings.embedded:
        return InProcessJobQueue(
            engine.run_inbox_job,
            engine.sweep_inbox_ids,
            sweep_interval=settings.sweep_interval,
            retry_delay=settings.job_retry_delay,
            concurrency=settings.worker_concurrency,
        )
    from autoassign.adapters.jobs.procrastinate_queue import ProcrastinateJobQueue

    return ProcrastinateJobQueue(
        libpq_url(settings.database_url),
        gate=engine.state,
        run=engine.run_inbox_job,
        sweep=engine.sweep_inbox_ids,
        sweep_interval=settings.sweep_interval,
        retry_delay=settings.job_retry_delay,
        stalled_after=settings.stalled_after,
        concurrency=settings.worker_concurrency,
        keep_finished_jobs=settings.keep_finished_jobs,
    )


def make_state(settings: Settings) -> StateStore:
    if settings.redis_url is None:
        return MemoryStateStore()
    from autoassign.adapters.state.redis_store import RedisStateStore  # optional extra

    return RedisStateStore.from_url(settings.redis_url, settings.redis_prefix)


def build(
    settings: Settings,
    *,
    state: StateStore | None = None,
    sink: EventSink | None = None,
    clock: Clock | None = None,
    webhooks: WebhookDispatcher | None = None,
) -> Engine:
    sql = make_engine(settings.database_url, pool_size=settings.pool_size)
    records = Records(sql)
    accounts = Accounts(records)
    dispatcher = webhooks or WebhookDispatcher(
        attempts=settings.webhook_attempts, base_delay=settings.webhook_retry_delay
    )
    sinks: list[EventSink] = [LoggingEventSink(), WebhookSink(accounts.webhook_targets, dispatcher)]
    if sink is not None:
        sinks.append(sink)
    return Engine(
        settings=settings,
        sql=sql,
        store=SqlAssignmentStore(sql),
        catalog=SqlCatalog(sql),
        records=records,
        accounts=accounts,
        state=state if state is not None else make_state(settings),
        sink=FanoutSink(*sinks),
        clock=clock if clock is not None else SystemClock(),
        webhooks=dispatcher,
    )


def upgrade_database(settings: Settings) -> None:
    migrate.upgrade(settings.database_url)
