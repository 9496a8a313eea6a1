"""The request body limit (AUTOASSIGN_MAX_BODY_BYTES, 1 MiB by default).

A body larger than the limit is answered 413 in the JSON error shape without being read:
a declared Content-Length over the limit is refused before the app runs, and a body sent
without one (chunked) is counted as it arrives and refused at the first chunk past the
limit, so at most the limit and one chunk are ever held, whatever the client sends.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autoassign.config import Settings
from autoassign.entrypoints.api.schemas.common import ErrorBody

DEFAULT = Settings.model_fields["max_body_bytes"].default


class BodyTooLarge(HTTPException):
    """Raised while the body is read; an HTTPException, so FastAPI hands it to the error
    handlers rather than calling it a malformed body."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


def _limit(scope: Scope) -> int:
    """The engine's setting; the default before the engine is built."""
    state = getattr(scope.get("app"), "state", None)
    settings = getattr(getattr(state, "engine", None), "settings", None)
    limit = getattr(settings, "max_body_bytes", DEFAULT)
    return int(limit)


def _declared(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    if value is None or not value.isdigit():
        return None
    return int(value)


def _too_large(limit: int) -> JSONResponse:
    detail = BodyTooLarge(limit).detail
    return JSONResponse(ErrorBody(error=detail).model_dump(), status_code=413)


class BodyLimit:
    """ASGI middleware: refuses bodies over the limit, declared or streamed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _limit(scope)
        declared = _declared(scope)
        if declared is not None and declared > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            # read outside the route's body parsing (whose 413 the error handlers send)
            if started:
                raise
            await _too_large(limit)(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(BodyLimit)
