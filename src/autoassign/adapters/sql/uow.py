"""SqlUnitOfWork: one transaction with every repository and the read side over it.

This is the only place a service's transaction begins and ends, and the edge where
database failures become domain errors: constraint violations by name (``constraints``),
values the column cannot hold as InvalidValue, lost connections as StoreUnavailable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from autoassign.adapters.sql import constraints
from autoassign.adapters.sql.engine import wrap_errors
from autoassign.adapters.sql.queries import SqlQueries
from autoassign.adapters.sql.repositories.accounts import SqlAccounts
from autoassign.adapters.sql.repositories.agents import SqlAgents
from autoassign.adapters.sql.repositories.capacity import SqlCapacity
from autoassign.adapters.sql.repositories.conversations import SqlConversations
from autoassign.adapters.sql.repositories.deliveries import SqlDeliveries
from autoassign.adapters.sql.repositories.duty import SqlDuty
from autoassign.adapters.sql.repositories.inboxes import SqlInboxes
from autoassign.adapters.sql.repositories.policies import SqlPolicies
from autoassign.adapters.sql.repositories.runs import SqlRunRequests
from autoassign.adapters.sql.repositories.teams import SqlTeams
from autoassign.adapters.sql.repositories.webhooks import SqlWebhooks
from autoassign.core import errors


class SqlUnitOfWork:
    def __init__(self, conn: AsyncConnection) -> None:
        self.accounts = SqlAccounts(conn)
        self.agents = SqlAgents(conn)
        self.duty = SqlDuty(conn)
        self.inboxes = SqlInboxes(conn)
        self.teams = SqlTeams(conn)
        self.conversations = SqlConversations(conn)
        self.policies = SqlPolicies(conn)
        self.capacity = SqlCapacity(conn)
        self.webhooks = SqlWebhooks(conn)
        self.runs = SqlRunRequests(conn)
        self.deliveries = SqlDeliveries(conn)
        self.queries = SqlQueries(conn)


@asynccontextmanager
async def translate_errors() -> AsyncIterator[None]:
    try:
        async with wrap_errors():
            yield
    except IntegrityError as exc:
        raise constraints.translate(exc) from exc
    except DataError as exc:
        raise errors.InvalidValue("a value is too long or malformed for its field") from exc


class SqlUnitOfWorkFactory:
    """``on_queued`` is awaited after a write that queued webhook deliveries has
    committed (never before: the deliverer must find the rows)."""

    def __init__(
        self, engine: AsyncEngine, on_queued: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        self.engine = engine
        self._on_queued = on_queued

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqlUnitOfWork]:
        async with translate_errors(), self.engine.begin() as conn:
            uow = SqlUnitOfWork(conn)
            yield uow
        if uow.deliveries.queued and self._on_queued is not None:
            await self._on_queued()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqlUnitOfWork]:
        async with translate_errors(), self.engine.connect() as conn:
            await conn.execution_options(sqlite_begin="DEFERRED")
            async with conn.begin() as tx:
                yield SqlUnitOfWork(conn)
                await tx.rollback()

    async def ping(self) -> None:
        async with self.read() as uow:
            await uow.queries.ping()


__all__ = ["SqlUnitOfWork", "SqlUnitOfWorkFactory"]
