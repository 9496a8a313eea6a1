"""Run requests: the trigger outbox (``tables.run_requests`` says how it works)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql.tables import run_requests


class SqlRunRequests:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, inbox_ids: Iterable[int], now: datetime) -> None:
        rows = [{"inbox_id": i, "requested_at": now} for i in sorted(set(inbox_ids))]
        if rows:
            await self._conn.execute(sa.insert(run_requests), rows)

    async def outlived(self, before: datetime) -> list[int]:
        found = await self._conn.execute(
            sa.select(run_requests.c.inbox_id)
            .where(run_requests.c.requested_at < before)
            .distinct()
            .order_by(run_requests.c.inbox_id)
        )
        return list(found.scalars())
