"""One contract for the AssignmentStore port, on the SQL store (SQLite and PostgreSQL) and
on its in-memory twin (adapters/memory_store.py), which the simulator drives.

Each test seeds a world through a harness (the services on SQL, the twin's write API in
memory) and then speaks only the port. The SQL side reuses the suite's ``engine``
fixture and ``seed_world``; this module's ``database_url`` adds a third parameter,
"memory", for which no engine is built.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import pytest

from autoassign.adapters.memory_store import MemoryAssignmentStore
from autoassign.adapters.state.memory import MemoryStateStore
from autoassign.bootstrap import Engine
from autoassign.core import errors
from autoassign.core.drafts import AgentPatch
from autoassign.core.model import Agent, Inbox, Presence, Priority, Status, Team
from autoassign.core.planner import PlannedAssignment
from autoassign.core.policies import CapacityPolicy, ConversationPriority, ExclusionRules
from autoassign.core.ports import AssignmentStore
from autoassign.core.reasons import OutcomeKind, ReassignReason, SkipReason
from autoassign.core.reassignment import Release
from autoassign.core.views import EventFilter, Paging
from autoassign.services import agents as agent_service
from autoassign.services import history
from autoassign.services.assign import assign_inbox
from tests.factories import (
    add_conversations,
    add_team,
    conversation,
    make_conversation,
    make_policy,
    seed_world,
    set_status,
)

MEMORY = "memory://"


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def database_url(request: pytest.FixtureRequest) -> str:
    """The suite's two SQL back ends, and the twin."""
    if request.param == "memory":
        return MEMORY
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@dataclass
class Seeded:
    account_id: int
    inbox_id: int
    policy_id: int
    agent_ids: list[int]
    conversation_ids: list[int] = field(default_factory=list)


class Harness(Protocol):
    @property
    def store(self) -> AssignmentStore: ...
    def now(self) -> datetime: ...
    async def seed(
        self,
        *,
        conversations: int = 0,
        agents: Sequence[Presence] = ...,
        capacity: int | None = None,
        excluded_labels: Sequence[str] = (),
        policy: dict[str, object] | None = None,
    ) -> Seeded: ...
    async def add(self, world: Seeded, count: int, **over: Any) -> list[int]: ...
    async def team(self, world: Seeded, members: Sequence[int]) -> int: ...
    async def set_status(self, world: Seeded, cid: int, status: Status) -> None: ...
    async def assignee(self, world: Seeded, cid: int) -> int | None: ...
    async def recorded(self, world: Seeded) -> list[tuple[int, int]]: ...
    async def away(self, world: Seeded, agent_id: int) -> None: ...


class SqlHarness:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store
        self.worlds: dict[int, Any] = {}

    def now(self) -> datetime:
        return self.engine.clock.now()

    async def seed(self, *, conversations: int = 0, **options: Any) -> Seeded:
        world = await seed_world(self.engine, conversations=conversations, **options)
        self.worlds[world.inbox.id] = world
        agent_ids = [a.id for a in world.agents]
        return Seeded(
            world.account.id, world.inbox.id, world.policy.id, agent_ids, world.conversation_ids
        )

    async def add(self, world: Seeded, count: int, **over: Any) -> list[int]:
        return await add_conversations(self.engine, self.worlds[world.inbox_id], count, **over)

    async def team(self, world: Seeded, members: Sequence[int]) -> int:
        return (await add_team(self.engine, self.worlds[world.inbox_id], members)).id

    async def set_status(self, world: Seeded, cid: int, status: Status) -> None:
        await set_status(self.engine, self.worlds[world.inbox_id], cid, status)

    async def assignee(self, world: Seeded, cid: int) -> int | None:
        return (await conversation(self.engine, world.account_id, cid)).assignee_id

    async def recorded(self, world: Seeded) -> list[tuple[int, int]]:
        where = EventFilter(inbox_id=world.inbox_id)
        page = await history.list_events(self.engine.deps, world.account_id, where, Paging(1, 100))
        return [(e.conversation_id, e.agent_id) for e in reversed(page.items)]  # oldest first

    async def away(self, world: Seeded, agent_id: int) -> None:
        patch = AgentPatch(availability=Presence.OFFLINE)
        await agent_service.update_agent(self.engine.deps, world.account_id, agent_id, patch)


