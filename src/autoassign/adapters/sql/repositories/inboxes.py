"""Inboxes, their members, and the assignment policy linked to each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned
from autoassign.adapters.sql.repositories._members import change_members
from autoassign.adapters.sql.tables import (
    accounts,
    agents,
    assignment_policies,
    inbox_assignment_policies,
    inbox_capacity_limits,
    inbox_members,
    inboxes,
    run_requests,
)
from autoassign.core import errors
from autoassign.core.drafts import InboxPatch, MemberChange, MembersChanged, Membership
from autoassign.core.model import Inbox
from autoassign.core.views import MemberView


class SqlInboxes:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, inbox: Inbox, now: datetime) -> int:
        await owned.require(self._conn, accounts, [inbox.account_id], inbox.account_id)
        return await owned.insert(
            self._conn,
            inboxes,
            {
                "account_id": inbox.account_id,
                "name": inbox.name,
                "enable_auto_assignment": inbox.enable_auto_assignment,
                "created_at": now,
            },
        )

    async def update(self, account_id: int, inbox_id: int, patch: InboxPatch) -> None:
        await owned.update(self._conn, inboxes, account_id, inbox_id, patch)

    async def delete(self, account_id: int, inbox_id: int, now: datetime) -> None:
        """Mark the inbox deleted, keeping its conversations and assignment history: it
        leaves every read, loses its members, policy link and capacity limits, and never
        runs again (batches ignore deleted inboxes)."""
        await self.require(account_id, [inbox_id])
        for link in (inbox_members, inbox_assignment_policies, inbox_capacity_limits, run_requests):
            await self._conn.execute(sa.delete(link).where(link.c.inbox_id == inbox_id))
        await self._conn.execute(
            sa.update(inboxes).where(inboxes.c.id == inbox_id).values(deleted_at=now)
        )

    async def require(self, account_id: int, inbox_ids: Iterable[int]) -> None:
        await owned.require(self._conn, inboxes, inbox_ids, account_id)

    async def set_member(
        self, account_id: int, inbox_id: int, agent_id: int, change: MemberChange
    ) -> MemberView:
        """Opt a member out of auto-assignment here (or back in), set their weight;
        returns the member as it was. InboxMemberNotFound when not a member."""
        await self.require(account_id, [inbox_id])
        m = inbox_members.c
        where = sa.and_(m.inbox_id == inbox_id, m.agent_id == agent_id)
        row = (await self._conn.execute(sa.select(m.auto_assign, m.weight).where(where))).first()
        if row is None:
            raise errors.InboxMemberNotFound(agent_id)
        if change:
            await self._conn.execute(sa.update(inbox_members).where(where).values(**change))
        return MemberView(inbox_id, agent_id, bool(row.auto_assign), row.weight)

    async def change_members(
        self,
        account_id: int,
        inbox_id: int,
        agent_ids: Sequence[int],
        change: Membership,
        now: datetime,
    ) -> MembersChanged:
        await self.require(account_id, [inbox_id])
        await owned.require(self._conn, agents, agent_ids, account_id)
        return await change_members(
            self._conn, inbox_members, "inbox_id", inbox_id, agent_ids, change, now
        )

    async def policy_id(self, account_id: int, inbox_id: int) -> int | None:
        await self.require(account_id, [inbox_id])
        found = await self._conn.execute(
            sa.select(inbox_assignment_policies.c.assignment_policy_id).where(
                inbox_assignment_policies.c.inbox_id == inbox_id
            )
        )
        value = found.scalar_one_or_none()
        return int(value) if value is not None else None

    async def link_policy(self, inbox_id: int, policy_id: int) -> None:
        await self.unlink_policy(inbox_id)
        await self._conn.execute(
            sa.insert(inbox_assignment_policies).values(
                inbox_id=inbox_id, assignment_policy_id=policy_id
            )
        )

    async def unlink_policy(self, inbox_id: int) -> None:
        await self._conn.execute(
            sa.delete(inbox_assignment_policies).where(
                inbox_assignment_policies.c.inbox_id == inbox_id
            )
        )

    async def sweepable_ids(self) -> list[int]:
        query = (
            sa.select(inboxes.c.id)
            .join(inbox_assignment_policies, inbox_assignment_policies.c.inbox_id == inboxes.c.id)
            .join(
                assignment_policies,
                assignment_policies.c.id == inbox_assignment_policies.c.assignment_policy_id,
            )
            .where(
                inboxes.c.enable_auto_assignment.is_(True), assignment_policies.c.enabled.is_(True)
            )
            .order_by(inboxes.c.id)
        )
        return list((await self._conn.execute(query)).scalars())
