"""MemoryAssignmentStore: the embedded twin of SqlAssignmentStore, over dicts.

Why it exists: the simulator drives the real engine (``services.assign``) for hundreds
of thousands of conversations a minute, and a SQL round trip per event would cost a
hundred times that. The twin keeps what the batch reads (inboxes, policies, members,
capacity limits, teams, conversations, assignment records) in dicts, plus the indexes
that make a batch cheap: the open, unassigned conversations of each inbox in arrival
order and each member's open load. It passes the SQL store's contract suite
(``tests/contract/test_assignment_store.py``), so what the engine decides on it is what
it would decide on SQL.

Transactions: one asyncio lock per inbox serialises batches (like the SQL row lock); a
batch applies its claim at once and keeps an undo log, so leaving with an exception
rolls back, and ``inbox_view`` always rolls back (as the SQL view does). The write
methods outside a batch (``add_*``, ``set_status``) are the simulator's and the tests'
seeding API and apply immediately.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from autoassign.core import errors
from autoassign.core.eligibility import AgentState
from autoassign.core.events import Event
from autoassign.core.model import Agent, Conversation, Inbox, Presence, Status, Team
from autoassign.core.planner import PlannedAssignment
from autoassign.core.policies import (
    AssignmentPolicy,
    CapacityPolicy,
    ConversationPriority,
    ExclusionRules,
    combine_exclusions,
)
from autoassign.core.ports import (
    HELD_LIMIT,
    AssignmentRecord,
    History,
    InboxSettings,
    Member,
    RecordedAssignment,
)
from autoassign.core.reassignment import Held, Release
from autoassign.core.schedules import Duty
from autoassign.core.selectors import MANUAL

_E = TypeVar("_E", AssignmentPolicy, CapacityPolicy, Agent, Team)


def _created_key(c: Conversation) -> tuple[datetime, int]:
    return (c.created_at, c.id)


@dataclass(slots=True)
class _InboxData:
    inbox: Inbox
    policy_id: int | None = None
    member_ids: list[int] = field(default_factory=list)
    #: open, unassigned conversations, in insertion order
    waiting: dict[int, Conversation] = field(default_factory=dict)
    #: whether insertion order is (created_at, id) order, so no sort is needed
    ordered: bool = True
    last_key: tuple[datetime, int] | None = None
    #: agent id → open conversations assigned in this inbox
    loads: dict[int, int] = field(default_factory=dict)
    records: list[AssignmentRecord] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: what ``settings`` and ``members`` derive from the configuration, and the
    #: configuration version it was derived at (a batch runs per event; the
    #: configuration changes far less often)
    version: int = -1
    settings: InboxSettings | None = None
    #: members who never receive auto-assignments here, and members' weights (1 if absent)
    opted_out: set[int] = field(default_factory=set)
    weights: dict[int, int] = field(default_factory=dict)
    #: (agent id, presence, capacity limit, account id, auto offline) per member
    roster: list[tuple[int, Presence, int | None, int, bool]] = field(default_factory=list)


class MemoryAssignmentStore:
    """The AssignmentStore port, plus a small write API to seed and change the world."""

    def __init__(self) -> None:
        self._inboxes: dict[int, _InboxData] = {}
        self._policies: dict[int, AssignmentPolicy] = {}
        self._capacity: dict[int, CapacityPolicy] = {}
        self._agents: dict[int, Agent] = {}
        self._teams: dict[int, Team] = {}
        self._conversations: dict[int, Conversation] = {}
        #: bumped by every configuration change, so derived reads are rebuilt
        self.version = 0
        #: kind of entity → the next id it gets
        self._next: dict[str, int] = {}
        #: agent → when they left "online"; conversation → when its assignee got it
        self._away_since: dict[int, datetime] = {}
        #: agent → working hours and time off (set_duty); absent: always on duty
        self.duties: dict[int, Duty] = {}
        self._assigned_at: dict[int, datetime] = {}

    # seeding and changes (outside any batch) -----------------------------------------

    def _id(self, wanted: int, kind: str) -> int:
        """``wanted`` when given (replays keep recorded ids), else one past the largest
        id this kind of entity has had."""
        if wanted:
            self._next[kind] = max(self._next.get(kind, 1), wanted + 1)
            return wanted
        new = self._next.get(kind, 1)
        self._next[kind] = new + 1
        return new

    def _add(self, table: dict[int, _E], entity: _E, kind: str) -> int:
        new_id = self._id(entity.id, kind)
        table[new_id] = replace(entity, id=new_id)
        self.version += 1
        return new_id

    def add_inbox(self, inbox: Inbox) -> int:
        inbox_id = self._id(inbox.id, "inbox")
        self._inboxes[inbox_id] = _InboxData(replace(inbox, id=inbox_id))
        self.version += 1
        return inbox_id

    def add_policy(self, policy: AssignmentPolicy) -> int:
        return self._add(self._policies, policy, "policy")

    def add_capacity_policy(self, policy: CapacityPolicy) -> int:
        return self._add(self._capacity, policy, "capacity")

    def add_agent(self, agent: Agent) -> int:
        return self._add(self._agents, agent, "agent")

    def add_team(self, team: Team) -> int:
        return self._add(self._teams, team, "team")

    def link_policy(self, inbox_id: int, policy_id: int | None) -> None:
        self._inbox(inbox_id).policy_id = policy_id
        self.version += 1

    def add_members(self, inbox_id: int, agent_ids: Iterable[int]) -> None:
        data = self._inbox(inbox_id)
        data.member_ids = sorted({*data.member_ids, *agent_ids})
        self.version += 1

    def set_duty(self, agent_id: int, duty: Duty | None) -> None:
        if duty is None:
            self.duties.pop(agent_id, None)
        else:
            self.duties[agent_id] = duty

    def set_member(self, inbox_id: int, agent_id: int, auto_assign: bool, weight: int) -> None:
        """Opt a member out of (or back into) auto-assignment in the inbox; weight them."""
        data = self._inbox(inbox_id)
        if auto_assign:
            data.opted_out.discard(agent_id)
        else:
            data.opted_out.add(agent_id)
        data.weights[agent_id] = weight

    def total_limit(self, agent_id: int) -> int | None:
        policy_id = self._agents[agent_id].capacity_policy_id
        policy = self._capacity.get(policy_id) if policy_id is not None else None
        return policy.total_limit if policy is not None else None

    def total_load(self, agent_id: int) -> int:
        """Open conversations assigned to the agent in every inbox."""
        return sum(data.loads.get(agent_id, 0) for data in self._inboxes.values())

    def set_availability(
        self, agent_id: int, presence: Presence, at: datetime | None = None
    ) -> None:
        """``at``: when it changed (the grace period of reassignment counts from it)."""
        self._agents[agent_id] = replace(self._agents[agent_id], availability=presence)
        if presence is Presence.ONLINE:
            self._away_since.pop(agent_id, None)
        elif at is not None:
            self._away_since.setdefault(agent_id, at)
        self.version += 1

    def add_conversation(self, conversation: Conversation) -> int:
        cid = self._id(conversation.id, "conversation")
        self._put(replace(conversation, id=cid))
        return cid

    def set_status(self, conversation_id: int, status: Status) -> None:
        self._put(replace(self._conversations[conversation_id], status=status))

    def discard(self, conversation_id: int) -> None:
        """Forget a conversation that is no longer open (a long simulation resolves
        millions); its assignment records stay."""
        conversation = self._conversations[conversation_id]
        if conversation.status is Status.OPEN:
            raise ValueError(f"conversation {conversation_id} is open")
        del self._conversations[conversation_id]

    def conversation(self, conversation_id: int) -> Conversation:
        return self._conversations[conversation_id]

    def assignments(self, inbox_id: int) -> Sequence[AssignmentRecord]:
        """Every assignment recorded in the inbox, oldest first."""
        return tuple(self._inbox(inbox_id).records)

    def _inbox(self, inbox_id: int) -> _InboxData:
        data = self._inboxes.get(inbox_id)
        if data is None:
            raise errors.InboxNotFound(inbox_id)
        return data

    def _put(self, new: Conversation) -> None:
        """Store ``new`` and keep the waiting set and the loads in step with it."""
        old = self._conversations.get(new.id)
        self._conversations[new.id] = new
        if old is not None and old.inbox_id in self._inboxes:
            data = self._inboxes[old.inbox_id]
            data.waiting.pop(old.id, None)
            if old.status is Status.OPEN and old.assignee_id is not None:
                data.loads[old.assignee_id] -= 1
        data = self._inbox(new.inbox_id)
        if new.status is not Status.OPEN:
            return
        if new.assignee_id is not None:
            data.loads[new.assignee_id] = data.loads.get(new.assignee_id, 0) + 1
            return
        key = _created_key(new)
        if data.waiting and data.last_key is not None and key < data.last_key:
            data.ordered = False
        elif not data.waiting:
            data.ordered = True
        data.last_key = key
        data.waiting[new.id] = new

    # the port -------------------------------------------------------------------------

    @asynccontextmanager
    async def inbox_batch(self, inbox_id: int) -> AsyncIterator[MemoryInboxBatch]:
        """Hold the inbox's lock for the batch; an exception undoes its claims."""
        data = self._inbox(inbox_id)
        async with data.lock:
            batch = MemoryInboxBatch(self, data)
            try:
                yield batch
            except BaseException:
                batch.rollback()
                raise

    @asynccontextmanager
    async def inbox_view(self, inbox_id: int) -> AsyncIterator[MemoryInboxBatch]:
        """The same reads without the lock; anything written is undone on exit."""
        batch = MemoryInboxBatch(self, self._inbox(inbox_id))
        try:
            yield batch
        finally:
            batch.rollback()


