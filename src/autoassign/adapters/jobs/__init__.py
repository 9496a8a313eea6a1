"""Job queue adapters: in-process (embedded) and Procrastinate on PostgreSQL (distributed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

#: runs one batch of one inbox; True when the batch was full, so more work may be waiting
RunInbox = Callable[[int], Awaitable[bool]]
#: the inboxes the periodic sweep should run
SweepInboxes = Callable[[], Awaitable[Iterable[int]]]
