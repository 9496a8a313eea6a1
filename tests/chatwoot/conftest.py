"""A Chatwoot double and a served autoassign with its connector, on both back ends."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
import uvicorn

from autoassign.config import Settings
from autoassign.entrypoints.api.app import create_app
from autoassign.entrypoints.chatwoot_runner import ConnectorRunner, connector, with_connector
from autoassign.services.chatwoot_context import Connector, ConnectorSettings
from tests.chatwoot.double import ChatwootDouble
from tests.conftest import REDIS_URL

FAST = ConnectorSettings(sync_interval=3600, retry_base=0.05, retry_cap=0.3)


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """autoassign served on 127.0.0.1 with the connector in its lifespan."""

    def __init__(self, settings: Settings, port: int) -> None:
        self.settings = settings
        self.port = port
        self.app: Any = None
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._worker: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cx(self) -> Connector:
        found: Connector = self.app.state.chatwoot
        return found

    async def start(self) -> None:
        self.app = with_connector(
            create_app(self.settings),
            lambda engine: ConnectorRunner(engine, connector(engine, FAST), poll=0.05),
        )
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:  # noqa: ASYNC110 (uvicorn exposes a flag only)
            await asyncio.sleep(0.01)
        if not self.settings.embedded:  # PostgreSQL: a worker runs the inbox jobs
            self._worker = asyncio.create_task(self._work())

    async def _work(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                await self.app.state.engine.jobs.drain(grace=2)
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    async def call(self, method: str, path: str, token: str, **kwargs: Any) -> httpx2.Response:
        async with httpx2.AsyncClient(base_url=self.url, trust_env=False, timeout=10) as client:
            return await client.request(method, path, headers={"api_access_token": token}, **kwargs)


@dataclass
class Stack:
    double: ChatwootDouble
    served: Served


@pytest.fixture(params=["sqlite-memory", "postgres-redis"])
async def stack(request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    if request.param == "sqlite-memory":
        settings = Settings(database_url=request.getfixturevalue("sqlite_url"))
    else:
        request.getfixturevalue("redis_client")
        settings = Settings(
            database_url=request.getfixturevalue("pg_url"),
            redis_url=REDIS_URL,
            redis_prefix=f"cw{uuid.uuid4().hex[:6]}",
        )
    double = ChatwootDouble()
    await double.start()
    served = Served(settings, _port())
    await served.start()
    yield Stack(double, served)
    await served.stop()
    await double.close()


async def eventually(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool],
    timeout: float = 20.0,  # noqa: ASYNC109 (a polling deadline, not a cancellation)
) -> None:
    """Wait until ``check`` holds (the connector works in the background)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)