class MemoryInboxBatch:
    """One inbox's batch on the twin: reads from the dicts, claims with an undo log."""

    def __init__(self, store: MemoryAssignmentStore, data: _InboxData) -> None:
        self._store = store
        self._data = data
        self._undo: list[Conversation] = []
        self._recorded = 0

    def rollback(self) -> None:
        for old in reversed(self._undo):
            self._store._put(old)
        if self._recorded:
            del self._data.records[-self._recorded :]
        self._undo.clear()
        self._recorded = 0

    def _derive(self) -> _InboxData:
        """The inbox's settings and roster, rebuilt when the configuration changed."""
        data, store = self._data, self._store
        if data.version == store.version:
            return data
        inbox_id = data.inbox.id
        limiting = [p for p in store._capacity.values() if inbox_id in p.inbox_limits]
        policy_id = data.policy_id
        data.settings = InboxSettings(
            inbox=data.inbox,
            policy=store._policies.get(policy_id) if policy_id is not None else None,
            capacity_exclusions=combine_exclusions(p.exclusion_rules for p in limiting),
        )
        data.roster = []
        for agent_id in data.member_ids:
            agent = store._agents[agent_id]
            capacity = store._capacity.get(agent.capacity_policy_id or 0)
            limit = capacity.inbox_limits.get(inbox_id) if capacity else None
            data.roster.append(
                (agent_id, agent.availability, limit, agent.account_id, agent.auto_offline)
            )
        data.version = store.version
        return data

    async def settings(self) -> InboxSettings:
        settings = self._derive().settings
        assert settings is not None  # _derive sets it
        return settings

    async def candidates(
        self,
        rules: ExclusionRules,
        priority: ConversationPriority,
        limit: int,
        now: datetime,
    ) -> list[Conversation]:
        """Like the SQL query: exclusions first, then ``priority`` order, ``limit`` rows;
        labels are returned only when a label rule needs them."""
        cutoff = rules.age_cutoff(now)
        excluded = rules.excluded_labels
        waiting: Iterable[Conversation] = self._data.waiting.values()
        if cutoff is not None or excluded:
            waiting = (
                c
                for c in waiting
                if (cutoff is None or c.last_activity_at >= cutoff)
                and not (excluded and c.labels & excluded)
            )
        if priority is not ConversationPriority.EARLIEST_CREATED:
            found = heapq.nsmallest(limit, waiting, key=priority.sort_key)
        elif self._data.ordered:
            found = []
            for c in waiting:
                found.append(c)
                if len(found) == limit:
                    break
        else:
            found = heapq.nsmallest(limit, waiting, key=_created_key)
        if excluded:
            return found
        return [replace(c, labels=frozenset()) if c.labels else c for c in found]

    async def members(self, *, lock: bool = True) -> list[Member]:
        """Fresh states (the caller may change them) from the cached roster. (``lock``:
        the twin's batches of all inboxes run in one event loop, one at a time.)"""
        data = self._derive()
        loads = data.loads
        found = []
        for agent_id, presence, limit, account, auto in data.roster:
            total = self._store.total_limit(agent_id)
            state = AgentState(
                agent_id,
                presence,
                loads.get(agent_id, 0),
                limit,
                opted_out=agent_id in data.opted_out,
                total_load=self._store.total_load(agent_id) if total is not None else 0,
                total_limit=total,
                duty=self._store.duties.get(agent_id),
                weight=data.weights.get(agent_id, 1),
            )
            found.append(Member(state, account, auto))
        return found

    async def held(
        self, policy: AssignmentPolicy, conversation_id: int | None = None
    ) -> list[Held]:
        """The twin knows presence and membership but no messages: the gone and reopen
        rules apply as on SQL, the unanswered rule never fires (nobody waits for a
        reply), and nobody is ever taken out of an inbox."""
        if policy.reassign_after_absent_seconds is None and not policy.reassign_on_reopen:
            return []
        store, inbox_id = self._store, self._data.inbox.id
        found: list[Held] = []
        for c in store._conversations.values():
            if c.inbox_id != inbox_id or c.status is not Status.OPEN or c.assignee_id is None:
                continue
            if conversation_id is not None and c.id != conversation_id:
                continue
            agent = store._agents[c.assignee_id]
            if agent.availability is Presence.ONLINE and not agent.auto_offline:
                continue
            found.append(
                Held(
                    conversation_id=c.id,
                    account_id=c.account_id,
                    inbox_id=inbox_id,
                    agent_id=agent.id,
                    team_id=c.team_id,
                    created_at=c.created_at,
                    last_activity_at=c.last_activity_at,
                    assigned_at=store._assigned_at.get(c.id, c.created_at),
                    presence=agent.availability,
                    away_since=store._away_since.get(agent.id),
                    auto_offline=agent.auto_offline,
                )
            )
        return sorted(found, key=lambda h: h.conversation_id)[:HELD_LIMIT]

    async def release(self, releases: Sequence[Release], now: datetime) -> set[int]:
        """The SQL release's guard: same assignee, open, no activity since it was read."""
        released: set[int] = set()
        for item in releases:
            h = item.held
            current = self._store._conversations.get(h.conversation_id)
            if (
                current is None
                or current.inbox_id != self._data.inbox.id
                or current.status is not Status.OPEN
                or current.assignee_id != h.agent_id
                or current.last_activity_at != h.last_activity_at
            ):
                continue
            self._undo.append(current)
            self._store._put(
                replace(
                    current,
                    assignee_id=None,
                    previous_assignee_id=h.agent_id,
                    reassign_reason=item.reason,
                )
            )
            released.add(h.conversation_id)
        return released

    async def previous_agents(self, contact_ids: set[int], since: datetime) -> dict[int, int]:
        found: dict[int, int] = {}
        conversations = self._store._conversations
        for record in self._data.records:  # oldest first: the latest wins
            c = conversations.get(record.conversation_id)
            if c is not None and c.contact_id in contact_ids and record.assigned_at > since:
                found[c.contact_id] = record.agent_id
        return found

    async def teams(self, team_ids: set[int]) -> dict[int, Team]:
        teams = self._store._teams
        return {tid: teams[tid] for tid in team_ids if tid in teams}

    async def history(self, since: datetime) -> History:
        engine = [r for r in self._data.records if r.selector != MANUAL]
        last: dict[int, int] = {}
        for position, record in enumerate(engine):
            last[record.agent_id] = position
        ranked = sorted(last, key=last.__getitem__)
        return History(
            window_entries=[
                RecordedAssignment(r.agent_id, r.conversation_id, r.assigned_at)
                for r in engine
                if r.assigned_at > since
            ],
            rotation={agent_id: rank for rank, agent_id in enumerate(ranked, start=1)},
        )

    async def last_assignment(self, conversation_id: int) -> AssignmentRecord | None:
        for record in reversed(self._data.records):
            if record.conversation_id == conversation_id:
                return record
        return None

    async def claim(
        self, planned: Sequence[PlannedAssignment], policy_id: int | None, now: datetime
    ) -> set[int]:
        """The SQL claim's guard: still open, unassigned, in this inbox and its team."""
        won: set[int] = set()
        waiting = self._data.waiting
        records = self._data.records
        for p in planned:
            current = waiting.get(p.conversation_id)  # open, unassigned, this inbox
            if current is None or (current.team_id or 0) != (p.team_id or 0):
                continue
            self._undo.append(current)
            self._store._put(
                replace(
                    current,
                    assignee_id=p.agent_id,
                    previous_assignee_id=None,
                    reassign_reason=None,
                )
            )
            self._store._assigned_at[p.conversation_id] = now
            records.append(
                AssignmentRecord(
                    p.agent_id, p.conversation_id, policy_id, p.selector, p.reason, now
                )
            )
            self._recorded += 1
            won.add(p.conversation_id)
        return won

    async def record_events(self, events: Sequence[Event]) -> None:
        """The twin has no webhooks (the simulator delivers nothing): nothing to queue."""
