"""The webhook delivery log: each delivery with its status and every attempt."""

from __future__ import annotations

from typing import Literal

from autoassign.entrypoints.api.schemas.common import Out, PageMeta, UnixTime


class AttemptPublic(Out):
    #: 1, 2, ... across rounds (a replay starts a new round, numbering goes on)
    number: int
    at: UnixTime
    #: the receiver's answer, or null when none came (see ``error``)
    status_code: int | None
    error: str | None
    duration_ms: float


class DeliveryPublic(Out):
    id: int
    webhook_id: int
    event: str
    #: the ``webhook-id`` header receivers deduplicate on: the same for every attempt
    #: and every replay
    delivery_id: str
    status: Literal["pending", "delivered", "failed", "refused"]
    #: attempts in the current round
    attempts: int
    #: when a pending delivery is tried next
    next_attempt_at: UnixTime | None
    last_error: str | None
    created_at: UnixTime
    delivered_at: UnixTime | None
    log: list[AttemptPublic]


class DeliveryPage(Out):
    meta: PageMeta
    payload: list[DeliveryPublic]
