"""Agent capacity policies and their per-inbox conversation limits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned
from autoassign.adapters.sql.tables import (
    accounts,
    agents,
    capacity_policies,
    inbox_capacity_limits,
    inbox_members,
    inboxes,
)
from autoassign.core.drafts import CapacityPatch
from autoassign.core.policies import CapacityPolicy


class SqlCapacity:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, policy: CapacityPolicy, now: datetime) -> int:
        conn, account_id = self._conn, policy.account_id
        await owned.require(conn, accounts, [account_id], account_id)
        await owned.require(conn, inboxes, policy.inbox_limits, account_id)
        rules = policy.exclusion_rules
        policy_id = await owned.insert(
            conn,
            capacity_policies,
            {
                "account_id": account_id,
                "name": policy.name,
                "description": policy.description,
                "excluded_labels": sorted(rules.excluded_labels),
                "exclude_older_than_hours": rules.exclude_older_than_hours,
                "total_limit": policy.total_limit,
                "created_at": now,
            },
        )
        for inbox_id, limit in sorted(policy.inbox_limits.items()):
            await self.add_limit(policy_id, inbox_id, limit)
        return policy_id

    async def update(self, account_id: int, policy_id: int, patch: CapacityPatch) -> None:
        values: dict[str, Any] = dict(patch)
        if "excluded_labels" in values:
            values["excluded_labels"] = sorted(set(values["excluded_labels"]))
        await owned.update(self._conn, capacity_policies, account_id, policy_id, values)

    async def delete(self, account_id: int, policy_id: int) -> None:
        await owned.delete(self._conn, capacity_policies, account_id, policy_id)

    async def require(self, account_id: int, policy_ids: Iterable[int]) -> None:
        await owned.require(self._conn, capacity_policies, policy_ids, account_id)

    async def add_limit(self, policy_id: int, inbox_id: int, conversation_limit: int) -> int:
        return await owned.insert(
            self._conn,
            inbox_capacity_limits,
            {
                "capacity_policy_id": policy_id,
                "inbox_id": inbox_id,
                "conversation_limit": conversation_limit,
            },
        )

    async def set_limit(self, limit_id: int, conversation_limit: int) -> None:
        await self._conn.execute(
            sa.update(inbox_capacity_limits)
            .where(inbox_capacity_limits.c.id == limit_id)
            .values(conversation_limit=conversation_limit)
        )

    async def delete_limit(self, limit_id: int) -> None:
        await self._conn.execute(
            sa.delete(inbox_capacity_limits).where(inbox_capacity_limits.c.id == limit_id)
        )

    async def inbox_ids(self, policy_id: int) -> set[int]:
        """The inboxes it limits, and (its total limit spans them all) every inbox of
        the agents it governs."""
        limited = sa.select(inbox_capacity_limits.c.inbox_id).where(
            inbox_capacity_limits.c.capacity_policy_id == policy_id
        )
        governed = (
            sa.select(inbox_members.c.inbox_id)
            .join(agents, agents.c.id == inbox_members.c.agent_id)
            .where(agents.c.capacity_policy_id == policy_id)
        )
        found = await self._conn.execute(sa.union(limited, governed))
        return set(found.scalars())
