"""The connector's tables: shared plumbing and the received-webhook and write-back queues.

The write-back outbox is filled from the ``assignments`` table itself, which the claim
writes in the same transaction as the assignment: an assignment that committed is in
the outbox's source whatever happens to a process afterwards, so a restart loses
nothing. ``collect_writebacks`` copies new assignments of linked conversations into
``chatwoot_writebacks`` (unique per assignment, so a second look adds nothing) and then
raises a floor below which it never looks again; the floor trails ``settled_before``
so an assignment whose transaction was still open at the last look is not skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from autoassign.adapters.sql.tables import (
    assignments,
    chatwoot_connections,
    chatwoot_conversations,
    chatwoot_inbound,
    chatwoot_writebacks,
)
from autoassign.adapters.sql.uow import translate_errors
from autoassign.chatwoot.records import Inbound, Writeback, WritebackCounts, WritebackState
from autoassign.core import errors

C = chatwoot_connections.c
L = chatwoot_conversations.c
W = chatwoot_writebacks.c
I = chatwoot_inbound.c  # noqa: E741


class SqlBase:
    """One short transaction per call, on the engine autoassign uses."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        async with translate_errors(), self._engine.begin() as conn:
            yield conn

    async def _rows(self, query: Any) -> list[Any]:
        async with translate_errors(), self._engine.connect() as conn:
            await conn.execution_options(sqlite_begin="DEFERRED")
            return list((await conn.execute(query)).all())

    async def _one(self, query: Any) -> Any:
        found = await self._rows(query)
        return found[0] if found else None


class SqlQueues(SqlBase):
    """Received webhooks, and the write-back outbox."""

    # received webhooks ----------------------------------------------------------------

    async def add_inbound(
        self, connection_id: int, delivery_id: str, event: str, payload: str, now: datetime
    ) -> bool:
        seen = sa.select(I.id).where(I.connection_id == connection_id, I.delivery_id == delivery_id)
        if await self._one(seen) is not None:
            return False
        try:
            async with self._write() as conn:
                await conn.execute(
                    sa.insert(chatwoot_inbound).values(
                        connection_id=connection_id,
                        delivery_id=delivery_id,
                        event=event,
                        payload=payload,
                        received_at=now,
                    )
                )
        except errors.Conflict:  # the same delivery, received twice at once
            return False
        return True

    async def pending_inbound(self, connection_id: int, limit: int) -> list[Inbound]:
        rows = await self._rows(
            sa.select(I.id, I.connection_id, I.event, I.payload, I.attempts)
            .where(I.connection_id == connection_id, I.processed_at.is_(None))
            .order_by(I.id)
            .limit(limit)
        )
        return [Inbound(r.id, r.connection_id, r.event, r.payload, r.attempts) for r in rows]

    async def finish_inbound(self, inbound_id: int, now: datetime, error: str | None) -> None:
        async with self._write() as conn:
            await conn.execute(
                sa.update(chatwoot_inbound)
                .where(I.id == inbound_id)
                .values(processed_at=now, error=error)
            )

    async def retry_inbound(self, inbound_id: int, error: str) -> None:
        async with self._write() as conn:
            await conn.execute(
                sa.update(chatwoot_inbound)
                .where(I.id == inbound_id)
                .values(attempts=I.attempts + 1, error=error)
            )

    async def prune_inbound(self, connection_id: int, before: datetime) -> int:
        async with self._write() as conn:
            done = await conn.execute(
                sa.delete(chatwoot_inbound).where(
                    I.connection_id == connection_id, I.processed_at < before
                )
            )
        return int(done.rowcount)

    # write-backs ----------------------------------------------------------------------

    async def collect_writebacks(
        self, connection_id: int, now: datetime, settled_before: datetime
    ) -> int:
        a = assignments.c
        async with self._write() as conn:
            floor = (
                await conn.execute(sa.select(C.assignment_floor).where(C.id == connection_id))
            ).scalar_one_or_none()
            if floor is None:
                return 0
            new = (
                sa.select(
                    sa.literal(connection_id),
                    a.id,
                    a.conversation_id,
                    a.agent_id,
                    sa.literal(WritebackState.PENDING.value),
                    sa.literal(0),
                    sa.literal(now, chatwoot_writebacks.c.next_attempt_at.type),
                    sa.literal(now, chatwoot_writebacks.c.created_at.type),
                )
                .join(chatwoot_conversations, L.conversation_id == a.conversation_id)
                .where(
                    L.connection_id == connection_id,
                    a.id > floor,
                    ~sa.exists().where(W.assignment_id == a.id),
                )
                .order_by(a.id)
            )
            columns = [
                "connection_id",
                "assignment_id",
                "conversation_id",
                "agent_id",
                "state",
                "attempts",
                "next_attempt_at",
                "created_at",
            ]
            done = await conn.execute(sa.insert(chatwoot_writebacks).from_select(columns, new))
            settled = (
                await conn.execute(
                    sa.select(sa.func.max(a.id)).where(a.id > floor, a.assigned_at < settled_before)
                )
            ).scalar()
            if settled is not None:
                await conn.execute(
                    sa.update(chatwoot_connections)
                    .where(C.id == connection_id)
                    .values(assignment_floor=settled)
                )
        return max(int(done.rowcount), 0)

    async def due_writebacks(
        self, connection_id: int, now: datetime, limit: int
    ) -> list[Writeback]:
        rows = await self._rows(
            sa.select(W.id, W.connection_id, W.assignment_id, W.conversation_id, W.agent_id)
            .add_columns(W.attempts)
            .where(
                W.connection_id == connection_id,
                W.state == WritebackState.PENDING.value,
                W.next_attempt_at <= now,
            )
            .order_by(W.assignment_id)
            .limit(limit)
        )
        return [Writeback(*r) for r in rows]

    async def finish_writeback(
        self, writeback_id: int, state: WritebackState, now: datetime, error: str | None = None
    ) -> None:
        async with self._write() as conn:
            await conn.execute(
                sa.update(chatwoot_writebacks)
                .where(W.id == writeback_id)
                .values(state=state.value, finished_at=now, last_error=error)
            )

    async def postpone_writeback(
        self, writeback_id: int, attempts: int, at: datetime, error: str
    ) -> None:
        async with self._write() as conn:
            await conn.execute(
                sa.update(chatwoot_writebacks)
                .where(W.id == writeback_id)
                .values(attempts=attempts, next_attempt_at=at, last_error=error)
            )

    async def writeback_counts(self, connection_id: int) -> WritebackCounts:
        rows = await self._rows(
            sa.select(W.state, sa.func.count())
            .where(W.connection_id == connection_id)
            .group_by(W.state)
        )
        return WritebackCounts(**{str(state): int(n) for state, n in rows})

    async def prune_writebacks(self, connection_id: int, before: datetime) -> int:
        async with self._write() as conn:
            done = await conn.execute(
                sa.delete(chatwoot_writebacks).where(
                    W.connection_id == connection_id,
                    W.state != WritebackState.PENDING.value,
                    W.finished_at < before,
                    # above the floor a row still keeps its assignment from being re-added
                    W.assignment_id
                    <= sa.select(C.assignment_floor).where(C.id == connection_id).scalar_subquery(),
                )
            )
        return int(done.rowcount)
