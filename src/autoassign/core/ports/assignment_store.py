"""The engine's SQL side: one locked transaction per inbox batch, and its read-only twin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from autoassign.core.eligibility import AgentState
from autoassign.core.events import Event
from autoassign.core.model import Conversation, Inbox, Team
from autoassign.core.planner import PlannedAssignment
from autoassign.core.policies import AssignmentPolicy, ConversationPriority, ExclusionRules
from autoassign.core.reassignment import Held, Release


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


#: held conversations one batch looks at: the rest wait for the next batch, which the
#: batch that hit the limit asks for (``assign.py``)
HELD_LIMIT = 1000


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

    async def members(self, *, lock: bool = True) -> list[Member]:
        """Every member of the inbox, with loads and limits. ``lock`` (a batch, not a dry
        run): the members a limit across inboxes binds are locked until the batch ends,
        so two batches of two inboxes never both fill one agent's last place."""
        ...

    async def held(
        self, policy: AssignmentPolicy, conversation_id: int | None = None
    ) -> list[Held]:
        """Open, assigned conversations a reassignment rule of ``policy`` may apply to
        (at most ``HELD_LIMIT``, oldest ids first), with their assignee's standing except
        ``heartbeat_ends``; only ``conversation_id``'s when given."""
        ...

    async def release(self, releases: Sequence[Release], now: datetime) -> set[int]:
        """Take each released conversation from its assignee back to the queue, only if
        it still has that assignee, is open and shows no activity since it was read (a
        reply wins over the timer); record whom it was taken from and why. Returns the
        ids released."""
        ...

    async def teams(self, team_ids: set[int]) -> dict[int, Team]: ...

    async def previous_agents(self, contact_ids: set[int], since: datetime) -> dict[int, int]:
        """Each contact's most recent assignee in this inbox since ``since`` (the sticky
        rule's memory)."""
        ...

    async def history(self, since: datetime) -> History: ...

    async def last_assignment(self, conversation_id: int) -> AssignmentRecord | None: ...

    async def claim(
        self, planned: Sequence[PlannedAssignment], policy_id: int | None, now: datetime
    ) -> set[int]:
        """Assign each planned conversation only if it is still open, unassigned and in
        the planned team, and record each one won (in plan order, so the order of the
        records is the rotation); returns the ids won. A lost race is a missing id."""
        ...

    async def record_events(self, events: Sequence[Event]) -> None:
        """Queue these events for webhook delivery in this transaction (the outbox):
        committed with the claim, or not at all. Costs nothing when no webhook of the
        account is subscribed."""
        ...


class AssignmentStore(Protocol):
    def inbox_batch(self, inbox_id: int) -> AbstractAsyncContextManager[InboxBatch]:
        """Raises InboxNotFound when the inbox does not exist."""
        ...

    def inbox_view(self, inbox_id: int) -> AbstractAsyncContextManager[InboxBatch]:
        """The same reads without the lock, for explanations; writes are not allowed."""
        ...
