"""One contract for the SQL store, run on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.util.exc import CommandError

from autoassign.adapters.sql.engine import make_engine, make_sync_engine
from autoassign.adapters.sql.migrate import alembic_config, current
from autoassign.adapters.sql.store import SqlAssignmentStore
from autoassign.adapters.sql.tables import assignments
from autoassign.core import errors
from autoassign.core.drafts import Membership
from autoassign.core.model import Agent, Status
from autoassign.core.planner import PlannedAssignment
from autoassign.core.policies import ConversationPriority, ExclusionRules
from autoassign.services import agents as agent_service
from tests.factories import (
    T0,
    add_conversations,
    add_team,
    conversation,
    seed_world,
    set_status,
)


def planned(cid: int, agent: int, team: int | None = None) -> PlannedAssignment:
    return PlannedAssignment(cid, agent, team, "round_robin", "test")


async def test_migrations_match_the_tables(database_url):
    assert current(database_url) is not None
    config = alembic_config(database_url)
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as conn:
            config.attributes["connection"] = conn
            command.check(config)  # raises if upgrade head differs from tables.py
    except CommandError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"migrations drifted from tables.py: {exc}")
    finally:
        engine.dispose()


async def test_claim_takes_open_unassigned_rows_once(engine):
    world = await seed_world(engine, conversations=3)
    a, b = world.agents[0].id, world.agents[1].id
    c1, c2, c3 = world.conversation_ids
    await set_status(engine, world, c3, Status.RESOLVED)
    async with engine.store.inbox_batch(world.inbox.id) as batch:
        won = await batch.claim(
            [planned(c1, a), planned(c2, b), planned(c3, a)], world.policy.id, engine.clock.now()
        )
    assert won == {c1, c2}
    async with engine.sql.connect() as db:
        recorded = (
            await db.execute(
                sa.select(assignments.c.conversation_id, assignments.c.agent_id)
                .where(assignments.c.inbox_id == world.inbox.id)
                .order_by(assignments.c.id)
            )
        ).all()
    assert [tuple(r) for r in recorded] == [(c1, a), (c2, b)]  # the rows won, in plan order
    async with engine.store.inbox_batch(world.inbox.id) as batch:
        again = await batch.claim(
            [planned(c1, b), planned(c2, a)], world.policy.id, engine.clock.now()
        )
    assert again == set()  # a lost race is a skipped row, never an overwrite
    assert (await conversation(engine, world.account.id, c1)).assignee_id == a
    assert (await conversation(engine, world.account.id, c2)).assignee_id == b


async def test_claim_rechecks_the_team(engine):
    world = await seed_world(engine, conversations=0)
    team = await add_team(engine, world, [world.agents[0].id])
    [cid] = await add_conversations(engine, world, 1, team_id=team.id)
    async with engine.store.inbox_batch(world.inbox.id) as batch:
        assert (
            await batch.claim(
                [planned(cid, world.agents[0].id, None)], world.policy.id, engine.clock.now()
            )
            == set()
        )
        assert await batch.claim(
            [planned(cid, world.agents[0].id, team.id)], world.policy.id, engine.clock.now()
        ) == {cid}


async def test_claim_ignores_rows_of_other_inboxes(engine):
    world = await seed_world(engine, conversations=1)
    other = await seed_world(engine, conversations=1)
    async with engine.store.inbox_batch(world.inbox.id) as batch:
        won = await batch.claim(
            [planned(other.conversation_ids[0], world.agents[0].id)],
            world.policy.id,
            engine.clock.now(),
        )
    assert won == set()


async def test_concurrent_claims_never_give_a_row_two_assignees(database_url, clock):
    from autoassign.bootstrap import build
    from autoassign.config import Settings

    engine = build(Settings(database_url=database_url), clock=clock)
    world = await seed_world(engine, conversations=60)
    await engine.aclose()
    ids = world.conversation_ids
    agents = [a.id for a in world.agents]
    stores = [SqlAssignmentStore(make_engine(database_url)) for _ in range(3)]

    async def claimer(store: SqlAssignmentStore, agent: int, order: list[int]) -> set[int]:
        won: set[int] = set()
        for start in range(0, len(order), 10):
            async with store.inbox_batch(world.inbox.id) as batch:
                won |= await batch.claim(
                    [planned(c, agent) for c in order[start : start + 10]],
                    world.policy.id,
                    clock.now(),
                )
        return won

    results = await asyncio.gather(
        claimer(stores[0], agents[0], ids),
        claimer(stores[1], agents[1], list(reversed(ids))),
        claimer(stores[2], agents[2], ids[30:] + ids[:30]),
    )
    for store in stores:
        await store.engine.dispose()
    assert sum(len(r) for r in results) == len(ids)
    assert set().union(*results) == set(ids)


async def test_candidates_follow_priority_and_exclusions(engine):
    world = await seed_world(engine, conversations=0)
    now = engine.clock.now()
    old_created_recent_activity = await add_conversations(
        engine,
        world,
        1,
        created_at=now - timedelta(hours=10),
        last_activity_at=now - timedelta(minutes=1),
    )
    waiting_longest = await add_conversations(
        engine,
        world,
        1,
        created_at=now - timedelta(hours=5),
        last_activity_at=now - timedelta(hours=5),
    )
    spam = await add_conversations(engine, world, 1, labels=frozenset({"spam", "x"}))
    stale = await add_conversations(
        engine,
        world,
        1,
        created_at=now - timedelta(days=9),
        last_activity_at=now - timedelta(days=8),
    )
    assigned = await add_conversations(engine, world, 1, assignee_id=world.agents[0].id)
    rules = ExclusionRules(frozenset({"spam"}), 168)
    async with engine.store.inbox_batch(world.inbox.id) as batch:
        earliest = await batch.candidates(rules, ConversationPriority.EARLIEST_CREATED, 10, now)
        waiting = await batch.candidates(rules, ConversationPriority.LONGEST_WAITING, 10, now)
        everything = await batch.candidates(
            ExclusionRules(), ConversationPriority.EARLIEST_CREATED, 10, now
        )
        limited = await batch.candidates(
            ExclusionRules(), ConversationPriority.EARLIEST_CREATED, 2, now
        )
    assert [c.id for c in earliest] == old_created_recent_activity + waiting_longest
    assert [c.id for c in waiting] == waiting_longest + old_created_recent_activity
    assert {c.id for c in everything} == set(
        old_created_recent_activity + waiting_longest + spam + stale
    )
    assert assigned[0] not in {c.id for c in everything}
    assert len(limited) == 2
    assert next(c for c in everything if c.id == spam[0]).labels == frozenset()  # not needed
    async with engine.store.inbox_batch(world.inbox.id) as batch:
        other_rule = await batch.candidates(
            ExclusionRules(frozenset({"vip"})), ConversationPriority.EARLIEST_CREATED, 10, now
        )
    assert next(c for c in other_rule if c.id == spam[0]).labels == {"spam", "x"}


async def test_members_carry_load_and_capacity(engine):
    world = await seed_world(engine, conversations=0, capacity=4)
    a = world.agents[0].id
    await add_conversations(engine, world, 2, assignee_id=a)
    await add_conversations(engine, world, 1, assignee_id=a, status=Status.PENDING)
    async with engine.store.inbox_batch(world.inbox.id) as batch:
        members = {m.agent.agent_id: m for m in await batch.members()}
    assert set(members) == {agent.id for agent in world.agents}
    assert members[a].agent.open_load == 2  # only open conversations are load
    assert members[a].agent.capacity_limit == 4


async def test_history_ranks_agents_by_their_last_assignment(engine):
    world = await seed_world(engine, conversations=3)
    a, b = world.agents[0].id, world.agents[1].id
    c1, c2, c3 = world.conversation_ids
    now = engine.clock.now()
    async with engine.store.inbox_batch(world.inbox.id) as batch:
        await batch.claim([planned(c1, a), planned(c2, b), planned(c3, a)], world.policy.id, now)
    async with engine.store.inbox_batch(world.inbox.id) as batch:
        history = await batch.history(now - timedelta(seconds=60))
    assert history.rotation == {b: 1, a: 2}
    assert sorted((e.agent_id, e.conversation_id) for e in history.window_entries) == sorted(
        [(a, c1), (b, c2), (a, c3)]
    )


async def test_unknown_inbox_is_not_found(engine):
    with pytest.raises(errors.InboxNotFound, match="inbox 999 not found"):
        async with engine.store.inbox_batch(999):
            pass


async def test_a_failed_batch_changes_nothing(engine):
    world = await seed_world(engine, conversations=1)

    async def claim_then_fail() -> None:
        async with engine.store.inbox_batch(world.inbox.id) as batch:
            await batch.claim(
                [planned(world.conversation_ids[0], world.agents[0].id)],
                world.policy.id,
                engine.clock.now(),
            )
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await claim_then_fail()
    unclaimed = await conversation(engine, world.account.id, world.conversation_ids[0])
    assert unclaimed.assignee_id is None


async def test_repositories_scope_every_write_to_its_account(engine):
    world = await seed_world(engine, conversations=0)
    other = await seed_world(engine, conversations=0)
    uow = engine.deps.uow
    with pytest.raises(errors.AgentNotFound, match=f"agent {other.agents[0].id} not found"):
        async with uow.write() as tx:
            await tx.inboxes.change_members(
                world.account.id, world.inbox.id, [other.agents[0].id], Membership.ADD, T0
            )
    with pytest.raises(errors.InboxNotFound):
        async with uow.write() as tx:
            await tx.inboxes.require(world.account.id, [other.inbox.id])
    with pytest.raises(errors.PolicyNotFound, match=f"assignment policy {world.policy.id} not"):
        async with uow.write() as tx:
            await tx.policies.delete(other.account.id, world.policy.id)
    with pytest.raises(errors.ConversationNotFound):
        async with uow.read() as tx:
            await tx.queries.conversation(other.account.id, 10**6)
    async with uow.read() as tx:  # nothing leaked across
        assert await tx.queries.inbox_members(other.account.id, other.inbox.id) == other.agents


async def test_duplicate_policy_name_is_the_same_conflict_on_create_and_update(engine):
    world = await seed_world(engine, conversations=0)
    message = "an assignment policy with this name exists"
    async with engine.deps.uow.read() as tx:
        entity = await tx.policies.get(world.account.id, world.policy.id)
    with pytest.raises(errors.Conflict) as created:
        async with engine.deps.uow.write() as tx:
            await tx.policies.add(replace(entity, id=0), engine.clock.now())
    async with engine.deps.uow.write() as tx:
        second = await tx.policies.add(replace(entity, id=0, name="Second"), engine.clock.now())
    renamed = replace(entity, id=second, name=world.policy.name)
    with pytest.raises(errors.Conflict) as updated:
        async with engine.deps.uow.write() as tx:
            await tx.policies.save(renamed, engine.clock.now())
    assert created.value.message == updated.value.message == message


async def test_concurrent_identical_member_adds_both_succeed(engine):
    world = await seed_world(engine, agents=(), conversations=0)
    agent = await agent_service.create_agent(engine.deps, Agent(0, world.account.id, "Solo"))

    async def add() -> None:
        async with engine.deps.uow.write() as tx:
            await tx.inboxes.change_members(
                world.account.id, world.inbox.id, [agent.id], Membership.ADD, T0
            )

    await asyncio.gather(add(), add())
    async with engine.deps.uow.read() as tx:
        assert await tx.queries.inbox_members(world.account.id, world.inbox.id) == [agent]


async def test_database_outage_is_a_typed_error(clock):
    store = SqlAssignmentStore(make_engine("postgresql://postgres@127.0.0.1:1/none"))
    with pytest.raises(errors.StoreUnavailable, match="database unavailable"):
        async with store.inbox_batch(1):
            pass
    await store.engine.dispose()


def test_candidate_index_exists(database_url):
    engine = make_sync_engine(database_url)
    try:
        names = {ix["name"] for ix in sa.inspect(engine).get_indexes("conversations")}
    finally:
        engine.dispose()
    assert {"ix_conversations_candidates_created", "ix_conversations_open_load"} <= names
