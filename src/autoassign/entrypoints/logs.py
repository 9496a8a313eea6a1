"""Every HTTP request: a request id, its account and inbox on each log line, one line when
it is answered, and its count and duration in the metrics.

Why a pure ASGI middleware (not ``BaseHTTPMiddleware``): it runs in the task that
handles the request, so the log context it starts reaches the route and its services,
and it does not buffer streamed responses.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autoassign.adapters import logging_setup

logger = logging.getLogger("autoassign.http")

REQUEST_ID_HEADER = "x-request-id"
#: an incoming request id is kept only if it is short and plain (it is logged verbatim)
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_ACCOUNT = re.compile(r"/accounts/(\d{1,16})(?:/|$)")
_INBOX = re.compile(r"/(?:inboxes|inbox_members)/(\d{1,16})(?:/|$)")


def _route(scope: Scope) -> str:
    """The route's template (``/api/v1/accounts/{account_id}/agents``), so the metrics
    have one series per route, not one per id; static files and unknown paths share one."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return "/static" if str(scope.get("path", "")).startswith("/static/") else "unmatched"


def _ids(path: str) -> dict[str, int]:
    found: dict[str, int] = {}
    if (account := _ACCOUNT.search(path)) is not None:
        found["account_id"] = int(account.group(1))
    if (inbox := _INBOX.search(path)) is not None:
        found["inbox_id"] = int(inbox.group(1))
    return found


class RequestLogging:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == REQUEST_ID_HEADER.encode()),
            "",
        )
        request_id = incoming if _SAFE_ID.fullmatch(incoming) else uuid.uuid4().hex
        path: str = scope["path"]
        logging_setup.start_request(request_id=request_id, **_ids(path))
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            method: str = scope["method"]
            route = _route(scope)
            engine: Any = getattr(scope["app"].state, "engine", None) if "app" in scope else None
            if engine is not None:
                engine.metrics.record_request(method, route, status, seconds)
            logger.info(
                "%s %s %d",
                method,
                path,
                status,
                extra={
                    "action": "http",
                    "method": method,
                    "path": path,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            logging_setup.end_request()
