"""One webhook attempt: a signed POST through the address guard, and how it went.

The sender neither retries nor remembers: deliveries are rows (the outbox), and whether
to try again is the delivery service's decision (``services.deliveries``). What it owns
is the wire: the headers and their signatures, the HTTP client that connects only to
addresses the policy allows, and a hard deadline per attempt, so a receiver that
accepts the connection and never answers costs one slot for a bounded time.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable, Iterable

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
from autoassign.core.ports.deliveries import AttemptKind, AttemptResult, OutgoingDelivery

# the package's name, as before it was split into modules: log filters and the tests
# select delivery refusals by this logger
logger = logging.getLogger("autoassign.adapters.webhooks")

EVENT_HEADER = "X-Autoassign-Event"
DELIVERY_HEADER = "X-Autoassign-Delivery"


class WebhookSender:
    """POSTs deliveries to public addresses only, plus what ``allowed_hosts`` names
    (host names, addresses or CIDR ranges, comma-separated or as a list).

    ``timeout`` bounds each phase (connect, write, read); the whole attempt is cut off
    at twice that. ``resolve``, ``ssl_context`` and ``now`` (the clock of
    ``webhook-timestamp``) exist for tests and unusual deployments.
    """

    def __init__(
        self,
        *,
        timeout: float = 5.0,
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
        self._deadline = 2 * timeout
        self._now = now

    def headers(self, delivery: OutgoingDelivery) -> dict[str, str]:
        """This attempt's headers: the timestamp, and so the v1 signature, are new for
        every attempt (a retry an hour later must not look an hour old), the id is not."""
        secret, body, delivery_id = delivery.secret, delivery.body, delivery.delivery_id
        timestamp = int(self._now())
        return {
            "Content-Type": "application/json",
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: delivery_id,
            SIGNATURE_HEADER: sign(secret, body),
            ID_HEADER: delivery_id,
            TIMESTAMP_HEADER: str(timestamp),
            STANDARD_SIGNATURE_HEADER: sign_v1(secret, delivery_id, timestamp, body),
        }

    async def send(self, delivery: OutgoingDelivery) -> AttemptResult:
        started = time.perf_counter()

        def done(
            kind: AttemptKind, status: int | None = None, error: str | None = None
        ) -> AttemptResult:
            return AttemptResult(kind, (time.perf_counter() - started) * 1000, status, error)

        try:
            async with asyncio.timeout(self._deadline):
                response = await self._client.post(
                    delivery.url, content=delivery.body, headers=self.headers(delivery)
                )
        except (httpx2.HTTPError, TimeoutError) as exc:
            return done(AttemptKind.FAILED, error=f"{type(exc).__name__}: {exc}".rstrip(": "))
        except TargetRefused as exc:
            logger.warning(
                "webhook delivery %s to %s refused, not retried: %s",
                delivery.delivery_id,
                delivery.url,
                exc.reason,
                extra={"action": "webhook_refused", "webhook_id": delivery.webhook_id},
            )
            return done(AttemptKind.REFUSED, error=f"refused: {exc.reason}")
        except Exception as exc:  # a bad URL, say: retrying cannot help
            logger.warning(
                "webhook delivery %s to %s cannot be sent",
                delivery.delivery_id,
                delivery.url,
                exc_info=exc,  # the traceback, for what nobody expected
                extra={"action": "webhook_broken", "webhook_id": delivery.webhook_id},
            )
            return done(AttemptKind.BROKEN, error=f"{type(exc).__name__}: {exc}")
        if response.is_success:
            return done(AttemptKind.DELIVERED, response.status_code)
        return done(AttemptKind.FAILED, response.status_code, f"status {response.status_code}")

    async def aclose(self) -> None:
        await self._client.aclose()
