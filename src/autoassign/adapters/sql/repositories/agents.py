"""Agents: create, change, delete, their capacity policy, and the inboxes they serve."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned
from autoassign.adapters.sql.tables import (
    accounts,
    agents,
    capacity_policies,
    conversations,
    inbox_members,
    inboxes,
    team_members,
)
from autoassign.core.drafts import AgentPatch
from autoassign.core.model import Agent, Status


class SqlAgents:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, agent: Agent, now: datetime) -> int:
        await owned.require(self._conn, accounts, [agent.account_id], agent.account_id)
        if agent.capacity_policy_id is not None:
            await owned.require(
                self._conn, capacity_policies, [agent.capacity_policy_id], agent.account_id
            )
        return await owned.insert(
            self._conn,
            agents,
            {
                "account_id": agent.account_id,
                "name": agent.name,
                "email": agent.email,
                "availability": agent.availability.value,
                "auto_offline": agent.auto_offline,
                "capacity_policy_id": agent.capacity_policy_id,
                "created_at": now,
            },
        )

    async def update(self, account_id: int, agent_id: int, patch: AgentPatch) -> None:
        await owned.update(self._conn, agents, account_id, agent_id, patch)

    async def delete(self, account_id: int, agent_id: int, now: datetime) -> set[int]:
        """Mark the agent deleted, keeping its assignment history: it leaves every inbox,
        team and capacity policy, and its open conversations are unassigned. Returns the
        inboxes of those conversations.

        The agent's inboxes are locked first, as a batch locks its inbox: a batch that
        planned with this agent commits before, and its assignments are undone here; a
        later one no longer sees the agent. So a deleted agent never holds work."""
        # the agent's row first: a write that share-locked it (assigning it) commits
        # before, and is undone below; one that comes after finds it deleted
        await owned.require(self._conn, agents, [agent_id], account_id)
        await self._conn.execute(
            sa.select(agents.c.id).where(agents.c.id == agent_id).with_for_update()
        )
        member_of = sa.select(inbox_members.c.inbox_id).where(inbox_members.c.agent_id == agent_id)
        await self._conn.execute(
            sa.select(inboxes.c.id)
            .where(inboxes.c.id.in_(member_of))
            .order_by(inboxes.c.id)
            .with_for_update()
        )
        c = conversations.c
        freed = await self._conn.execute(
            sa.update(conversations)
            .where(c.assignee_id == agent_id, c.status == Status.OPEN.value)
            .values(assignee_id=None, updated_at=now)
            .returning(c.inbox_id)
        )
        inbox_ids = set(freed.scalars())
        for link in (inbox_members, team_members):
            await self._conn.execute(sa.delete(link).where(link.c.agent_id == agent_id))
        await self._conn.execute(
            sa.update(agents)
            .where(agents.c.id == agent_id)
            .values(deleted_at=now, capacity_policy_id=None)
        )
        return inbox_ids

    async def require(self, account_id: int, agent_ids: Iterable[int]) -> None:
        """Share-locked: an agent checked here cannot be deleted before this commits."""
        await owned.require(self._conn, agents, agent_ids, account_id, share=True)

    async def set_capacity_policy(
        self, account_id: int, agent_id: int, policy_id: int | None
    ) -> None:
        if policy_id is not None:
            await owned.require(self._conn, capacity_policies, [policy_id], account_id)
        await owned.update(
            self._conn, agents, account_id, agent_id, {"capacity_policy_id": policy_id}
        )

    async def total_limited(self, agent_id: int) -> bool:
        found = await self._conn.execute(
            sa.select(capacity_policies.c.total_limit)
            .join(agents, agents.c.capacity_policy_id == capacity_policies.c.id)
            .where(agents.c.id == agent_id)
        )
        return found.scalar() is not None

    async def held_inbox_ids(self, agent_ids: Iterable[int]) -> set[int]:
        c = conversations.c
        found = await self._conn.execute(
            sa.select(c.inbox_id)
            .distinct()
            .where(c.assignee_id.in_(sorted(set(agent_ids))), c.status == Status.OPEN.value)
        )
        return set(found.scalars())

    async def inbox_ids(self, agent_id: int) -> set[int]:
        found = await self._conn.execute(
            sa.select(inbox_members.c.inbox_id).where(inbox_members.c.agent_id == agent_id)
        )
        return set(found.scalars())
