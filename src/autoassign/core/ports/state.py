"""Fast shared state that can always be rebuilt from SQL, as three small ports.

Why three: the services, the job queue and the presence endpoint each need a different
slice of the state store (windows and rotation; heartbeats; run gates). A consumer that
depends on one slice can be given (and tested with) a store that implements only that
slice, and the contract suites are split the same way. ``StateStore`` combines them for
wiring code that passes one object around.

What losing the state does is written down in docs/decisions.md ("What the state store
holds and what losing it does").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from autoassign.core.ports.assignment_store import History


@dataclass(frozen=True, slots=True)
class InboxState:
    #: False when the store lost (or never had) this inbox's state: rebuild from SQL
    hydrated: bool
    window_counts: Mapping[int, int]
    rotation: Mapping[int, int]
    #: agent → the oldest entry still in the window (ms); absent for an empty window.
    #: When it leaves (``core.windows.frees_at``) an agent at the limit can take work.
    oldest_ms: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WindowEntry:
    agent_id: int
    conversation_id: int


class WindowStore(Protocol):
    """Fair-distribution windows and round-robin rotation, per inbox.

    Windows are exact sliding windows (the rule is ``core.windows``); each costs only its
    own entries, whatever else the store holds. A store that lost an inbox's state says
    so (``InboxState.hydrated`` is False) and is rebuilt from SQL with ``hydrate``.
    """

    async def load_inbox(
        self, inbox_id: int, agent_ids: Sequence[int], window_seconds: int, now: datetime
    ) -> InboxState: ...

    async def hydrate(
        self,
        inbox_id: int,
        agent_ids: Sequence[int],
        history: History,
        window_seconds: int,
        now: datetime,
    ) -> None:
        """Replace the inbox's windows and rotation with those rebuilt from SQL."""
        ...

    async def record(
        self,
        inbox_id: int,
        entries: Sequence[WindowEntry],
        rotation: Mapping[int, int],
        window_seconds: int,
        now: datetime,
    ) -> None:
        """Add window entries (idempotent per conversation) and advance the rotation."""
        ...

    async def forget(self, inbox_id: int, entries: Sequence[WindowEntry]) -> None:
        """Drop entries reserved for claims that were lost."""
        ...


class PresenceStore(Protocol):
    """Heartbeats of agents with ``auto_offline``: present only while one is fresh."""

    async def heartbeat(
        self, account_id: int, agent_id: int, now: datetime, ttl_seconds: int
    ) -> None: ...

    async def present(self, account_id: int, agent_ids: Sequence[int], now: datetime) -> set[int]:
        """The agents whose heartbeat has not expired."""
        ...

    async def presence_ends(self, account_id: int, agent_ids: Sequence[int]) -> dict[int, datetime]:
        """When each agent's latest heartbeat stops (or stopped) counting, for those the
        store knows (lapsed ones are kept ``HEARTBEAT_RETENTION_SECONDS``)."""
        ...


class RunGate(Protocol):
    """One queued-or-running job per name, and no trigger lost.

    A gate whose state was lost (a flush, a restart) while a run held it counts as
    "triggers may have arrived": the run goes again rather than letting go.
    """

    async def request_run(self, name: str, ttl_seconds: float) -> bool:
        """Trigger side of a run gate. True: nothing was queued or running, the caller
        now holds the gate and must queue a run. False: a run holds the gate; it is told
        to go again before it lets go, so the trigger is not lost."""
        ...

    async def claim_run(self, name: str, ttl_seconds: float) -> None:
        """Job side, at start: hold the gate; triggers seen so far are covered by this run."""
        ...

    async def finish_run(self, name: str, ttl_seconds: float) -> bool:
        """Job side, after a batch, atomically: True if triggers arrived meanwhile *or
        the gate was lost* (run again, the gate is held again); False if the gate was
        still held and no trigger came (the gate is released)."""
        ...


class WindowAndPresenceStore(WindowStore, PresenceStore, Protocol):
    """What the services use: windows, rotation and heartbeats (and a readiness check).
    No run gates: those are the job queue's."""

    async def ping(self) -> None:
        """StateStoreUnavailable when the store cannot be reached."""
        ...


class StateStore(WindowAndPresenceStore, RunGate, Protocol):
    """All three ports in one object, as the composition root builds it."""

    async def close(self) -> None: ...
