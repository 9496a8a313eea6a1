"""One table from error class to status, and handlers that all answer {"error", "details"}:
domain errors, invalid requests, HTTP errors (404, 405, 413...) and, last, any unexpected
exception, which is a 500 that tells nothing of its cause (the server logs it)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from autoassign.core import errors
from autoassign.entrypoints.api.schemas.common import PATTERN_MESSAGES, ErrorBody, ErrorDetail

logger = logging.getLogger(__name__)

STATUS: list[tuple[type[errors.AutoassignError], int]] = [
    (errors.InvalidInput, 422),
    (errors.NotFound, 404),
    (errors.NotAuthenticated, 401),
    (errors.Conflict, 409),
    (errors.BackendUnavailable, 503),
    (errors.AutoassignError, 400),
]

#: the error responses every account route may give, for the OpenAPI document
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in [
        (400, "Malformed request (e.g. invalid JSON)"),
        (401, "Missing or invalid api_access_token"),
        (404, "Not found (or not in this account)"),
        (409, "Conflicts with existing data"),
        (413, "Request body larger than AUTOASSIGN_MAX_BODY_BYTES"),
        (422, "Invalid field values"),
        (503, "A backend is unavailable; nothing was changed"),
    ]
}


def _body(message: str, details: list[ErrorDetail] | None = None) -> dict[str, Any]:
    return ErrorBody(error=message, details=details or []).model_dump()


def _field(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def _message(problem: Any) -> str:
    """Pydantic's message, but a broken string rule in words rather than its regex."""
    if problem["type"] == "string_pattern_mismatch":
        readable = PATTERN_MESSAGES.get((problem.get("ctx") or {}).get("pattern", ""))
        if readable is not None:
            return readable
    return str(problem["msg"])


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = exc.errors()
        if any(p["type"] == "json_invalid" for p in problems):
            details = [ErrorDetail(message=p["msg"]) for p in problems]
            return JSONResponse(_body("request body is not valid JSON", details), status_code=400)
        details = [
            ErrorDetail(field=_field(tuple(p["loc"])), message=_message(p)) for p in problems
        ]
        return JSONResponse(_body("invalid request", details), status_code=422)

    @app.exception_handler(errors.AutoassignError)
    async def domain_error(_request: Request, exc: errors.AutoassignError) -> JSONResponse:
        status = next(code for kind, code in STATUS if isinstance(exc, kind))
        field = getattr(exc, "field", None)
        details = [ErrorDetail(field=field, message=exc.message)] if field else []
        return JSONResponse(_body(exc.message, details), status_code=status)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(
            _body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        """Any other exception: the JSON shape, and not a word of the exception (it may
        hold SQL, addresses or secrets). Starlette raises it again once this is sent, so
        the server logs its traceback."""
        logger.error(
            "unexpected %s answering %s %s", type(exc).__name__, request.method, request.url.path
        )
        return JSONResponse(_body("internal server error"), status_code=500)
