"""Per-inbox assignment runs, queued after the triggering change commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class JobQueue(Protocol):
    """Per-inbox assignment runs: coalesced, never two at once for one inbox, retried.

    While a run of an inbox waits, more triggers add nothing; a trigger that arrives while
    it runs queues exactly one follow-up, so no trigger is lost.
    """

    async def enqueue(self, inbox_ids: Iterable[int]) -> int:
        """Ask for a run of each inbox; returns how many were newly queued."""
        ...

    async def sweep_now(self) -> int:
        """Queue a run of every inbox the periodic sweep covers; returns how many queued."""
        ...

    async def depth(self) -> int:
        """Inbox runs waiting to start now (for the queue-depth metric)."""
        ...

    async def start(self) -> None:
        """Begin working (in-process) or connect (distributed)."""
        ...

    async def drain(self, grace: float = 30.0) -> None:
        """Return once nothing is queued or running (tests, CLI), or after ``grace`` s."""
        ...

    async def stop(self) -> None:
        """Let running jobs finish, then stop."""
        ...
