"""The sender against real HTTP(S) receivers on 127.0.0.1: the address guard at
delivery time, DNS asked once per connection, TLS still checked against the host name,
signatures a receiver can verify, and a hard deadline per attempt. (Retries and giving
up are the delivery service's: tests/api/test_webhook_outbox.py.)

Names such as ``hooks.attacker.test`` are answered by a resolver table standing in for a
DNS server the attacker runs; the system resolver cannot answer them, so a delivery that
reaches the receiver proves the connection went to the address that was checked.
"""

from __future__ import annotations

import logging
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from autoassign.adapters.webhooks import WebhookSender, verify
from autoassign.core.ports.deliveries import AttemptKind, AttemptResult, OutgoingDelivery

SECRET = "9a" * 32
BODY = b'{"event":"assignee_changed"}'
LOGGER = "autoassign.adapters.webhooks"


class Receiver:
    """Records every POST (headers, body) and the TLS server name asked for; answers 500
    to the first ``fail_first`` requests, 204 after."""

    def __init__(self, *, fail_first: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.server_names: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                failing = len(receiver.requests) <= fail_first
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:

            def record(sock: ssl.SSLObject, name: str, ctx: ssl.SSLContext) -> None:
                self.server_names.append(name)

            tls.sni_callback = record
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


class Dns:
    """Answers from a table of per-name answer lists, the next answer for each lookup
    (the last one repeating): a rebinding DNS server. Records every lookup."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.lookups.append(host)
        answers = self.answers[host]
        return answers.pop(0) if len(answers) > 1 else answers[0]


def delivery(url: str) -> OutgoingDelivery:
    return OutgoingDelivery(
        id=1,
        delivery_id=str(uuid.uuid4()),
        account_id=1,
        webhook_id=7,
        url=url,
        secret=SECRET,
        event="assignee_changed",
        body=BODY,
        attempts=0,
    )


async def deliver(sender: WebhookSender, *deliveries: OutgoingDelivery) -> list[AttemptResult]:
    return [await sender.send(one) for one in deliveries]


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if getattr(r, "action", "") == "webhook_refused"]


async def test_loopback_gets_nothing_without_the_allow_list_and_the_post_with_it(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
):
    url = f"http://127.0.0.1:{receiver.port}/hook"
    caplog.set_level(logging.WARNING, logger=LOGGER)
    default = WebhookSender()
    started = time.monotonic()
    [result] = await deliver(default, delivery(url))
    await default.aclose()
    assert time.monotonic() - started < 3
    assert result.kind is AttemptKind.REFUSED  # settled at once: never retried
    assert receiver.requests == []
    [message] = refusals(caplog)
    assert "refused, not retried: 127.0.0.1 is loopback" in message

    allowing = WebhookSender(allowed_hosts="127.0.0.1")
    sent = delivery(url)
    [result] = await deliver(allowing, sent)
    await allowing.aclose()
    assert (result.kind, result.status_code) == (AttemptKind.DELIVERED, 204)
    [(headers, body)] = receiver.requests
    assert body == BODY
    assert verify(SECRET, headers, body) == sent.delivery_id == headers["X-Autoassign-Delivery"]


async def test_a_name_resolving_to_loopback_is_refused_at_delivery(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    dns = Dns({"hooks.attacker.test": [["93.184.215.14", "127.0.0.1"]]})
    sender = WebhookSender(resolve=dns)
    [result] = await deliver(sender, delivery(f"http://hooks.attacker.test:{receiver.port}/"))
    await sender.aclose()
    assert result.kind is AttemptKind.REFUSED
    assert receiver.requests == []
    assert dns.lookups == ["hooks.attacker.test"]  # refused for good: never asked again
    [message] = refusals(caplog)
    assert "hooks.attacker.test resolves to 127.0.0.1, which is loopback" in message


async def test_dns_is_asked_once_per_connection_and_the_checked_answer_is_used(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    # allowed while it points at the receiver; then rebinds to the metadata service
    dns = Dns({"rebind.test": [["127.0.0.1"], ["169.254.169.254"]]})
    sender = WebhookSender(allowed_hosts="127.0.0.1", resolve=dns)
    url = f"http://rebind.test:{receiver.port}/hook"
    await deliver(sender, delivery(url))
    assert dns.lookups == ["rebind.test"]  # httpcore did not resolve the name again
    [(headers, _)] = receiver.requests
    assert headers["Host"] == f"rebind.test:{receiver.port}"  # the name, not the address
    # the receiver closes each connection (HTTP/1.0): the next delivery connects anew,
    # and the new answer is checked before any byte goes out
    [result] = await deliver(sender, delivery(url))
    await sender.aclose()
    assert result.kind is AttemptKind.REFUSED
    assert dns.lookups == ["rebind.test", "rebind.test"]
    assert len(receiver.requests) == 1
    [message] = refusals(caplog)
    assert "rebind.test resolves to 169.254.169.254, which is link-local" in message


async def test_an_allow_listed_name_may_resolve_to_a_private_address(receiver: Receiver):
    dns = Dns({"hooks.internal": [["127.0.0.1"]], "other.internal": [["127.0.0.1"]]})
    sender = WebhookSender(allowed_hosts="hooks.internal", resolve=dns)
    results = await deliver(
        sender,
        delivery(f"http://hooks.internal:{receiver.port}/"),
        delivery(f"http://other.internal:{receiver.port}/"),
        delivery(f"http://127.0.0.1:{receiver.port}/"),
    )
    await sender.aclose()
    assert [r.kind for r in results] == [AttemptKind.DELIVERED] + [AttemptKind.REFUSED] * 2
    assert [h["Host"] for h, _ in receiver.requests] == [f"hooks.internal:{receiver.port}"]


async def test_a_retry_keeps_the_id_and_is_signed_with_its_own_time():
    receiver = Receiver(fail_first=1)
    clock = iter([1_800_000_000, 1_800_000_042])
    sender = WebhookSender(allowed_hosts="127.0.0.1", now=lambda: next(clock))
    sent = delivery(f"http://127.0.0.1:{receiver.port}/")
    failed, delivered = await deliver(sender, sent, sent)  # a retry resends the same row
    await sender.aclose()
    receiver.close()
    assert (failed.kind, failed.status_code, failed.error) == (
        AttemptKind.FAILED,
        500,
        "status 500",
    )
    assert delivered.kind is AttemptKind.DELIVERED
    first, second = receiver.requests
    assert first[0]["webhook-id"] == second[0]["webhook-id"] == sent.delivery_id
    assert (first[0]["webhook-timestamp"], second[0]["webhook-timestamp"]) == (
        "1800000000",
        "1800000042",
    )
    assert verify(SECRET, first[0], first[1], now=1_800_000_000) == sent.delivery_id
    assert verify(SECRET, second[0], second[1], now=1_800_000_042) == sent.delivery_id


async def test_connection_failures_are_transient():
    closed = Receiver()
    port = closed.port
    closed.close()  # nothing listens there any more
    sender = WebhookSender(allowed_hosts="127.0.0.1")
    [result] = await deliver(sender, delivery(f"http://127.0.0.1:{port}/"))
    await sender.aclose()
    assert result.kind is AttemptKind.FAILED  # worth retrying
    assert result.status_code is None
    assert "ConnectError" in (result.error or "")


async def test_a_receiver_that_never_answers_costs_at_most_the_deadline():
    """Accepts the connection, reads nothing, answers nothing: a black hole."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(8)
    sender = WebhookSender(allowed_hosts="127.0.0.1", timeout=0.3)
    started = time.monotonic()
    [result] = await deliver(sender, delivery(f"http://127.0.0.1:{hole.getsockname()[1]}/"))
    elapsed = time.monotonic() - started
    await sender.aclose()
    hole.close()
    assert result.kind is AttemptKind.FAILED
    assert "Timeout" in (result.error or "")
    assert 0.25 < elapsed < 1.0  # the read timeout; never more than twice the timeout
    assert 250 < result.duration_ms < 1000


# TLS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for hook.test only (not for 127.0.0.1)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=hook.test",
            "-addext", "subjectAltName=DNS:hook.test",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_receiver(certificate: tuple[Path, Path]) -> Iterator[Receiver]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    made = Receiver(tls=context)
    yield made
    made.close()


async def test_https_to_the_checked_address_still_verifies_the_host_name(
    tls_receiver: Receiver, certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    dns = Dns({"hook.test": [["127.0.0.1"]], "impostor.test": [["127.0.0.1"]]})
    sender = WebhookSender(allowed_hosts="127.0.0.1", resolve=dns, ssl_context=trust)
    port = tls_receiver.port
    [result] = await deliver(sender, delivery(f"https://hook.test:{port}/hook"))
    assert result.kind is AttemptKind.DELIVERED
    assert tls_receiver.server_names == ["hook.test"]  # SNI: the name, not the address
    [(headers, body)] = tls_receiver.requests
    assert headers["Host"] == f"hook.test:{port}"
    assert body == BODY
    # same address, names the certificate does not cover: the TLS check is still on
    failures = await deliver(
        sender,
        delivery(f"https://impostor.test:{port}/hook"),
        delivery(f"https://127.0.0.1:{port}/hook"),
    )
    await sender.aclose()
    assert len(tls_receiver.requests) == 1
    assert [f.kind for f in failures] == [AttemptKind.FAILED] * 2
    assert all("CERTIFICATE_VERIFY_FAILED" in (f.error or "") for f in failures)


async def test_a_malformed_url_cannot_be_sent_and_the_next_delivery_goes_out(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    sender = WebhookSender(allowed_hosts="127.0.0.1")
    broken, sent = await deliver(
        sender,
        delivery("http://[not-an-address]/"),
        delivery(f"http://127.0.0.1:{receiver.port}/"),
    )
    await sender.aclose()
    assert broken.kind is AttemptKind.BROKEN  # retrying cannot help
    assert "InvalidURL" in (broken.error or "")
    assert sent.kind is AttemptKind.DELIVERED
    assert len(receiver.requests) == 1
    [record] = [r for r in caplog.records if getattr(r, "action", "") == "webhook_broken"]
    assert record.exc_info is not None  # the traceback, for what nobody expected