class MemoryHarness:
    """The same worlds as ``seed_world`` builds, through the twin's write API."""

    def __init__(self, now: datetime) -> None:
        self.store = MemoryAssignmentStore()
        self._now = now
        self.accounts = 0

    def now(self) -> datetime:
        return self._now

    async def seed(
        self,
        *,
        conversations: int = 0,
        agents: Sequence[Presence] = (Presence.ONLINE,) * 3,
        capacity: int | None = None,
        excluded_labels: Sequence[str] = (),
        policy: dict[str, object] | None = None,
    ) -> Seeded:
        store = self.store
        self.accounts += 1
        account = self.accounts
        inbox_id = store.add_inbox(Inbox(0, account, "Support"))
        policy_id = store.add_policy(make_policy(id=0, account_id=account, **(policy or {})))
        store.link_policy(inbox_id, policy_id)
        cap = None
        if capacity is not None or excluded_labels:
            rules = ExclusionRules(frozenset(excluded_labels))
            limits = {inbox_id: capacity if capacity is not None else 10_000}
            cap = store.add_capacity_policy(
                CapacityPolicy(0, account, "Cap", exclusion_rules=rules, inbox_limits=limits)
            )
        agent_ids = [
            store.add_agent(Agent(0, account, f"agent{i}", p, capacity_policy_id=cap))
            for i, p in enumerate(agents)
        ]
        store.add_members(inbox_id, agent_ids)
        world = Seeded(account, inbox_id, policy_id, agent_ids)
        world.conversation_ids = await self.add(world, conversations)
        return world

    async def add(self, world: Seeded, count: int, **over: Any) -> list[int]:
        values = {"account_id": world.account_id, "inbox_id": world.inbox_id} | over
        return [
            self.store.add_conversation(
                make_conversation(
                    0,
                    **{
                        "created_at": self._now - timedelta(minutes=count - i),
                        "last_activity_at": self._now - timedelta(minutes=count - i),
                        **values,
                    },
                )
            )
            for i in range(count)
        ]

    async def team(self, world: Seeded, members: Sequence[int]) -> int:
        return self.store.add_team(Team(0, world.account_id, "Team", True, frozenset(members)))

    async def set_status(self, world: Seeded, cid: int, status: Status) -> None:
        self.store.set_status(cid, status)

    async def assignee(self, world: Seeded, cid: int) -> int | None:
        return self.store.conversation(cid).assignee_id

    async def recorded(self, world: Seeded) -> list[tuple[int, int]]:
        return [(r.conversation_id, r.agent_id) for r in self.store.assignments(world.inbox_id)]

    async def away(self, world: Seeded, agent_id: int) -> None:
        self.store.set_availability(agent_id, Presence.OFFLINE, at=self._now)


@pytest.fixture
def harness(database_url: str, request: pytest.FixtureRequest, clock: Any) -> Harness:
    if database_url == MEMORY:
        return MemoryHarness(clock.now())
    return SqlHarness(request.getfixturevalue("engine"))


def planned(cid: int, agent: int, team: int | None = None) -> PlannedAssignment:
    return PlannedAssignment(cid, agent, team, "round_robin", "test")


async def test_claim_takes_open_unassigned_rows_once(harness: Harness) -> None:
    world = await harness.seed(conversations=3)
    a, b = world.agent_ids[:2]
    c1, c2, c3 = world.conversation_ids
    await harness.set_status(world, c3, Status.RESOLVED)
    async with harness.store.inbox_batch(world.inbox_id) as batch:
        won = await batch.claim(
            [planned(c1, a), planned(c2, b), planned(c3, a)], world.policy_id, harness.now()
        )
    assert won == {c1, c2}
    assert await harness.recorded(world) == [(c1, a), (c2, b)]  # the rows won, in plan order
    async with harness.store.inbox_batch(world.inbox_id) as batch:
        again = await batch.claim([planned(c1, b), planned(c2, a)], world.policy_id, harness.now())
    assert again == set()  # a lost race is a skipped row, never an overwrite
    assert await harness.assignee(world, c1) == a
    assert await harness.assignee(world, c2) == b


