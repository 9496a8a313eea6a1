"""SqlOverview: the admin page's, the metrics' and readiness's reads, as aggregate queries.

Why aggregates in SQL: a queue of 100,000 waiting conversations is one count and one
min() served by the partial "candidates" index, never rows shipped to Python. Each method
is its own short read transaction (deferred on SQLite, so it never takes the write lock
that batches need).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from autoassign.adapters.sql import owned, rows
from autoassign.adapters.sql.engine import wrap_errors
from autoassign.adapters.sql.tables import (
    accounts,
    agents,
    assignments,
    conversations,
    inbox_assignment_policies,
    inbox_capacity_limits,
    inbox_members,
    inboxes,
)
from autoassign.core.ports.overview import (
    AgentLoad,
    InboxQueue,
    MemberLoad,
    RecentAssignment,
    WindowFill,
)
from autoassign.core.selectors import MANUAL

_c = conversations.c
_WAITING = sa.and_(_c.status == "open", _c.assignee_id.is_(None))
_OPEN_ASSIGNED = sa.and_(_c.status == "open", _c.assignee_id.is_not(None))


class SqlOverview:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        async with wrap_errors(), self._engine.connect() as conn:
            await conn.execution_options(sqlite_begin="DEFERRED")
            async with conn.begin() as tx:
                yield conn
                await tx.rollback()

    async def _rows(self, query: sa.Select[Any]) -> list[sa.Row[Any]]:
        async with self._read() as conn:
            return list((await conn.execute(query)).all())

    async def account_name(self, account_id: int) -> str:
        found = await self._rows(sa.select(accounts.c.name).where(accounts.c.id == account_id))
        if not found:
            raise owned.NOT_FOUND[accounts](account_id)
        return str(found[0].name)

    async def inbox_queues(self, account_id: int | None) -> list[InboxQueue]:
        waiting = sa.select(
            _c.inbox_id,
            sa.func.count().label("waiting"),
            sa.func.min(_c.created_at).label("oldest"),
        ).where(_WAITING)
        if account_id is not None:
            waiting = waiting.where(_c.account_id == account_id)
        queue = waiting.group_by(_c.inbox_id).subquery()
        link = inbox_assignment_policies.c
        query = (
            sa.select(
                inboxes.c.account_id,
                inboxes.c.id,
                link.assignment_policy_id,
                queue.c.waiting,
                queue.c.oldest,
            )
            .outerjoin(queue, queue.c.inbox_id == inboxes.c.id)
            .outerjoin(inbox_assignment_policies, link.inbox_id == inboxes.c.id)
            .order_by(inboxes.c.id)
        )
        if account_id is not None:
            query = query.where(inboxes.c.account_id == account_id)
        return [
            InboxQueue(r.account_id, r.id, int(r.waiting or 0), r.oldest, r.assignment_policy_id)
            for r in await self._rows(query)
        ]

    async def member_loads(self, account_id: int) -> list[MemberLoad]:
        m, limit = inbox_members.c, inbox_capacity_limits.c
        load = (
            sa.select(sa.func.count())
            .where(_OPEN_ASSIGNED, _c.inbox_id == m.inbox_id, _c.assignee_id == m.agent_id)
            .scalar_subquery()
        )
        query = (
            sa.select(m.agent_id, m.inbox_id, load.label("load"), limit.conversation_limit)
            .join(agents, agents.c.id == m.agent_id)
            .outerjoin(
                inbox_capacity_limits,
                sa.and_(
                    limit.capacity_policy_id == agents.c.capacity_policy_id,
                    limit.inbox_id == m.inbox_id,
                ),
            )
            .where(agents.c.account_id == account_id)
            .order_by(m.agent_id, m.inbox_id)
        )
        return [
            MemberLoad(r.agent_id, r.inbox_id, int(r.load), r.conversation_limit)
            for r in await self._rows(query)
        ]

    async def agent_loads(self, account_id: int | None) -> list[AgentLoad]:
        query = sa.select(_c.account_id, _c.assignee_id, sa.func.count().label("load")).where(
            _OPEN_ASSIGNED
        )
        if account_id is not None:
            query = query.where(_c.account_id == account_id)
        query = query.group_by(_c.account_id, _c.assignee_id).order_by(_c.assignee_id)
        return [
            AgentLoad(r.account_id, r.assignee_id, int(r.load)) for r in await self._rows(query)
        ]

    async def window_fills(
        self, inbox_id: int, limit: int, since: datetime, window_seconds: int
    ) -> list[WindowFill]:
        a = assignments.c
        entries = (
            sa.select(a.agent_id, sa.func.max(a.assigned_at).label("at"))
            .where(a.inbox_id == inbox_id, a.assigned_at > since, a.selector != MANUAL)
            .group_by(a.agent_id, a.conversation_id)
            .subquery()
        )
        newest_first = sa.func.row_number().over(
            partition_by=entries.c.agent_id, order_by=entries.c.at.desc()
        )
        ranked = sa.select(
            entries.c.agent_id,
            entries.c.at,
            newest_first.label("rank"),
            sa.func.count().over(partition_by=entries.c.agent_id).label("n"),
        ).subquery()
        query = sa.select(ranked).where(sa.or_(ranked.c.rank == 1, ranked.c.rank == limit))
        counts: dict[int, int] = {}
        frees: dict[int, datetime] = {}
        for r in await self._rows(query):
            counts[r.agent_id] = int(r.n)
            if r.rank == limit:
                frees[r.agent_id] = r.at + timedelta(seconds=window_seconds)
        return [WindowFill(agent, n, frees.get(agent)) for agent, n in sorted(counts.items())]

    async def recent_assignments(
        self, account_id: int, *, after_id: int = 0, limit: int = 20
    ) -> list[RecentAssignment]:
        a = assignments.c
        query = (
            sa.select(
                assignments,
                agents.c.name.label("agent_name"),
                inboxes.c.name.label("inbox_name"),
            )
            .join(agents, agents.c.id == a.agent_id)
            .join(inboxes, inboxes.c.id == a.inbox_id)
            .where(a.account_id == account_id, a.id > after_id)
            .order_by(a.id.desc())
            .limit(limit)
        )
        return [
            RecentAssignment(rows.event_view(r), r.agent_name, r.inbox_name)
            for r in await self._rows(query)
        ]

    async def worker_heartbeat_age(self) -> float | None:
        if self._engine.dialect.name != "postgresql":
            return None  # the embedded back end runs its jobs in the serving process
        query = sa.text(
            "SELECT EXTRACT(EPOCH FROM (now() - max(last_heartbeat))) FROM procrastinate_workers"
        )
        async with self._read() as conn:
            age = (await conn.execute(query)).scalar_one_or_none()
        return None if age is None else float(age)


__all__ = ["SqlOverview"]
