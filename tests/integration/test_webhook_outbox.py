"""Webhook deliveries are durable, isolated per account and bounded (issue 10, item 12),
on both back ends: the embedded default (the runner in the engine's process) and
PostgreSQL + Redis (``autoassign worker`` processes running the delivery job).

Receivers are real HTTP servers on 127.0.0.1 (allow-listed as an operator would); the
black hole accepts connections and never answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from autoassign.bootstrap import Engine, build
from autoassign.config import Settings
from autoassign.core.deliveries import DeliveryStatus, DeliveryView
from autoassign.core.drafts import WebhookDraft
from autoassign.core.model import Presence
from autoassign.core.views import Paging
from autoassign.services import conversations
from autoassign.services import webhooks as webhook_service
from tests.conftest import REDIS_URL
from tests.factories import World, add_conversations, assign, seed_world
from tests.integration.workers import worker_env, workers

pytestmark = pytest.mark.timeout(120)


async def until(condition: Callable[[], bool], seconds: float) -> None:
    """Poll ``condition`` (set by a server thread) every 10 ms for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # noqa: ASYNC110 (threads set it)
        await asyncio.sleep(0.01)


class Receiver:
    """Records every POST with its arrival time; answers ``status``."""

    def __init__(self, status: int = 204) -> None:
        self.requests: list[tuple[float, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((time.monotonic(), dict(self.headers), body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    async def wait_for(self, count: int, seconds: float = 20) -> None:
        await until(lambda: len(self.requests) >= count, seconds)
        assert len(self.requests) >= count, f"got {len(self.requests)} of {count} deliveries"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class BlackHole:
    """Accepts connections and never reads or answers: a receiver that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


Configure = Callable[..., Settings]


@pytest.fixture(params=["embedded", "postgres-redis"])
def configure(request: pytest.FixtureRequest) -> Configure:
    """Settings for the back end, with the test's webhook settings."""
    if request.param == "embedded":
        url, redis = str(request.getfixturevalue("sqlite_url")), None
    else:
        request.getfixturevalue("redis_client")
        url, redis = str(request.getfixturevalue("pg_url")), REDIS_URL
    prefix = f"hook{uuid.uuid4().hex[:6]}"

    def make(**webhook: object) -> Settings:
        fields = {f"webhook_{k}": v for k, v in webhook.items()}
        fields.setdefault("webhook_allowed_hosts", "127.0.0.1")
        return Settings(database_url=url, redis_url=redis, redis_prefix=prefix, **fields)  # type: ignore[arg-type]

    return make


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Engine]:
    """An engine whose deliveries run: in it (embedded), or in a worker process."""
    engine = build(settings)
    await engine.start()
    try:
        if settings.embedded:
            yield engine
            return
        env = {
            f"AUTOASSIGN_{name.upper()}": str(value)
            for name, value in settings.model_dump().items()
            if name.startswith("webhook_")
        }
        assert settings.redis_url is not None
        with workers(
            1, worker_env(settings.database_url, settings.redis_url, settings.redis_prefix, **env)
        ):
            yield engine
    finally:
        await engine.aclose()


async def hooked_world(engine: Engine, url: str, name: str = "Acme") -> World:
    world = await seed_world(engine, agents=(Presence.ONLINE,), conversations=0)
    draft = WebhookDraft(url, ["assignee_changed"])
    await webhook_service.create_webhook(engine.deps, world.account.id, draft)
    return world


async def deliveries(engine: Engine, world: World) -> list[DeliveryView]:
    [webhook] = await webhook_service.list_webhooks(engine.deps, world.account.id)
    page = await webhook_service.list_deliveries(
        engine.deps, world.account.id, webhook.id, Paging(per_page=100)
    )
    return list(page.items)


async def settled(engine: Engine, world: World, seconds: float = 30) -> list[DeliveryView]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = await deliveries(engine, world)
        if found and all(d.status is not DeliveryStatus.PENDING for d in found):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"still pending after {seconds} s: {await deliveries(engine, world)}")


async def test_a_delivery_queued_before_a_restart_is_sent_once_after_it(
    configure: Configure, receiver: Receiver
):
    settings = configure()
    first = build(settings)  # never started: nothing delivers, as if it died after commit
    world = await hooked_world(first, receiver.url)
    [conversation_id] = await add_conversations(first, world, 1)
    assert (await assign(first, world.inbox.id)).assigned == 1
    assert await webhook_service.pending_deliveries(first.deps) == 1
    await first.aclose()
    assert receiver.requests == []

    async with running(settings) as second:  # a new process on the same database
        await receiver.wait_for(1)
        await asyncio.sleep(1.0)
        [delivery] = await settled(second, world)
    assert len(receiver.requests) == 1  # once
    _, headers, body = receiver.requests[0]
    assert headers["webhook-id"] == delivery.delivery_id
    assert json.loads(body)["conversation_id"] == conversation_id
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)


async def test_a_black_holed_receiver_does_not_delay_another_accounts_deliveries(
    configure: Configure, receiver: Receiver
):
    hole = BlackHole()
    settings = configure(timeout=3.0, account_concurrency=4)
    try:
        async with running(settings) as engine:
            slow = await hooked_world(engine, hole.url)
            fast = await hooked_world(engine, receiver.url)
            await add_conversations(engine, slow, 10)
            assert (await assign(engine, slow.inbox.id)).assigned == 10
            await until(lambda: len(hole.connections) >= 4, 20)
            assert len(hole.connections) == 4  # the slow account's share is hanging
            await add_conversations(engine, fast, 1)
            started = time.monotonic()
            assert (await assign(engine, fast.inbox.id)).assigned == 1
            await receiver.wait_for(1, seconds=5)
            latency = receiver.requests[0][0] - started
            assert len(hole.connections) == 4  # still hanging: never more than its share
            print(
                f"\n{settings.database_url.split(':')[0]}: B delivered in {latency * 1000:.0f} ms"
            )
            assert latency < 1.0
            [b] = await settled(engine, fast)
            assert b.status is DeliveryStatus.DELIVERED
            assert await webhook_service.pending_deliveries(engine.deps) == 10  # A's, all
    finally:
        hole.close()


async def test_retries_back_off_and_end_in_failed_with_an_attempt_log(
    configure: Configure, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger="autoassign.adapters.webhooks")
    failing = Receiver(status=500)
    settings = configure(attempts=3, retry_delay=0.3)
    try:
        async with running(settings) as engine:
            world = await hooked_world(engine, failing.url)
            await add_conversations(engine, world, 1)
            await assign(engine, world.inbox.id)
            [delivery] = await settled(engine, world)
            await asyncio.sleep(0.5)
    finally:
        failing.close()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert [(a.number, a.status_code, a.error) for a in delivery.log] == [
        (n, 500, "status 500") for n in (1, 2, 3)
    ]
    first, second, third = (a.at for a in delivery.log)
    gaps = [(second - first).total_seconds(), (third - second).total_seconds()]
    assert gaps[0] >= 0.3, gaps  # the first retry delay
    assert gaps[1] >= 0.6, gaps  # doubled
    assert len(failing.requests) == 3  # given up: no fourth attempt
    assert {h["webhook-id"] for _, h, _ in failing.requests} == {delivery.delivery_id}
    if settings.embedded:  # (on PostgreSQL the worker process logs it)
        [record] = [r for r in caplog.records if getattr(r, "action", "") == "webhook_failed"]
        assert "failed for good after 3 attempt(s) (status 500)" in record.getMessage()


async def test_assignments_by_hand_are_delivered_the_same_way(
    configure: Configure, receiver: Receiver
):
    async with running(configure()) as engine:
        world = await seed_world(engine, agents=(Presence.OFFLINE,), conversations=1)
        draft = WebhookDraft(receiver.url, ["assignee_changed"])
        await webhook_service.create_webhook(engine.deps, world.account.id, draft)
        [conversation_id] = world.conversation_ids
        agent_id = world.agents[0].id
        await conversations.assign_by_hand(engine.deps, world.account.id, conversation_id, agent_id)
        await receiver.wait_for(1)
        [delivery] = await settled(engine, world)
    body = json.loads(receiver.requests[0][2])
    assert (body["conversation_id"], body["assignee_id"]) == (conversation_id, agent_id)
    assert (body["policy_id"], body["reason"]) == (None, "assigned by hand")
    assert delivery.status is DeliveryStatus.DELIVERED