async def test_held_lists_the_conversations_of_gone_assignees_and_release_is_guarded(
    harness: Harness,
) -> None:
    world = await harness.seed(conversations=2)
    a, b = world.agent_ids[:2]
    c1, c2 = world.conversation_ids
    policy = make_policy(reassign_after_absent_seconds=0)
    async with harness.store.inbox_batch(world.inbox_id) as batch:
        assert await batch.held(policy) == []  # everyone online
        await batch.claim([planned(c1, a), planned(c2, b)], world.policy_id, harness.now())
    await harness.away(world, a)
    async with harness.store.inbox_batch(world.inbox_id) as batch:
        assert await batch.held(make_policy()) == []  # no rule on: nothing to look at
        [held] = await batch.held(policy)
        assert (held.conversation_id, held.agent_id, held.presence) == (c1, a, Presence.OFFLINE)
        assert held.assigned_at == harness.now()
        assert held.away_since == harness.now()
        assert await batch.held(policy, c2) == []
        stale = Release(replace(held, agent_id=b), ReassignReason.ASSIGNEE_OFFLINE)
        fresh = Release(held, ReassignReason.ASSIGNEE_OFFLINE)
        assert await batch.release([stale, fresh], harness.now()) == {c1}
        rules = ExclusionRules()
        [waiting] = await batch.candidates(
            rules, ConversationPriority.EARLIEST_CREATED, 10, harness.now()
        )
        assert (waiting.id, waiting.previous_assignee_id, waiting.reassign_reason) == (
            c1,
            a,
            ReassignReason.ASSIGNEE_OFFLINE,
        )
    assert await harness.assignee(world, c1) is None
    assert await harness.assignee(world, c2) == b


async def test_claim_rechecks_the_team(harness: Harness) -> None:
    world = await harness.seed()
    team = await harness.team(world, [world.agent_ids[0]])
    [cid] = await harness.add(world, 1, team_id=team)
    agent = world.agent_ids[0]
    async with harness.store.inbox_batch(world.inbox_id) as batch:
        assert (
            await batch.claim([planned(cid, agent, None)], world.policy_id, harness.now()) == set()
        )
        assert await batch.claim([planned(cid, agent, team)], world.policy_id, harness.now()) == {
            cid
        }


async def test_claim_ignores_rows_of_other_inboxes(harness: Harness) -> None:
    world = await harness.seed(conversations=1)
    other = await harness.seed(conversations=1)
    async with harness.store.inbox_batch(world.inbox_id) as batch:
        won = await batch.claim(
            [planned(other.conversation_ids[0], world.agent_ids[0])],
            world.policy_id,
            harness.now(),
        )
    assert won == set()
    assert await harness.assignee(other, other.conversation_ids[0]) is None


async def test_every_order_serves_the_candidates_as_its_sort_key_says(harness: Harness) -> None:
    """earliest_created, longest_waiting, priority and sla_due on every store: the same
    order as ``ConversationPriority.sort_key``, ties included, and the limit cuts it."""
    world = await harness.seed()
    now = harness.now()
    shapes: list[dict[str, Any]] = [
        {"priority": Priority.URGENT},
        {"priority": Priority.LOW, "sla_due_at": now + timedelta(minutes=5)},
        {"priority": None, "sla_due_at": now + timedelta(minutes=1)},
        {"priority": Priority.HIGH},
        {"priority": Priority.URGENT, "sla_due_at": now + timedelta(minutes=5)},
        {"priority": Priority.MEDIUM, "last_activity_at": now - timedelta(hours=30)},
        {"priority": None},
        {"priority": Priority.HIGH, "sla_due_at": now + timedelta(minutes=1)},
    ]
    ids: list[int] = []
    for i, shape in enumerate(shapes):
        created = now - timedelta(hours=20 - i)
        fields = {"created_at": created, "last_activity_at": created, **shape}
        ids += await harness.add(world, 1, **fields)
    for order in ConversationPriority:
        async with harness.store.inbox_batch(world.inbox_id) as batch:
            found = await batch.candidates(ExclusionRules(), order, 10, now)
            first = await batch.candidates(ExclusionRules(), order, 3, now)
        expected = sorted(found, key=order.sort_key)
        assert [c.id for c in found] == [c.id for c in expected], order
        assert [c.id for c in first] == [c.id for c in found[:3]], order
        assert sorted(c.id for c in found) == sorted(ids)
    async with harness.store.inbox_batch(world.inbox_id) as batch:
        by_priority = await batch.candidates(
            ExclusionRules(), ConversationPriority.PRIORITY, 3, now
        )
        by_due = await batch.candidates(ExclusionRules(), ConversationPriority.SLA_DUE, 3, now)
    assert [c.id for c in by_priority] == [ids[0], ids[4], ids[3]]  # urgent, urgent, high
    assert [c.id for c in by_due] == [ids[7], ids[2], ids[4]]  # due first; high before none


