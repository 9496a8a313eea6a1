"""Sending deliveries: a queue drained by background tasks, with retries and backoff.

Webhooks must never hold up an assignment batch, so events become ``Delivery`` objects
that are queued and sent later; a receiver that is slow or down costs a worker and a
timer, not the caller's time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx2

from autoassign.adapters.webhooks.addresses import AddressPolicy, Resolver, TargetRefused
from autoassign.adapters.webhooks.signing import (
    ID_HEADER,
    SIGNATURE_HEADER,
    STANDARD_SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    sign_v1,
)
from autoassign.adapters.webhooks.transport import GuardedTransport
from autoassign.core.views import WebhookView

# the package's name, as before it was split into modules: log filters and the tests
# select delivery failures and refusals by this logger
logger = logging.getLogger("autoassign.adapters.webhooks")

EVENT_HEADER = "X-Autoassign-Event"
DELIVERY_HEADER = "X-Autoassign-Delivery"


@dataclass(slots=True)
class Delivery:
    """One event for one webhook. Retries resend this same object, so ``id`` (the
    ``webhook-id`` receivers deduplicate on) is the same for every attempt."""

    target: WebhookView
    event: str
    body: bytes
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    attempt: int = 0


class WebhookDispatcher:
    """Sends deliveries from ``concurrency`` background tasks (one slow receiver must not
    hold up the rest); failed ones are retried after ``base_delay * 2**attempt`` seconds,
    up to ``attempts`` tries in all. Deliveries are not ordered.

    Only public addresses are POSTed to, plus what ``allowed_hosts`` names (host names,
    addresses or CIDR ranges, comma-separated or as a list); a refused target is given up
    on at once. ``resolve``, ``ssl_context`` and ``now`` (the clock of
    ``webhook-timestamp``) exist for tests and unusual deployments.
    """

    def __init__(
        self,
        *,
        attempts: int = 5,
        base_delay: float = 0.5,
        timeout: float = 5.0,
        concurrency: int = 16,
        allowed_hosts: str | Iterable[str] = "",
        resolve: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.policy = AddressPolicy(allowed_hosts, resolve)
        # trust_env=False: an HTTP(S)_PROXY from the environment would resolve and connect
        # on our behalf, past the guard; no redirects: a 3xx is a failed attempt, and
        # the guard would re-check every hop anyway
        self._client = httpx2.AsyncClient(
            transport=GuardedTransport(self.policy, ssl_context=ssl_context),
            timeout=timeout,
            trust_env=False,
            follow_redirects=False,
        )
        self._attempts = attempts
        self._base_delay = base_delay
        self._now = now
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

    def headers(self, delivery: Delivery) -> dict[str, str]:
        """This attempt's headers: the timestamp, and so the v1 signature, are new for
        every attempt (a retry an hour later must not look an hour old), the id is not."""
        secret, body = delivery.target.secret, delivery.body
        timestamp = int(self._now())
        return {
            "Content-Type": "application/json",
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: delivery.id,
            SIGNATURE_HEADER: sign(secret, body),
            ID_HEADER: delivery.id,
            TIMESTAMP_HEADER: str(timestamp),
            STANDARD_SIGNATURE_HEADER: sign_v1(secret, delivery.id, timestamp, body),
        }

    async def _send(self, delivery: Delivery) -> None:
        try:
            response = await self._client.post(
                delivery.target.url, content=delivery.body, headers=self.headers(delivery)
            )
            ok = response.is_success
            problem = f"status {response.status_code}"
        except httpx2.HTTPError as exc:
            ok, problem = False, f"{type(exc).__name__}: {exc}"
        except TargetRefused as exc:
            self._settled()
            logger.warning(
                "webhook delivery %s to %s refused, not retried: %s",
                delivery.id,
                delivery.target.url,
                exc.reason,
                extra={"action": "webhook_refused", "webhook_id": delivery.target.id},
            )
            return
        except Exception as exc:  # a bad URL, say: retrying cannot help, dying would leak
            self._give_up(delivery, f"{type(exc).__name__}: {exc}", "webhook_failed", exc)
            return
        if ok:
            self._settled()
            return
        delivery.attempt += 1
        if delivery.attempt >= self._attempts:
            self._give_up(delivery, problem, "webhook_failed")
            return
        delay = self._base_delay * 2 ** (delivery.attempt - 1)
        timer = asyncio.create_task(self._later(delivery, delay))
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    def _give_up(
        self, delivery: Delivery, problem: str, action: str, error: Exception | None = None
    ) -> None:
        self._settled()
        logger.warning(
            "webhook delivery %s to %s failed for good (%s)",
            delivery.id,
            delivery.target.url,
            problem,
            exc_info=error,  # the traceback, for what nobody expected
            extra={"action": action, "webhook_id": delivery.target.id},
        )

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
