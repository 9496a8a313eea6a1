"""Agents: create, change, delete, their capacity policy, and the inboxes they serve."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned
from autoassign.adapters.sql.tables import accounts, agents, capacity_policies, inbox_members
from autoassign.core.drafts import AgentPatch
from autoassign.core.model import Agent


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

    async def delete(self, account_id: int, agent_id: int) -> None:
        await owned.delete(self._conn, agents, account_id, agent_id)

    async def require(self, account_id: int, agent_ids: Iterable[int]) -> None:
        await owned.require(self._conn, agents, agent_ids, account_id)

    async def set_capacity_policy(
        self, account_id: int, agent_id: int, policy_id: int | None
    ) -> None:
        if policy_id is not None:
            await owned.require(self._conn, capacity_policies, [policy_id], account_id)
        await owned.update(
            self._conn, agents, account_id, agent_id, {"capacity_policy_id": policy_id}
        )

    async def inbox_ids(self, agent_id: int) -> set[int]:
        found = await self._conn.execute(
            sa.select(inbox_members.c.inbox_id).where(inbox_members.c.agent_id == agent_id)
        )
        return set(found.scalars())