async def test_candidates_follow_priority_and_exclusions(harness: Harness) -> None:
    world = await harness.seed()
    now = harness.now()
    old_created_recent_activity = await harness.add(
        world,
        1,
        created_at=now - timedelta(hours=10),
        last_activity_at=now - timedelta(minutes=1),
    )
    waiting_longest = await harness.add(
        world, 1, created_at=now - timedelta(hours=5), last_activity_at=now - timedelta(hours=5)
    )
    spam = await harness.add(world, 1, labels=frozenset({"spam", "x"}))
    stale = await harness.add(
        world, 1, created_at=now - timedelta(days=9), last_activity_at=now - timedelta(days=8)
    )
    assigned = await harness.add(world, 1, assignee_id=world.agent_ids[0])
    rules = ExclusionRules(frozenset({"spam"}), 168)
    async with harness.store.inbox_batch(world.inbox_id) as batch:
        earliest = await batch.candidates(rules, ConversationPriority.EARLIEST_CREATED, 10, now)
        waiting = await batch.candidates(rules, ConversationPriority.LONGEST_WAITING, 10, now)
        everything = await batch.candidates(
            ExclusionRules(), ConversationPriority.EARLIEST_CREATED, 10, now
        )
        limited = await batch.candidates(
            ExclusionRules(), ConversationPriority.EARLIEST_CREATED, 2, now
        )
        other_rule = await batch.candidates(
            ExclusionRules(frozenset({"vip"})), ConversationPriority.EARLIEST_CREATED, 10, now
        )
    assert [c.id for c in earliest] == old_created_recent_activity + waiting_longest
    assert [c.id for c in waiting] == waiting_longest + old_created_recent_activity
    assert [
        c.id for c in everything
    ] == stale + old_created_recent_activity + waiting_longest + spam
    assert assigned[0] not in {c.id for c in everything}
    assert [c.id for c in limited] == stale + old_created_recent_activity
    assert next(c for c in everything if c.id == spam[0]).labels == frozenset()  # not needed
    assert next(c for c in other_rule if c.id == spam[0]).labels == {"spam", "x"}


async def test_members_carry_load_and_capacity(harness: Harness) -> None:
    world = await harness.seed(capacity=4)
    a = world.agent_ids[0]
    await harness.add(world, 2, assignee_id=a)
    await harness.add(world, 1, assignee_id=a, status=Status.PENDING)
    [resolved] = await harness.add(world, 1, assignee_id=a)
    await harness.set_status(world, resolved, Status.RESOLVED)
    async with harness.store.inbox_batch(world.inbox_id) as batch:
        members = {m.agent.agent_id: m for m in await batch.members()}
    assert list(members) == sorted(world.agent_ids)
    assert members[a].agent.open_load == 2  # only open conversations are load
    assert members[a].agent.capacity_limit == 4
    assert members[world.agent_ids[1]].agent.open_load == 0


async def test_settings_carry_the_policy_and_capacity_exclusions(harness: Harness) -> None:
    world = await harness.seed(excluded_labels=["spam"], policy={"fair_distribution_limit": 7})
    async with harness.store.inbox_batch(world.inbox_id) as batch:
        settings = await batch.settings()
    assert settings.inbox.id == world.inbox_id
    assert settings.policy is not None
    assert (settings.policy.id, settings.policy.fair_distribution_limit) == (world.policy_id, 7)
    assert settings.capacity_exclusions.excluded_labels == {"spam"}


async def test_history_ranks_agents_by_their_last_assignment(harness: Harness) -> None:
    world = await harness.seed(conversations=3)
    a, b = world.agent_ids[:2]
    c1, c2, c3 = world.conversation_ids
    now = harness.now()
    async with harness.store.inbox_batch(world.inbox_id) as batch:
        await batch.claim([planned(c1, a), planned(c2, b), planned(c3, a)], world.policy_id, now)
    async with harness.store.inbox_batch(world.inbox_id) as batch:
        recent = await batch.history(now - timedelta(seconds=60))
        later = await batch.history(now)
        last = await batch.last_assignment(c3)
    assert recent.rotation == {b: 1, a: 2}
    assert sorted((e.agent_id, e.conversation_id) for e in recent.window_entries) == sorted(
        [(a, c1), (b, c2), (a, c3)]
    )
    assert later.window_entries == []  # strictly after ``since``
    assert last is not None
    assert (last.agent_id, last.conversation_id, last.policy_id) == (a, c3, world.policy_id)


