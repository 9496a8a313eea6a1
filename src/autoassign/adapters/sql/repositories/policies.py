"""Assignment policies, and the inboxes each is linked to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned, rows
from autoassign.adapters.sql.tables import accounts, assignment_policies, inbox_assignment_policies
from autoassign.core.policies import AssignmentPolicy


class SqlPolicies:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, policy: AssignmentPolicy, now: datetime) -> int:
        await owned.require(self._conn, accounts, [policy.account_id], policy.account_id)
        return await owned.insert(
            self._conn,
            assignment_policies,
            {**rows.policy_values(policy), "created_at": now, "updated_at": now},
        )

    async def get(self, account_id: int, policy_id: int) -> AssignmentPolicy:
        row = await owned.one(self._conn, assignment_policies, account_id, policy_id)
        return rows.policy(row._mapping)

    async def save(self, policy: AssignmentPolicy, now: datetime) -> None:
        values = {**rows.policy_values(policy), "updated_at": now}
        await owned.update(self._conn, assignment_policies, policy.account_id, policy.id, values)

    async def delete(self, account_id: int, policy_id: int) -> None:
        await owned.delete(self._conn, assignment_policies, account_id, policy_id)

    async def require(self, account_id: int, policy_ids: Iterable[int]) -> None:
        await owned.require(self._conn, assignment_policies, policy_ids, account_id)

    async def inbox_ids(self, policy_id: int) -> set[int]:
        found = await self._conn.execute(
            sa.select(inbox_assignment_policies.c.inbox_id).where(
                inbox_assignment_policies.c.assignment_policy_id == policy_id
            )
        )
        return set(found.scalars())
