"""Sending the webhook outbox: claim what is due, send it, record how it went.

Deliveries are rows written with the assignment they announce (``InboxBatch.record_events``
and ``uow.deliveries.queue``), so a restart loses none. Whatever runs them (a loop in the
process on the embedded default, a Procrastinate job on PostgreSQL) only schedules:
the rules are here. A claim leases a few due rows, never more than ``per_account`` of
one account at once, so a receiver that hangs holds its own account's slots and nobody
else's. A failed attempt is tried again after ``retry_delay`` seconds, doubling, until
``attempts`` tries have failed; a refused target (the address policy) and an unsendable
delivery (a malformed URL) are never retried. Receivers may get a delivery more than
once (a lease lapsing after a crash mid-send), always under the same ``delivery_id``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from autoassign.core.deliveries import DeliveryStatus
from autoassign.core.ports import Clock
from autoassign.core.ports.deliveries import (
    AttemptKind,
    AttemptResult,
    OutgoingDelivery,
    Settled,
    WebhookSender,
)
from autoassign.core.ports.uow import UnitOfWorkFactory

# the webhook package's logger, as before deliveries became rows: log filters select
# delivery failures and refusals by it
logger = logging.getLogger("autoassign.adapters.webhooks")


@dataclass(frozen=True, slots=True)
class DeliveryRules:
    #: tries per delivery (per round: a replay starts a new one)
    attempts: int = 5
    #: seconds before the first retry; doubling after each failure, up to the maximum
    retry_delay: float = 1.0
    max_retry_delay: float = 3600.0
    #: deliveries of one account being sent at once, across every runner
    per_account: int = 4
    #: how long a claim keeps other runners off a row; longer than any attempt lasts
    lease: timedelta = timedelta(seconds=60)
    #: settled deliveries (and their attempt logs) are forgotten after this long
    keep_for: timedelta = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Deliverer:
    """What a delivery run needs: the outbox, the time, and a way to POST."""

    uow: UnitOfWorkFactory
    clock: Clock
    sender: WebhookSender
    rules: DeliveryRules = DeliveryRules()


async def claim(d: Deliverer, slots: int) -> list[OutgoingDelivery]:
    """Lease up to ``slots`` due deliveries (each account held to its share)."""
    now = d.clock.now()
    async with d.uow.write() as uow:
        return await uow.deliveries.claim(now, slots, d.rules.per_account, now + d.rules.lease)


def settle(
    rules: DeliveryRules, delivery: OutgoingDelivery, result: AttemptResult, now: datetime
) -> Settled:
    """The delivery's status after this attempt, and when it is tried next."""
    if result.kind is AttemptKind.DELIVERED:
        return Settled(DeliveryStatus.DELIVERED)
    if result.kind is AttemptKind.REFUSED:
        return Settled(DeliveryStatus.REFUSED)
    made = delivery.attempts + 1
    if result.kind is AttemptKind.BROKEN or made >= rules.attempts:
        return Settled(DeliveryStatus.FAILED)
    delay = min(rules.retry_delay * 2 ** (made - 1), rules.max_retry_delay)
    return Settled(DeliveryStatus.PENDING, now + timedelta(seconds=delay))


async def attempt(d: Deliverer, delivery: OutgoingDelivery) -> tuple[AttemptResult, Settled]:
    """Send one claimed delivery and record the attempt (which releases its lease)."""
    result = await d.sender.send(delivery)
    now = d.clock.now()
    settled = settle(d.rules, delivery, result, now)
    async with d.uow.write() as uow:
        await uow.deliveries.record(delivery, result, now, settled)
    if settled.status is DeliveryStatus.FAILED:
        logger.warning(
            "webhook delivery %s to %s failed for good after %d attempt(s) (%s)",
            delivery.delivery_id,
            delivery.url,
            delivery.attempts + 1,
            result.error,
            extra={"action": "webhook_failed", "webhook_id": delivery.webhook_id},
        )
    return result, settled


async def next_due(d: Deliverer) -> datetime | None:
    """When a claim may next find something (None: nothing is pending)."""
    async with d.uow.read() as uow:
        return await uow.deliveries.next_due(d.clock.now())


async def release(d: Deliverer, deliveries: Sequence[OutgoingDelivery]) -> None:
    """Give back the rows of attempts cut short (a shutdown), to be sent at once by the
    next runner instead of after their lease."""
    async with d.uow.write() as uow:
        await uow.deliveries.release([x.id for x in deliveries])


async def prune(d: Deliverer) -> int:
    """Forget settled deliveries older than ``keep_for``: the log stays bounded."""
    async with d.uow.write() as uow:
        return await uow.deliveries.prune(d.clock.now() - d.rules.keep_for)
