"""The webhook outbox: what is written with an assignment, claimed, sent and recorded.

Two ports. ``DeliveryRepository`` is the outbox table, reached through the unit of work
(and, for engine batches, through ``InboxBatch.record_events`` on the batch's own
transaction). ``WebhookSender`` makes one HTTP attempt and says how it went; whether to
try again is the delivery service's decision, not the sender's.

A claim *leases* the rows it returns (``leased_until``): the lease keeps every other
runner off them while they are sent, without a transaction held open across the
network, and if the runner dies mid-send the lease lapses and the row is sent again
(at least once; receivers deduplicate on ``delivery_id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from autoassign.core.deliveries import DeliveryStatus, DeliveryView
from autoassign.core.events import Event
from autoassign.core.views import Page, Paging


@dataclass(frozen=True, slots=True)
class OutgoingDelivery:
    """A claimed delivery with what sending it needs (the webhook's URL and secret as
    they are now: a changed URL or rotated secret applies to pending deliveries too)."""

    id: int
    delivery_id: str
    account_id: int
    webhook_id: int
    url: str
    secret: str
    event: str
    body: bytes
    #: attempts already made in this round
    attempts: int


class AttemptKind(StrEnum):
    DELIVERED = "delivered"
    #: an answer other than 2xx, a timeout or a connection error: worth retrying
    FAILED = "failed"
    #: the address policy refused the target: retrying cannot help
    REFUSED = "refused"
    #: the delivery cannot be sent at all (a malformed URL): retrying cannot help
    BROKEN = "broken"


@dataclass(frozen=True, slots=True)
class AttemptResult:
    kind: AttemptKind
    duration_ms: float
    status_code: int | None = None
    error: str | None = None


class WebhookSender(Protocol):
    async def send(self, delivery: OutgoingDelivery) -> AttemptResult:
        """One signed POST; never raises for what the receiver or the network does."""
        ...


@dataclass(frozen=True, slots=True)
class Settled:
    """What an attempt left the delivery as: its status and, if pending, when it is
    tried next."""

    status: DeliveryStatus
    next_attempt_at: datetime | None = None


class DeliveryRepository(Protocol):
    async def queue(self, events: Sequence[Event], now: datetime) -> int:
        """One pending delivery per event and webhook of its account subscribed to it;
        returns how many. The caller's transaction commits them with the change."""
        ...

    async def claim(
        self, now: datetime, limit: int, per_account: int, lease_until: datetime
    ) -> list[OutgoingDelivery]:
        """Up to ``limit`` due deliveries, oldest due first, leased until ``lease_until``;
        an account never has more than ``per_account`` leased at once, so one account's
        slow receiver cannot take every slot."""
        ...

    async def record(
        self, delivery: OutgoingDelivery, result: AttemptResult, at: datetime, settled: Settled
    ) -> None:
        """Log the attempt, count it, set the new status and release the lease."""
        ...

    async def release(self, ids: Sequence[int]) -> None:
        """Drop the leases of deliveries whose attempt was abandoned (a shutdown)."""
        ...

    async def next_due(self, now: datetime) -> datetime | None:
        """The earliest moment a claim may find something (a pending delivery falling
        due, or a lease lapsing); None when nothing is pending."""
        ...

    async def pending(self) -> int: ...

    async def replay(
        self, account_id: int, webhook_id: int, delivery_id: str, now: datetime
    ) -> None:
        """Pending again, due now, with a new round of attempts and the same delivery id
        (WebhookNotFound, DeliveryNotFound)."""
        ...

    async def page(self, account_id: int, webhook_id: int, paging: Paging) -> Page[DeliveryView]:
        """The webhook's deliveries, newest first, each with its attempt log."""
        ...

    async def delivery(self, account_id: int, webhook_id: int, delivery_id: str) -> DeliveryView:
        """One delivery with its attempt log (WebhookNotFound, DeliveryNotFound)."""
        ...

    async def prune(self, before: datetime) -> int:
        """Forget settled deliveries (and their attempts) created before ``before``."""
        ...
