"""The delivery log: a webhook's deliveries, newest first, each with its attempts.

Read through the deliveries repository rather than the shared read side (``queries``):
it is the outbox's own table, and keeping its reads next to its writes keeps the two in
one place. A page costs three queries whatever its size: the count, the rows, and the
attempts of those rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned
from autoassign.adapters.sql.tables import webhook_attempts, webhook_deliveries, webhooks
from autoassign.core import errors
from autoassign.core.deliveries import AttemptView, DeliveryStatus, DeliveryView
from autoassign.core.views import Page, Paging

D = webhook_deliveries.c
A = webhook_attempts.c


class SqlDeliveryLog:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def page(self, account_id: int, webhook_id: int, paging: Paging) -> Page[DeliveryView]:
        await owned.require(self._conn, webhooks, [webhook_id], account_id)
        mine = (D.webhook_id == webhook_id, D.account_id == account_id)
        count = sa.select(sa.func.count()).select_from(webhook_deliveries).where(*mine)
        total = int((await self._conn.execute(count)).scalar_one())
        query = (
            sa.select(webhook_deliveries)
            .where(*mine)
            .order_by(D.id.desc())
            .offset(paging.offset)
            .limit(paging.per_page)
        )
        found = (await self._conn.execute(query)).all()
        return Page(await self._views(found), paging.page, paging.per_page, total)

    async def delivery(self, account_id: int, webhook_id: int, delivery_id: str) -> DeliveryView:
        await owned.require(self._conn, webhooks, [webhook_id], account_id)
        query = sa.select(webhook_deliveries).where(
            D.delivery_id == delivery_id, D.webhook_id == webhook_id, D.account_id == account_id
        )
        found = (await self._conn.execute(query)).all()
        if not found:
            raise errors.DeliveryNotFound(delivery_id)
        [view] = await self._views(found)
        return view

    async def _views(self, found: Sequence[sa.Row[Any]]) -> tuple[DeliveryView, ...]:
        logs: dict[int, list[AttemptView]] = defaultdict(list)
        if found:
            attempts = await self._conn.execute(
                sa.select(webhook_attempts)
                .where(A.webhook_delivery_id.in_([r.id for r in found]))
                .order_by(A.webhook_delivery_id, A.number)
            )
            for a in attempts:
                logs[a.webhook_delivery_id].append(
                    AttemptView(a.number, a.at, a.status_code, a.error, a.duration_ms)
                )
        return tuple(
            DeliveryView(
                id=r.id,
                account_id=r.account_id,
                webhook_id=r.webhook_id,
                event=r.event,
                delivery_id=r.delivery_id,
                status=DeliveryStatus(r.status),
                attempts=r.attempts,
                next_attempt_at=r.next_attempt_at,
                last_error=r.last_error,
                created_at=r.created_at,
                delivered_at=r.delivered_at,
                log=tuple(logs[r.id]),
            )
            for r in found
        )
