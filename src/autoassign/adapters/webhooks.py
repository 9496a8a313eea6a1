"""Webhook delivery: HMAC-signed JSON POSTs, retried with backoff, never blocking a batch.

``WebhookSink`` turns events into deliveries for the webhooks subscribed to them;
``WebhookDispatcher`` sends them from a background task. The receiver verifies
``X-Autoassign-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body with the
webhook's secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx2

from autoassign.core.events import Event
from autoassign.core.ports import EventSink

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Autoassign-Signature"
EVENT_HEADER = "X-Autoassign-Event"
DELIVERY_HEADER = "X-Autoassign-Delivery"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    webhook_id: int
    account_id: int
    url: str
    secret: str
    subscriptions: frozenset[str]


@dataclass(slots=True)
class Delivery:
    target: WebhookTarget
    event: str
    body: bytes
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    attempt: int = 0


class WebhookDispatcher:
    """Sends deliveries from ``concurrency`` background tasks (one slow receiver must not
    hold up the rest); failed ones are retried after ``base_delay * 2**attempt`` seconds,
    up to ``attempts`` tries in all. Deliveries are not ordered."""

    def __init__(
        self,
        client: httpx2.AsyncClient | None = None,
        *,
        attempts: int = 5,
        base_delay: float = 0.5,
        timeout: float = 5.0,
        concurrency: int = 16,
    ) -> None:
        self._client = client or httpx2.AsyncClient(timeout=timeout)
        self._attempts = attempts
        self._base_delay = base_delay
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self._concurrency = concurrency
        self._workers: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.Task[None]] = set()
        #: deliveries not yet delivered or given up on
        self._outstanding = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, delivery: Delivery) -> None:
        if delivery.attempt == 0:
            self._outstanding += 1
            self._idle.clear()
        self._enqueue(delivery)

    def _enqueue(self, delivery: Delivery) -> None:
        self._queue.put_nowait(delivery)
        if len(self._workers) < self._concurrency:
            worker = asyncio.create_task(self._run(), name="webhook-dispatcher")
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)

    @property
    def pending(self) -> int:
        return self._outstanding

    def _settled(self) -> None:
        self._outstanding -= 1
        if self._outstanding == 0:
            self._idle.set()

    async def _run(self) -> None:
        while True:
            delivery = await self._queue.get()
            try:
                await self._send(delivery)
            finally:
                self._queue.task_done()

    async def _send(self, delivery: Delivery) -> None:
        headers = {
            "Content-Type": "application/json",
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: delivery.id,
            SIGNATURE_HEADER: sign(delivery.target.secret, delivery.body),
        }
        try:
            response = await self._client.post(
                delivery.target.url, content=delivery.body, headers=headers
            )
            ok = response.is_success
            problem = f"status {response.status_code}"
        except httpx2.HTTPError as exc:
            ok, problem = False, f"{type(exc).__name__}: {exc}"
        if ok:
            self._settled()
            return
        delivery.attempt += 1
        if delivery.attempt >= self._attempts:
            self._settled()
            logger.warning(
                "webhook delivery %s to %s failed for good (%s)",
                delivery.id,
                delivery.target.url,
                problem,
                extra={"action": "webhook_failed"},
            )
            return
        delay = self._base_delay * 2 ** (delivery.attempt - 1)
        timer = asyncio.create_task(self._later(delivery, delay))
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    async def _later(self, delivery: Delivery, delay: float) -> None:
        await asyncio.sleep(delay)
        self._enqueue(delivery)

    async def drain(self, grace: float = 10.0) -> None:
        """Wait until every delivery is delivered or given up on (at most ``grace`` s)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)

    async def aclose(self, grace: float = 5.0) -> None:
        await self.drain(grace)
        for task in [*self._timers, *self._workers]:
            task.cancel()
        await self._client.aclose()


WebhookLookup = Callable[[set[int], str], Awaitable[Sequence[WebhookTarget]]]


class WebhookSink:
    """An EventSink that fans events out to the account's subscribed webhooks."""

    def __init__(self, lookup: WebhookLookup, dispatcher: WebhookDispatcher) -> None:
        self._lookup = lookup
        self.dispatcher = dispatcher

    async def publish(self, events: Sequence[Event]) -> None:
        by_name: dict[str, list[Event]] = {}
        for event in events:
            by_name.setdefault(event.name, []).append(event)
        for name, group in by_name.items():
            targets = await self._lookup({e.account_id for e in group}, name)
            if not targets:
                continue  # the common case: no body is built for nobody
            for event in group:
                mine = [t for t in targets if t.account_id == event.account_id]
                if mine:
                    body = payload(event)
                    for target in mine:
                        self.dispatcher.submit(Delivery(target, name, body))


def payload(event: Event) -> bytes:
    data = {
        "account_id": event.account_id,
        "assigned_at": event.assigned_at.isoformat(),
        "assignee_id": event.agent_id,
        "conversation_id": event.conversation_id,
        "event": event.name,
        "inbox_id": event.inbox_id,
        "policy_id": event.policy_id,
        "reason": event.reason,
    }
    return json.dumps(data, sort_keys=True).encode()


class FanoutSink:
    """Publishes to several sinks; one failing sink does not stop the others."""

    def __init__(self, *sinks: EventSink) -> None:
        self._sinks = sinks

    async def publish(self, events: Sequence[Event]) -> None:
        for sink in self._sinks:
            try:
                await sink.publish(events)
            except Exception:
                logger.exception("event sink %r failed", sink, extra={"action": "publish"})