async def test_unknown_inbox_is_not_found(harness: Harness) -> None:
    with pytest.raises(errors.InboxNotFound, match="inbox 999 not found"):
        async with harness.store.inbox_batch(999):
            pass


async def test_a_failed_batch_changes_nothing(harness: Harness) -> None:
    world = await harness.seed(conversations=1)
    cid = world.conversation_ids[0]

    async def claim_then_fail() -> None:
        async with harness.store.inbox_batch(world.inbox_id) as batch:
            await batch.claim([planned(cid, world.agent_ids[0])], world.policy_id, harness.now())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await claim_then_fail()
    assert await harness.assignee(world, cid) is None
    assert await harness.recorded(world) == []
    async with harness.store.inbox_batch(world.inbox_id) as batch:
        found = await batch.candidates(
            ExclusionRules(), ConversationPriority.EARLIEST_CREATED, 10, harness.now()
        )
    assert [c.id for c in found] == [cid]  # a candidate again


async def test_batches_of_one_inbox_never_overlap(harness: Harness) -> None:
    world = await harness.seed(conversations=1)
    steps: list[str] = []
    inside = asyncio.Event()

    async def first() -> None:
        async with harness.store.inbox_batch(world.inbox_id):
            steps.append("first in")
            inside.set()
            await asyncio.sleep(0.2)
            steps.append("first out")

    async def second() -> None:
        await inside.wait()
        async with harness.store.inbox_batch(world.inbox_id):
            steps.append("second in")

    await asyncio.gather(first(), second())
    assert steps == ["first in", "first out", "second in"]


async def test_the_engine_decides_the_same_on_every_store(harness: Harness) -> None:
    """A batch of the real service: round robin over 3 agents of capacity 2."""
    world = await harness.seed(conversations=8, capacity=2)
    a, b, c = sorted(world.agent_ids)
    result = await assign_inbox(
        world.inbox_id,
        store=harness.store,
        state=MemoryStateStore(),
        clock=_Fixed(harness.now()),
        sink=_Drop(),
        limit=100,
    )
    got = [(o.conversation_id, o.agent_id, o.result) for o in result.outcomes]
    ids = world.conversation_ids
    expected = [
        (cid, agent, OutcomeKind.ASSIGNED)
        for cid, agent in zip(ids[:6], [a, b, c] * 2, strict=True)
    ]
    assert got[:6] == expected
    assert {o.result for o in result.outcomes[6:]} == {
        OutcomeKind.skipped(SkipReason.NO_ELIGIBLE_AGENT)
    }
    assert await harness.recorded(world) == [(cid, agent) for cid, agent, _ in expected]


class _Fixed:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


class _Drop:
    async def publish(self, events: Sequence[object]) -> None:
        return None


# the twin's own write API (not part of the port) -----------------------------------


async def test_the_twin_keeps_its_indexes_through_changes() -> None:
    harness = MemoryHarness(datetime.fromisoformat("2026-11-25T12:00:00+00:00"))
    store = harness.store
    world = await harness.seed(conversations=3, capacity=5)
    c1, c2, c3 = world.conversation_ids
    a = world.agent_ids[0]
    async with store.inbox_batch(world.inbox_id) as batch:
        await batch.claim([planned(c2, a)], world.policy_id, harness.now())
    store.set_status(c2, Status.RESOLVED)
    store.discard(c2)
    [late_but_old] = await harness.add(world, 1, created_at=harness.now() - timedelta(days=1))
    async with store.inbox_batch(world.inbox_id) as batch:
        order = await batch.candidates(
            ExclusionRules(), ConversationPriority.EARLIEST_CREATED, 10, harness.now()
        )
        members = {m.agent.agent_id: m.agent for m in await batch.members()}
    assert [c.id for c in order] == [late_but_old, c1, c3]  # sorted again once out of order
    assert members[a].open_load == 0
    with pytest.raises(ValueError, match="is open"):
        store.discard(c1)
    store.set_availability(a, Presence.BUSY)
    async with store.inbox_batch(world.inbox_id) as batch:
        assert {m.agent.agent_id: m.agent.presence for m in await batch.members()}[a] is (
            Presence.BUSY
        )
