"""The webhook receiver of the fault suite: a threaded HTTP server in the test process, on
a free loopback port, that records every delivery it accepts.

A scenario's account registers it as its webhook (``harness.watch_webhooks``), so each
assignment is POSTed to it by the workers (the outbox: ``webhook_deliveries`` rows
written with the claim, sent by the ``autoassign.deliver_webhooks`` job). It checks each
request as a receiver must (``webhook-signature``, with the webhook's secret: a forged or
altered request is answered 400 and not counted), and answers 503 to the first attempt
of every ``refuse_every``-th delivery, so that retries are in flight when faults strike
too. ``invariants.webhook_report`` compares what it accepted with ``assignments``.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from autoassign.adapters.webhooks import ID_HEADER, SignatureError, verify

#: every this many deliveries, the first attempt is answered 503 (and retried)
REFUSE_EVERY = 10


@dataclass(frozen=True, slots=True)
class Received:
    """One accepted delivery (answered 2xx): its ``webhook-id`` and what its body says."""

    delivery_id: str
    event: str
    conversation_id: int
    assignee_id: int
    #: when it arrived (``time.time()``)
    at: float


class Receiver:
    """Records each POST it accepts. ``secret`` (set once the webhook exists) makes it
    verify signatures; ``refuse_every`` 0 accepts every first attempt."""

    def __init__(self, secret: str | None = None, refuse_every: int = REFUSE_EVERY) -> None:
        self.secret = secret
        self.refuse_every = refuse_every
        #: first attempts answered 503 on purpose
        self.refused = 0
        #: requests answered 400: a bad signature, or a body that is not an assignment
        self.rejected = 0
        self._accepted: list[Received] = []
        self._attempts: dict[str, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the sender reuses its connections
            timeout = 30

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver._answer(dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook-receiver", daemon=True
        )
        self._thread.start()

    def _answer(self, headers: dict[str, str], body: bytes) -> int:
        try:
            if self.secret is not None:
                verify(self.secret, headers, body)
            delivery_id = {k.lower(): v for k, v in headers.items()}[ID_HEADER]
            data = json.loads(body)
            got = Received(
                delivery_id,
                str(data["event"]),
                int(data["conversation_id"]),
                int(data["assignee_id"]),
                time.time(),
            )
        except (SignatureError, KeyError, ValueError, TypeError):
            with self._lock:
                self.rejected += 1
            return 400
        with self._lock:
            first = delivery_id not in self._attempts
            self._attempts[delivery_id] = self._attempts.get(delivery_id, 0) + 1
            every = self.refuse_every
            if first and every > 0 and len(self._attempts) % every == 0:
                self.refused += 1
                return 503
            self._accepted.append(got)
        return 204

    def received(self) -> list[Received]:
        """Every delivery accepted so far, in order of arrival (a copy)."""
        with self._lock:
            return list(self._accepted)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


@dataclass
class WebhookWatch:
    """A scenario's receiver, the webhook registered for it, and the marks that say which
    fault each assignment is counted under."""

    receiver: Receiver
    webhook_id: int
    #: (the last assignment id when a fault had healed, that fault's label), in order
    marks: list[tuple[int, str]] = field(default_factory=list)

    def fault_of(self, assignment_id: int) -> str | None:
        """The first fault healed after the assignment (the last one for later ones)."""
        for upto, label in self.marks:
            if assignment_id <= upto:
                return label
        return self.marks[-1][1] if self.marks else None
