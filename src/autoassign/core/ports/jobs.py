"""Per-inbox assignment runs, queued after the triggering change commits, and woken at
the exact moment time alone lets waiting work through."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one run of an inbox tells its job queue."""

    #: run again at once: a full batch made progress, so more may be waiting
    again: bool = False
    #: run again at this moment: work waits only on time (a window sliding open)
    wake_at: datetime | None = None


class JobQueue(Protocol):
    """Per-inbox assignment runs: coalesced, never two at once for one inbox, retried.

    While a run of an inbox waits, more triggers add nothing; a trigger that arrives while
    it runs queues exactly one follow-up, so no trigger is lost. A run that leaves work
    waiting on time is woken at that time (``schedule``); the periodic sweep is only a
    safety net.
    """

    async def enqueue(self, inbox_ids: Iterable[int], *, force: bool = False) -> int:
        """Ask for a run of each inbox; returns how many were newly queued.

        ``force`` also queues when a run gate says a run is under way: for requests that
        outlived every run (their trigger's process died), whose gate holder is gone."""
        ...

    async def schedule(self, inbox_id: int, at: datetime) -> None:
        """Run the inbox at ``at`` (at once if that has passed). Wake-ups are data of the
        queue, not sleeping tasks of a caller: they survive the caller, and on the
        distributed queue a worker's death. An earlier wake-up covers a later one."""
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
        """Return once nothing is queued or running (tests, CLI), or after ``grace`` s.
        Wake-ups scheduled for later do not count as queued."""
        ...

    async def stop(self) -> None:
        """Let running jobs finish, then stop."""
        ...
