"""Webhook deliveries as the API shows them: one row per event and webhook, and its attempts.

A delivery is written in the same transaction as the assignment it announces (the
outbox), so it exists exactly when the assignment does, and is sent later by whatever
runs deliveries. Its ``delivery_id`` is the ``webhook-id`` receivers deduplicate on: it
never changes, not across retries and not across a replay.

The statuses, the views and the not-found error live together here (not in ``views``
and ``errors``) because they belong to one small aggregate that only the webhook
services, the delivery repository and the delivery routes use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class DeliveryStatus(StrEnum):
    #: waiting for its first attempt or for a retry (or being sent right now)
    PENDING = "pending"
    #: a 2xx answer was received
    DELIVERED = "delivered"
    #: every attempt failed, or the delivery cannot be sent (a malformed URL): not retried
    FAILED = "failed"
    #: the target is not public and not allow-listed: never connected to, not retried
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class AttemptView:
    """One try: when, how long, and what came back (a status code or an error)."""

    number: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: int
    account_id: int
    webhook_id: int
    event: str
    #: the ``webhook-id`` header: the same for every attempt and every replay
    delivery_id: str
    status: DeliveryStatus
    #: attempts in the current round (a replay starts a new round)
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    #: every attempt, oldest first (numbered across rounds)
    log: tuple[AttemptView, ...] = ()
