"""The webhook outbox (``tables.webhook_deliveries``): queue, claim, record, replay.

Queueing runs on the caller's connection, inside its transaction: an engine batch's (via
``queue_events``, from ``SqlInboxBatch.record_events``) or a unit of work's. It costs one
SELECT of the account's webhooks, and one INSERT only when some webhook is subscribed.

A claim leases rows instead of holding a transaction open while they are sent (a
receiver may take seconds): ``leased_until`` keeps other runners off a row, and lapses
by itself if the runner dies. Leased rows also count against their account's share of
the slots (``per_account``), which is what keeps one account's slow receiver from
taking every slot. On PostgreSQL the candidate rows are read ``FOR UPDATE SKIP LOCKED``,
so a concurrent replay or claim never waits on them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned
from autoassign.adapters.sql.repositories.delivery_log import SqlDeliveryLog
from autoassign.adapters.sql.tables import webhook_attempts, webhook_deliveries, webhooks
from autoassign.core import errors
from autoassign.core.deliveries import DeliveryStatus
from autoassign.core.events import Event, payload
from autoassign.core.ports.deliveries import (
    AttemptKind,
    AttemptResult,
    OutgoingDelivery,
    Settled,
)

D = webhook_deliveries.c
A = webhook_attempts.c
W = webhooks.c
PENDING = DeliveryStatus.PENDING.value
#: candidate rows read per slot offered: rows of accounts already at their share are
#: passed over, so a claim looks a little further than the slots it fills
_LOOK_AHEAD = 4
#: PostgreSQL: one statement of fixed text whatever the batch size, the rows travelling
#: as arrays (as in ``claim.py``); an executemany of 100 rows took 12 ms, this 1 ms
_PG_QUEUE = sa.text(
    """
    INSERT INTO webhook_deliveries (account_id, webhook_id, event, delivery_id, body,
                                    status, attempts, next_attempt_at, created_at)
    SELECT a, w, e, d, b, 'pending', 0, :now, :now
      FROM unnest(CAST(:account_id AS bigint[]), CAST(:webhook_id AS bigint[]),
                  CAST(:event AS text[]), CAST(:ids AS text[]), CAST(:bodies AS text[]))
           AS t(a, w, e, d, b)
    """
).bindparams(sa.bindparam("now", type_=webhook_deliveries.c.created_at.type))


async def queue_events(conn: AsyncConnection, events: Sequence[Event], now: datetime) -> int:
    """One pending delivery per event and subscribed webhook of its account, due now."""
    if not events:
        return 0
    accounts = {e.account_id for e in events}
    found = await conn.execute(
        sa.select(W.id, W.account_id, W.subscriptions).where(W.account_id.in_(accounts))
    )
    targets: dict[int, list[tuple[int, Sequence[str]]]] = {}
    for webhook_id, account_id, subscriptions in found:
        targets.setdefault(account_id, []).append((webhook_id, subscriptions))
    if not targets:
        return 0  # the common case: no webhook, no body built, no INSERT
    rows = []
    for event in events:
        body: str | None = None
        for webhook_id, subscriptions in targets.get(event.account_id, ()):
            if event.name not in subscriptions:
                continue
            body = body if body is not None else payload(event).decode()
            rows.append(
                {
                    "account_id": event.account_id,
                    "webhook_id": webhook_id,
                    "event": event.name,
                    "delivery_id": str(uuid.uuid4()),
                    "body": body,
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
    if rows and conn.dialect.name == "postgresql":
        columns = {key: [r[key] for r in rows] for key in ("account_id", "webhook_id", "event")}
        ids = [r["delivery_id"] for r in rows]
        bodies = [r["body"] for r in rows]
        await conn.execute(_PG_QUEUE, {"now": now, "ids": ids, "bodies": bodies, **columns})
    elif rows:
        await conn.execute(sa.insert(webhook_deliveries), rows)
    return len(rows)


class SqlDeliveries(SqlDeliveryLog):
    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn)
        #: deliveries made due in this transaction: the unit of work wakes the
        #: deliverer once it has committed them
        self.queued = 0

    async def queue(self, events: Sequence[Event], now: datetime) -> int:
        count = await queue_events(self._conn, events, now)
        self.queued += count
        return count

    async def claim(
        self, now: datetime, limit: int, per_account: int, lease_until: datetime
    ) -> list[OutgoingDelivery]:
        if limit <= 0:
            return []
        busy: dict[int, int] = dict(
            (
                await self._conn.execute(
                    sa.select(D.account_id, sa.func.count())
                    .where(D.status == PENDING, D.leased_until > now)
                    .group_by(D.account_id)
                )
            ).all()
        )
        full = sorted(a for a, n in busy.items() if n >= per_account)
        columns = (D.id, D.delivery_id, D.account_id, D.webhook_id, D.event, D.body, D.attempts)
        query = (
            sa.select(*columns, W.url, W.secret)
            .join(webhooks, W.id == D.webhook_id)
            .where(
                D.status == PENDING,
                D.next_attempt_at <= now,
                sa.or_(D.leased_until.is_(None), D.leased_until <= now),
            )
            .order_by(D.next_attempt_at, D.id)
            .limit(limit * _LOOK_AHEAD)
            .with_for_update(of=webhook_deliveries, skip_locked=True)
        )
        if full:
            query = query.where(D.account_id.not_in(full))
        chosen: list[OutgoingDelivery] = []
        for row in await self._conn.execute(query):
            if len(chosen) == limit:
                break
            if busy.get(row.account_id, 0) >= per_account:
                continue
            busy[row.account_id] = busy.get(row.account_id, 0) + 1
            chosen.append(
                OutgoingDelivery(
                    id=row.id,
                    delivery_id=row.delivery_id,
                    account_id=row.account_id,
                    webhook_id=row.webhook_id,
                    url=row.url,
                    secret=row.secret,
                    event=row.event,
                    body=row.body.encode(),
                    attempts=row.attempts,
                )
            )
        if chosen:
            await self._conn.execute(
                sa.update(webhook_deliveries)
                .where(D.id.in_([d.id for d in chosen]))
                .values(leased_until=lease_until)
            )
        return chosen

    async def record(
        self, delivery: OutgoingDelivery, result: AttemptResult, at: datetime, settled: Settled
    ) -> None:
        delivered = result.kind is AttemptKind.DELIVERED
        updated = await self._conn.execute(
            sa.update(webhook_deliveries)
            .where(D.id == delivery.id)
            .values(
                attempts=D.attempts + 1,
                status=settled.status.value,
                next_attempt_at=settled.next_attempt_at,
                leased_until=None,
                last_error=None if delivered else result.error,
                delivered_at=at if delivered else D.delivered_at,
            )
            .returning(D.id)
        )
        if updated.one_or_none() is None:
            return  # its webhook was deleted meanwhile, and the delivery with it
        number = (
            sa.select(sa.func.coalesce(sa.func.max(A.number), 0) + 1)
            .where(A.webhook_delivery_id == delivery.id)
            .scalar_subquery()
        )
        await self._conn.execute(
            sa.insert(webhook_attempts).values(
                webhook_delivery_id=delivery.id,
                number=number,
                at=at,
                status_code=result.status_code,
                error=result.error,
                duration_ms=round(result.duration_ms, 3),
            )
        )

    async def release(self, ids: Sequence[int]) -> None:
        if ids:
            await self._conn.execute(
                sa.update(webhook_deliveries)
                .where(D.id.in_(list(ids)), D.status == PENDING)
                .values(leased_until=None)
            )

    async def next_due(self, now: datetime) -> datetime | None:
        """The earliest moment a claim may find something: a pending row falling due, or
        a lease lapsing (a row being sent, or left by a runner that died)."""
        free = await self._scalar(
            sa.select(sa.func.min(D.next_attempt_at)).where(
                D.status == PENDING, sa.or_(D.leased_until.is_(None), D.leased_until <= now)
            )
        )
        leased = await self._scalar(
            sa.select(sa.func.min(D.leased_until)).where(D.status == PENDING, D.leased_until > now)
        )
        times = [t for t in (free, leased) if t is not None]
        return min(times) if times else None

    async def pending(self) -> int:
        count = sa.select(sa.func.count()).select_from(webhook_deliveries)
        return int(await self._scalar(count.where(D.status == PENDING)) or 0)

    async def replay(
        self, account_id: int, webhook_id: int, delivery_id: str, now: datetime
    ) -> None:
        await owned.require(self._conn, webhooks, [webhook_id], account_id)
        done = await self._conn.execute(
            sa.update(webhook_deliveries)
            .where(
                D.delivery_id == delivery_id,
                D.webhook_id == webhook_id,
                D.account_id == account_id,
            )
            .values(
                status=PENDING,
                attempts=0,
                next_attempt_at=now,
                last_error=None,
                delivered_at=None,
            )
        )
        if done.rowcount == 0:
            raise errors.DeliveryNotFound(delivery_id)
        self.queued += 1

    async def prune(self, before: datetime) -> int:
        done = await self._conn.execute(
            sa.delete(webhook_deliveries).where(D.status != PENDING, D.created_at < before)
        )
        return int(done.rowcount or 0)

    async def _scalar(self, query: sa.Select[Any]) -> Any:
        return (await self._conn.execute(query)).scalar_one_or_none()
