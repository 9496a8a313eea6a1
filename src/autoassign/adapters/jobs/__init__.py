"""Job queue adapters: in-process (embedded) and Procrastinate on PostgreSQL (distributed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from autoassign.core.ports.jobs import RunResult

#: runs one batch of one inbox and says whether (and when) to run it again
RunInbox = Callable[[int], Awaitable[RunResult]]
#: the inboxes the periodic sweep should run
SweepInboxes = Callable[[], Awaitable[Iterable[int]]]
#: inboxes whose run requests outlived every run (their trigger's process died)
LostRequests = Callable[[], Awaitable[Iterable[int]]]
