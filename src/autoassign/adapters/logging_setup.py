"""Structured logs: every stdlib record (ours, uvicorn's, Procrastinate's) rendered by
structlog as one JSON line, or as readable console lines when a person watches a terminal.

Why stdlib loggers with structlog only as the renderer: the code logs with
``logging.getLogger`` and ``extra={...}``, as the libraries we run do, so one formatter
gives every line the same shape (timestamp, level, logger, event, the extras) without
rewriting call sites, and nothing prints when logging is not configured (tests, library
use).

Why a request context of our own instead of ``structlog.contextvars``: asyncio copies
context variables into every task created while a request is handled, so an inbox run
started by a request would log that request's id for as long as its task lives, on runs
other requests triggered. The request's fields are therefore kept with the task that
handles the request and added only to lines logged from that task.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any, Literal, TextIO

import structlog

Format = Literal["auto", "json", "console"]

_request: ContextVar[tuple[asyncio.Task[Any] | None, dict[str, Any]] | None] = ContextVar(
    "autoassign_request", default=None
)


def _task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop in this thread
        return None


def start_request(**fields: Any) -> None:
    """Begin a request's context in the current task (the middleware calls this)."""
    _request.set((_task(), dict(fields)))


def bind(**fields: Any) -> None:
    """Add fields (``account_id``, ``inbox_id``) to the current request's log lines."""
    current = _request.get()
    if current is not None and current[0] is _task():
        current[1].update(fields)


def end_request() -> None:
    _request.set(None)


def add_request_context(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    current = _request.get()
    if current is not None and current[0] is _task():
        for key, value in current[1].items():
            event.setdefault(key, value)
    return event


def tidy(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Procrastinate attaches the whole job (and its worker) to each line: keep the id,
    the task and the inbox, so a job's line carries its inbox like ours do. uvicorn adds
    a copy of its message with terminal colours: drop it."""
    event.pop("color_message", None)
    job = event.pop("job", None)
    if isinstance(job, dict):
        event.setdefault("job_id", job.get("id"))
        event.setdefault("task", job.get("task_name"))
        kwargs = job.get("task_kwargs")
        if isinstance(kwargs, dict) and "inbox_id" in kwargs:
            event.setdefault("inbox_id", kwargs["inbox_id"])
    worker = event.pop("worker", None)
    if isinstance(worker, dict):
        event.setdefault("worker", worker.get("name"))
    for noisy in ("start_timestamp", "end_timestamp", "result"):
        event.pop(noisy, None)
    return event


class _Handler(logging.Handler):
    """Writes to ``stream``, or to whatever ``sys.stderr`` is when a line is written
    (test runners and ``typer``'s runner swap it)."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__()
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + "\n")
            self.stream.flush()
        except Exception:
            self.handleError(record)


def configure(level: str = "INFO", *, stream: TextIO | None = None, fmt: Format = "auto") -> None:
    """Send every log record at ``level`` or above through structlog to ``stream``
    (standard error by default): JSON lines, or console lines when ``fmt`` is "auto" and
    the stream is a terminal. Calling it again replaces the earlier configuration."""
    reset()
    handler = _Handler(stream)
    console = fmt == "console" or (fmt == "auto" and handler.stream.isatty())
    shared: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        add_request_context,
        tidy,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=True)
        if console
        else structlog.processors.JSONRenderer(default=str)
    )
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *([] if console else [structlog.processors.format_exc_info]),
                renderer,
            ],
        )
    )
    handler._autoassign = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's access lines are replaced by one line per request with its request id
    logging.getLogger("uvicorn.access").disabled = True


def reset() -> None:
    """Remove what ``configure`` added (other handlers, pytest's say, stay)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_autoassign", False):
            root.removeHandler(handler)
    logging.getLogger("uvicorn.access").disabled = False
