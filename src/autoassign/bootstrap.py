"""The composition root: the only place that chooses embedded or production adapters."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from autoassign.adapters.clock import SystemClock
from autoassign.adapters.event_sinks import LoggingEventSink
from autoassign.adapters.metrics import Metrics
from autoassign.adapters.sql import migrate
from autoassign.adapters.sql.accounts import Accounts
from autoassign.adapters.sql.catalog import SqlCatalog
from autoassign.adapters.sql.engine import make_engine
from autoassign.adapters.sql.records import Records
from autoassign.adapters.sql.store import SqlAssignmentStore
from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.adapters.webhooks import FanoutSink, WebhookDispatcher, WebhookSink
from autoassign.config import Settings
from autoassign.core.model import Conversation
from autoassign.core.ports import Clock, EventSink, StateStore
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
    metrics: Metrics = field(default_factory=Metrics)

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
        """Run the given inboxes now (inline until the job queue takes this over).

        Failures are logged, never raised: the request that triggered the run succeeded.
        """
        self.metrics.queue_depth.inc(len(inbox_ids))
        for inbox_id in sorted(inbox_ids):
            try:
                await self.assign_inbox(inbox_id)
            except Exception:
                logger.exception("triggered run failed", extra={"inbox_id": inbox_id})
            finally:
                self.metrics.queue_depth.dec()

    async def heartbeat(self, account_id: int, agent_id: int) -> None:
        await self.catalog.agent(account_id, agent_id)  # NotFound for a foreign agent
        await presence.heartbeat(
            account_id,
            agent_id,
            state=self.state,
            clock=self.clock,
            ttl_seconds=self.settings.presence_ttl,
        )

    async def aclose(self) -> None:
        await self.webhooks.aclose()
        await self.state.close()
        await self.sql.dispose()


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
