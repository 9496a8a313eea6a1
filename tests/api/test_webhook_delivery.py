"""Webhooks delivered to a real HTTP receiver on 127.0.0.1, signed and retried.

127.0.0.1 is refused as a webhook target by default (SSRF), so these tests allow it the
way an operator would, with AUTOASSIGN_WEBHOOK_ALLOWED_HOSTS (the ``api`` fixture's
Settings read the environment for what it does not set itself).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from autoassign.adapters.webhooks import verify
from tests.api.conftest import Api


class Receiver:
    """Records every POST; answers 500 to the first ``fail_first`` of them."""

    def __init__(self, fail_first: int = 0) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = 500 if len(receiver.requests) <= receiver.fail_first else 204
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.requests) >= count, f"got {len(self.requests)} of {count} deliveries"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_allowed_hosts() -> str:
    """The allow-list; a test parametrizes this name to change it."""
    return "127.0.0.1"


@pytest.fixture(autouse=True)
def _allow_list(webhook_allowed_hosts: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # autouse: set before the ``api`` fixture builds its Settings
    monkeypatch.setenv("AUTOASSIGN_WEBHOOK_ALLOWED_HOSTS", webhook_allowed_hosts)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(fail_first=1)
    yield made
    made.close()


def test_assignment_is_delivered_signed_and_retried(api: Api, account, receiver: Receiver):
    hook = api.ok("POST", account, "/webhooks", json={"url": receiver.url})
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]])
    conversation = api.conversation(account, inbox["id"])
    assert conversation["assignee_id"] == agent["id"]
    receiver.wait_for(2)  # the first attempt got a 500 and was retried
    first, second = receiver.requests[:2]
    assert first[1] == second[1]
    assert first[0]["X-Autoassign-Delivery"] == second[0]["X-Autoassign-Delivery"]
    assert first[0]["webhook-id"] == second[0]["webhook-id"] == first[0]["X-Autoassign-Delivery"]
    headers, body = second
    expected = "sha256=" + hmac.new(hook["secret"].encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Autoassign-Signature"], expected)
    for attempt_headers, attempt_body in (first, second):  # each attempt signed on its own
        assert verify(hook["secret"], attempt_headers, attempt_body) == headers["webhook-id"]
    assert headers["X-Autoassign-Event"] == "assignee_changed"
    payload = json.loads(body)
    assert payload["event"] == "assignee_changed"
    assert payload["conversation_id"] == conversation["id"]
    assert payload["assignee_id"] == agent["id"]
    assert payload["account_id"] == account.id
    assert payload["policy_id"] == inbox["policy_id"]
    time.sleep(0.3)
    assert len(receiver.requests) == 2  # delivered once it succeeded: no duplicates


def test_an_unreachable_webhook_never_blocks_assignment(api: Api, account):
    api.ok("POST", account, "/webhooks", json={"url": "http://127.0.0.1:9/unreachable"})
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]])
    started = time.monotonic()
    conversation = api.conversation(account, inbox["id"])
    assert conversation["assignee_id"] == agent["id"]
    assert time.monotonic() - started < 2


def test_other_accounts_webhooks_hear_nothing(api: Api, receiver: Receiver):
    mine, theirs = api.new_account("mine"), api.new_account("theirs")
    api.ok("POST", theirs, "/webhooks", json={"url": receiver.url})
    agent = api.agent(mine)
    inbox = api.inbox(mine, [agent["id"]])
    api.conversation(mine, inbox["id"])
    time.sleep(0.3)
    assert receiver.requests == []


@pytest.mark.parametrize("webhook_allowed_hosts", [""])
def test_a_loopback_webhook_is_refused_by_default(api: Api, account, receiver: Receiver):
    api.ok("POST", account, "/webhooks", json={"url": receiver.url})
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]])
    conversation = api.conversation(account, inbox["id"])
    assert conversation["assignee_id"] == agent["id"]  # assignment is not affected
    time.sleep(0.3)
    assert receiver.requests == []
