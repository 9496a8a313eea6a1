"""Webhooks delivered to a real HTTP receiver on 127.0.0.1, signed and retried.

127.0.0.1 is refused as a webhook target by default (SSRF), so these tests allow it the
way an operator would, with AUTOASSIGN_WEBHOOK_ALLOWED_HOSTS (the ``api`` fixture's
Settings read the environment for what it does not set itself).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from autoassign.adapters.webhooks import verify
from tests.api.conftest import Account, Api


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

    def wait_for(
        self, count: int, seconds: float = 10, pump: Callable[[], None] | None = None
    ) -> None:
        """``pump``: run the job queue meanwhile (on PostgreSQL a retry falling due after
        the delivery job stopped lingering waits for the next job, which only a worker,
        or here the test's drain, runs)."""
        deadline = time.monotonic() + seconds
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
            if pump is not None and len(self.requests) < count:
                pump()
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
    receiver.wait_for(2, pump=api.drain)  # the first attempt got a 500 and was retried
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


def deliveries(api: Api, account: Account, hook_id: int, **query: int) -> dict[str, Any]:
    """The delivery log, once nothing is pending any more (the runner is in the
    background on the embedded default)."""
    deadline = time.monotonic() + 10
    while True:
        page: dict[str, Any] = api.ok(
            "GET", account, f"/webhooks/{hook_id}/deliveries", params=query
        )
        if all(d["status"] != "pending" for d in page["payload"]):
            return page
        assert time.monotonic() < deadline, page
        time.sleep(0.05)


def test_the_delivery_log_shows_each_attempt_and_a_replay_keeps_the_id(
    api: Api, account: Account, receiver: Receiver
):
    hook = api.ok("POST", account, "/webhooks", json={"url": receiver.url})
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]])
    api.conversation(account, inbox["id"])
    receiver.wait_for(2, pump=api.drain)  # a 500, then a 204
    page = deliveries(api, account, hook["id"])
    assert page["meta"] == {"page": 1, "per_page": 25, "total": 1}
    [delivery] = page["payload"]
    assert delivery["status"] == "delivered"
    assert delivery["attempts"] == 2
    assert [(a["number"], a["status_code"]) for a in delivery["log"]] == [(1, 500), (2, 204)]
    assert delivery["log"][0]["error"] == "status 500"
    assert delivery["delivery_id"] == receiver.requests[0][0]["webhook-id"]
    assert delivery["delivered_at"] is not None

    path = f"/webhooks/{hook['id']}/deliveries/{delivery['delivery_id']}/replay"
    replayed = api.ok("POST", account, path)
    assert replayed["delivery_id"] == delivery["delivery_id"]
    receiver.wait_for(3, pump=api.drain)
    assert receiver.requests[2][0]["webhook-id"] == delivery["delivery_id"]
    assert receiver.requests[2][1] == receiver.requests[0][1]  # the same body
    [again] = deliveries(api, account, hook["id"])["payload"]
    assert (again["status"], again["attempts"]) == ("delivered", 1)  # a new round
    assert [a["number"] for a in again["log"]] == [1, 2, 3]


def test_delivery_routes_refuse_what_is_not_the_accounts(api: Api, account: Account):
    hook = api.ok("POST", account, "/webhooks", json={"url": "http://127.0.0.1:9/hook"})
    other = api.new_account("other")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert api.call("GET", other, f"/webhooks/{hook['id']}/deliveries").status_code == 404
    replay = f"/webhooks/{hook['id']}/deliveries/{unknown}/replay"
    assert api.call("POST", account, replay).status_code == 404
    assert api.call("POST", other, replay).status_code == 404
    bad = f"/webhooks/{hook['id']}/deliveries/not-a-uuid/replay"
    assert api.call("POST", account, bad).status_code == 422


def test_an_assignment_by_hand_is_delivered_and_logged(
    api: Api, account: Account, receiver: Receiver
):
    receiver.fail_first = 0
    hook = api.ok("POST", account, "/webhooks", json={"url": receiver.url})
    agent = api.agent(account, availability="offline")
    inbox = api.inbox(account, [agent["id"]])
    conversation = api.conversation(account, inbox["id"])
    assert conversation["assignee_id"] is None
    path = f"/conversations/{conversation['id']}/assignments"
    api.ok("POST", account, path, json={"assignee_id": agent["id"]})
    receiver.wait_for(1, pump=api.drain)
    body = json.loads(receiver.requests[0][1])
    assert (body["assignee_id"], body["reason"], body["policy_id"]) == (
        agent["id"],
        "assigned by hand",
        None,
    )
    [delivery] = deliveries(api, account, hook["id"])["payload"]
    assert delivery["status"] == "delivered"


@pytest.mark.parametrize("webhook_allowed_hosts", [""])
def test_a_refused_target_is_logged_as_refused_and_not_retried(
    api: Api, account: Account, receiver: Receiver
):
    hook = api.ok("POST", account, "/webhooks", json={"url": receiver.url})
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]])
    api.conversation(account, inbox["id"])
    [delivery] = deliveries(api, account, hook["id"])["payload"]
    assert (delivery["status"], delivery["attempts"]) == ("refused", 1)
    [attempt] = delivery["log"]
    assert attempt["status_code"] is None
    assert "127.0.0.1 is loopback" in attempt["error"]
    assert receiver.requests == []


def test_the_pending_metric_is_read_from_the_outbox(api: Api, account: Account, receiver: Receiver):
    receiver.fail_first = 0
    hook = api.ok("POST", account, "/webhooks", json={"url": receiver.url})
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]])
    api.conversation(account, inbox["id"])
    [delivery] = deliveries(api, account, hook["id"])["payload"]
    assert "autoassign_webhook_deliveries_pending 0.0" in api.client.get("/metrics").text
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    hole = socket.socket()  # accepts and never answers: the delivery stays pending
    hole.bind(("127.0.0.1", 0))
    hole.listen(8)
    try:
        url = f"http://127.0.0.1:{hole.getsockname()[1]}/hook"
        api.ok("PATCH", account, f"/webhooks/{hook['id']}", json={"url": url})
        # not through ``api.call``: on PostgreSQL its drain would run the delivery job
        path = f"/api/v1/accounts/{account.id}/webhooks/{hook['id']}/deliveries"
        replay = f"{path}/{delivery['delivery_id']}/replay"
        assert api.client.post(replay, headers=account.headers).status_code == 200
        if engine.settings.embedded:  # sent at once by the runner, and hanging
            deadline = time.monotonic() + 5
            while not engine.webhooks.in_flight and time.monotonic() < deadline:
                time.sleep(0.01)
        assert "autoassign_webhook_deliveries_pending 1.0" in api.client.get("/metrics").text
    finally:
        hole.close()
