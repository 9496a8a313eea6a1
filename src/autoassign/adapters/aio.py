"""asyncio helpers the adapters share."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def finish_before_cancel(call: Awaitable[T]) -> T:
    """Await ``call``; if the caller is cancelled meanwhile, let ``call`` finish first,
    then pass the cancellation on.

    Why: a background loop stopped while one of its queries runs must not abandon that
    query half-way. The driver's thread (aiosqlite) would finish it later and answer on
    an event loop that may be closed by then, and the connection would never go back to
    its pool. Stopping then costs at most the rest of one query."""
    task = asyncio.ensure_future(call)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await task
        raise
