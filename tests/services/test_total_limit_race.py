"""A total limit spans inboxes, which the inbox lock does not cover: batches of two
inboxes racing for one agent's last place never both win (on PostgreSQL the agent is
locked; on SQLite a batch is the only writer). Checked in SQL afterwards."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from autoassign.adapters.sql.tables import conversations
from autoassign.core.drafts import Membership
from autoassign.core.model import Inbox, Presence, Status
from autoassign.core.policies import CapacityPolicy
from autoassign.services import capacity, inboxes
from tests.factories import World, add_conversations, assign, seed_world


async def test_two_inboxes_never_fill_one_agents_last_place_twice(engine):
    world = await seed_world(engine, agents=[Presence.ONLINE], conversations=20)
    deps, account = engine.deps, world.account.id
    [agent] = world.agents
    second = await inboxes.create_inbox(deps, Inbox(0, account, "Second"))
    await inboxes.change_members(deps, account, second.id, [agent.id], Membership.ADD)
    await inboxes.link_policy(deps, account, second.id, world.policy.id)
    other = World(world.account, second, world.agents, world.policy)
    await add_conversations(engine, other, 20)
    policy = await capacity.create_policy(deps, CapacityPolicy(0, account, "T", total_limit=3))
    await capacity.add_user(deps, account, policy.id, agent.id)
    for _ in range(6):  # each round: both inboxes at once, then free everything again
        await asyncio.gather(assign(engine, world.inbox.id), assign(engine, second.id))
        async with engine.sql.connect() as conn:
            held = (
                await conn.execute(
                    sa.select(sa.func.count()).where(
                        conversations.c.assignee_id == agent.id,
                        conversations.c.status == Status.OPEN.value,
                    )
                )
            ).scalar_one()
        assert held == 3, held  # the total, never more (and not less: work was waiting)
        async with engine.sql.begin() as conn:
            await conn.execute(
                sa.update(conversations)
                .where(conversations.c.assignee_id == agent.id)
                .values(status=Status.RESOLVED.value)
            )
