"""The interfaces the services need from the outside world (each has two adapters)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from autoassign.core.eligibility import AgentState
from autoassign.core.events import Event
from autoassign.core.model import Conversation, Inbox, Team
from autoassign.core.planner import PlannedAssignment
from autoassign.core.policies import AssignmentPolicy, ConversationPriority, ExclusionRules


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


@dataclass(frozen=True, slots=True)
class InboxSettings:
    inbox: Inbox
    policy: AssignmentPolicy | None
    capacity_exclusions: ExclusionRules


@dataclass(frozen=True, slots=True)
class Member:
    """An inbox member with what SQL knows: chosen availability, load and capacity."""

    agent: AgentState
    account_id: int
    auto_offline: bool


@dataclass(frozen=True, slots=True)
class RecordedAssignment:
    agent_id: int
    conversation_id: int
    assigned_at: datetime


@dataclass(frozen=True, slots=True)
class AssignmentRecord:
    """One assignment as recorded: by the engine (with its policy and reason) or by hand."""

    agent_id: int
    conversation_id: int
    policy_id: int | None
    selector: str
    reason: str
    assigned_at: datetime


@dataclass(frozen=True, slots=True)
class History:
    """What the state store is rebuilt from: recent assignments and the last one per agent."""

    window_entries: Sequence[RecordedAssignment]
    #: agent id → rotation rank (1 = least recently assigned among those ever assigned)
    rotation: Mapping[int, int] = field(default_factory=dict)


class InboxBatch(Protocol):
    """One transaction over one inbox, holding that inbox's lock until it ends.

    Two batches of the same inbox never overlap; leaving the context commits, an
    exception rolls back.
    """

    async def settings(self) -> InboxSettings: ...

    async def candidates(
        self,
        rules: ExclusionRules,
        priority: ConversationPriority,
        limit: int,
        now: datetime,
    ) -> list[Conversation]:
        """Open, unassigned conversations in ``priority`` order, without the excluded
        ones. Their labels are loaded only when ``rules`` exclude labels."""
        ...

    async def members(self) -> list[Member]: ...

    async def teams(self, team_ids: set[int]) -> dict[int, Team]: ...

    async def history(self, since: datetime) -> History: ...

    async def last_assignment(self, conversation_id: int) -> AssignmentRecord | None: ...

    async def claim(
        self, planned: Sequence[PlannedAssignment], policy_id: int | None, now: datetime
    ) -> set[int]:
        """Assign each planned conversation only if it is still open, unassigned and in
        the planned team, and record each one won (in plan order, so the order of the
        records is the rotation); returns the ids won. A lost race is a missing id."""
        ...


class AssignmentStore(Protocol):
    def inbox_batch(self, inbox_id: int) -> AbstractAsyncContextManager[InboxBatch]:
        """Raises InboxNotFound when the inbox does not exist."""
        ...

    def inbox_view(self, inbox_id: int) -> AbstractAsyncContextManager[InboxBatch]:
        """The same reads without the lock, for explanations; writes are not allowed."""
        ...


@dataclass(frozen=True, slots=True)
class InboxState:
    #: False when the store lost (or never had) this inbox's state: rebuild from SQL
    hydrated: bool
    window_counts: Mapping[int, int]
    rotation: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class WindowEntry:
    agent_id: int
    conversation_id: int


class StateStore(Protocol):
    """Fast shared state that can always be rebuilt from the SQL store.

    Windows are exact sliding windows; each costs only its own entries, whatever else
    the store holds.
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

    async def heartbeat(
        self, account_id: int, agent_id: int, now: datetime, ttl_seconds: int
    ) -> None: ...

    async def present(self, account_id: int, agent_ids: Sequence[int], now: datetime) -> set[int]:
        """The agents whose heartbeat has not expired."""
        ...

    async def request_run(self, name: str, ttl_seconds: float) -> bool:
        """Trigger side of a run gate. True: nothing was queued or running, the caller
        now holds the gate and must queue a run. False: a run holds the gate; it is told
        to go again before it lets go, so the trigger is not lost."""
        ...

    async def claim_run(self, name: str, ttl_seconds: float) -> None:
        """Job side, at start: hold the gate; triggers seen so far are covered by this run."""
        ...

    async def finish_run(self, name: str, ttl_seconds: float) -> bool:
        """Job side, after a batch: True if triggers arrived meanwhile (run again, the
        gate stays held); False if none did (the gate is released), atomically."""
        ...

    async def acquire_lock(self, name: str, token: str, ttl_seconds: float) -> bool: ...

    async def release_lock(self, name: str, token: str) -> bool:
        """Release only if still held with this token (a stale holder frees nothing)."""
        ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class EventSink(Protocol):
    async def publish(self, events: Sequence[Event]) -> None: ...


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
