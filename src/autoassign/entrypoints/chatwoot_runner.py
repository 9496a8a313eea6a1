"""The Chatwoot connector as a long-running task: rounds of ``chatwoot_worker`` until
stopped, with the inboxes each round triggered handed to the job queue.

It runs inside ``autoassign chatwoot serve`` (next to the API, which is how the embedded
SQLite back end must run it: one process) or alone as ``autoassign chatwoot run`` (on
PostgreSQL, next to ``autoassign serve`` and ``autoassign worker``). A round starts at
once when a webhook arrived in the same process, otherwise every ``poll`` seconds, so
webhooks received by another process wait at most that long.

``connector`` is where the connector's adapters are chosen (its REST client, its tables
on the engine's database): the connector's composition root, next to its one user.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from autoassign.adapters.chatwoot import SqlConnectorStore, http_api_factory
from autoassign.bootstrap import Engine
from autoassign.chatwoot.ports import ChatwootApiFactory
from autoassign.services import runs
from autoassign.services.chatwoot_context import Connector, ConnectorSettings
from autoassign.services.chatwoot_worker import RunnerState, release_all, work_round

logger = logging.getLogger(__name__)


def connector(
    engine: Engine,
    settings: ConnectorSettings | None = None,
    api: ChatwootApiFactory | None = None,
) -> Connector:
    return Connector(
        deps=engine.deps,
        store=SqlConnectorStore(engine.sql),
        api=api or http_api_factory(),
        settings=settings or ConnectorSettings(),
    )


class ConnectorRunner:
    def __init__(self, engine: Engine, cx: Connector, *, poll: float = 1.0) -> None:
        self._engine = engine
        self.cx = cx
        self._poll = poll
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._state = RunnerState(owner=owner[:64])
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """A webhook arrived: start a round now."""
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run_forever(), name="chatwoot-connector")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await release_all(self.cx, self._state)

    async def run_round(self) -> bool:
        """One round; True when more work waits. Errors are logged, never raised: the
        next round tries again, and nothing is marked done that was not."""
        try:
            done = await work_round(self.cx, self._state)
        except Exception:
            logger.exception("chatwoot connector round failed")
            return False
        await runs.request_runs(self._engine.jobs, done.run)
        return done.busy

    async def run_forever(self) -> None:
        while not self._stopping:
            self._wake.clear()
            busy = await self.run_round()
            if busy or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)


def with_connector(app: Any, make: Callable[[Engine], ConnectorRunner]) -> Any:
    """Run a connector inside the app's lifespan, after its engine is built. The app's
    webhook route wakes it (``app.state.chatwoot_runner``)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(served: Any) -> AsyncIterator[Any]:
        async with inner(served) as state:
            runner = make(served.state.engine)
            served.state.chatwoot_runner = runner
            served.state.chatwoot = runner.cx
            await runner.start()
            try:
                yield state
            finally:
                await runner.stop()

    app.router.lifespan_context = lifespan
    return app
