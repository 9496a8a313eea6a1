"""The composition root: the only place that chooses embedded or production adapters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from autoassign.adapters.clock import SystemClock
from autoassign.adapters.event_sinks import LoggingEventSink
from autoassign.adapters.sql import migrate
from autoassign.adapters.sql.catalog import SqlCatalog
from autoassign.adapters.sql.engine import make_engine
from autoassign.adapters.sql.store import SqlAssignmentStore
from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.config import Settings
from autoassign.core.ports import Clock, EventSink, StateStore
from autoassign.services import assign, presence


@dataclass
class Engine:
    """A ready-to-use autoassign: stores, state, clock and event sink wired together."""

    settings: Settings
    sql: AsyncEngine
    store: SqlAssignmentStore
    catalog: SqlCatalog
    state: StateStore
    sink: EventSink
    clock: Clock

    async def assign_inbox(self, inbox_id: int, limit: int | None = None) -> assign.BatchResult:
        return await assign.assign_inbox(
            inbox_id,
            store=self.store,
            state=self.state,
            clock=self.clock,
            sink=self.sink,
            limit=self.settings.bulk_limit if limit is None else limit,
        )

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
) -> Engine:
    sql = make_engine(settings.database_url, pool_size=settings.pool_size)
    return Engine(
        settings=settings,
        sql=sql,
        store=SqlAssignmentStore(sql),
        catalog=SqlCatalog(sql),
        state=state if state is not None else make_state(settings),
        sink=sink if sink is not None else LoggingEventSink(),
        clock=clock if clock is not None else SystemClock(),
    )


def upgrade_database(settings: Settings) -> None:
    migrate.upgrade(settings.database_url)
