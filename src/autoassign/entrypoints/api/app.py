"""create_app: the FastAPI application over one Engine: the API, the admin page and the
offline docs, with a request id, a log line and metrics for every request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from autoassign import __version__
from autoassign.bootstrap import Engine, build
from autoassign.config import Settings
from autoassign.entrypoints import admin
from autoassign.entrypoints.api import errors, limits
from autoassign.entrypoints.api.routes import (
    agents,
    capacity,
    chatwoot_put,
    chatwoot_webhooks,
    conversations,
    duty,
    events,
    health,
    inboxes,
    platform,
    policies,
    simulate,
    teams,
    tokens,
    webhooks,
)
from autoassign.entrypoints.logs import RequestLogging


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
        # served from vendored assets by ``admin.docs`` (the defaults fetch them from another host)
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    limits.install(app)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(RequestLogging)  # outermost: it times and counts everything
    for module in (
        health,
        platform,
        agents,
        duty,
        inboxes,
        teams,
        conversations,
        policies,
        capacity,
        events,
        webhooks,
        tokens,
        chatwoot_put,
        chatwoot_webhooks,
        simulate,
    ):
        app.include_router(module.router)
    admin.install(app)
    return app
