"""create_app: the FastAPI application over one Engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from autoassign import __version__
from autoassign.bootstrap import Engine, build
from autoassign.config import Settings
from autoassign.entrypoints.api import errors
from autoassign.entrypoints.api.routes import (
    agents,
    capacity,
    conversations,
    events,
    health,
    inboxes,
    platform,
    policies,
    teams,
    webhooks,
)


def create_app(settings: Settings | None = None, **build_options: Any) -> FastAPI:
    """The API; the engine is built on startup and closed on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine: Engine = build(settings or Settings(), **build_options)
        app.state.engine = engine
        await engine.start()
        try:
            yield
        finally:
            await engine.aclose()

    app = FastAPI(
        title="autoassign",
        version=__version__,
        summary="Assigns support conversations to agents: fairly, within limits, atomically.",
        lifespan=lifespan,
    )
    errors.install(app)
    for module in (
        health,
        platform,
        agents,
        inboxes,
        teams,
        conversations,
        policies,
        capacity,
        events,
        webhooks,
    ):
        app.include_router(module.router)
    return app
