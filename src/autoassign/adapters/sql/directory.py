"""Memberships and the composite views the API shows (labels, counts, limits)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql.records import Records, Row, get, require
from autoassign.adapters.sql.tables import (
    agents,
    assignment_policies,
    capacity_policies,
    conversation_labels,
    conversations,
    inbox_assignment_policies,
    inbox_capacity_limits,
    inbox_members,
    inboxes,
    team_members,
)
from autoassign.core import errors

Change = Literal["add", "replace", "remove"]


async def _set_members(
    conn: AsyncConnection,
    link: sa.Table,
    owner_column: str,
    owner_id: int,
    agent_ids: Sequence[int],
    change: Change,
) -> set[int]:
    """Add, replace or remove agents of an inbox or team; returns the agents added."""
    current = set(
        (
            await conn.execute(sa.select(link.c.agent_id).where(link.c[owner_column] == owner_id))
        ).scalars()
    )
    wanted = set(agent_ids)
    if change == "add":
        added, removed = wanted - current, set()
    elif change == "replace":
        added, removed = wanted - current, current - wanted
    else:
        added, removed = set(), wanted & current
    if removed:
        await conn.execute(
            sa.delete(link).where(link.c[owner_column] == owner_id, link.c.agent_id.in_(removed))
        )
    if added:
        await conn.execute(
            sa.insert(link), [{owner_column: owner_id, "agent_id": a} for a in sorted(added)]
        )
    return added


class Directory:
    def __init__(self, records: Records) -> None:
        self.records = records

    async def members(self, table: sa.Table, account_id: int, owner_id: int) -> list[Row]:
        link, column, missing = self._link(table)
        async with self.records.read() as conn:
            await require(conn, table, [owner_id], account_id, missing)
            found = await conn.execute(
                sa.select(agents)
                .join(link, link.c.agent_id == agents.c.id)
                .where(link.c[column] == owner_id)
                .order_by(agents.c.id)
            )
            return [dict(r._mapping) for r in found]

    async def change_members(
        self,
        table: sa.Table,
        account_id: int,
        owner_id: int,
        agent_ids: Sequence[int],
        change: Change,
    ) -> set[int]:
        link, column, missing = self._link(table)
        async with self.records.write() as conn:
            await require(conn, table, [owner_id], account_id, missing)
            await require(conn, agents, agent_ids, account_id, errors.AgentNotFound)
            return await _set_members(conn, link, column, owner_id, agent_ids, change)

    @staticmethod
    def _link(table: sa.Table) -> tuple[sa.Table, str, type[errors.NotFound]]:
        if table is inboxes:
            return inbox_members, "inbox_id", errors.InboxNotFound
        return team_members, "team_id", errors.TeamNotFound

    async def agent_inbox_ids(self, agent_id: int) -> set[int]:
        async with self.records.read() as conn:
            found = await conn.execute(
                sa.select(inbox_members.c.inbox_id).where(inbox_members.c.agent_id == agent_id)
            )
            return set(found.scalars())

    async def policy_inbox_ids(self, policy_id: int) -> set[int]:
        async with self.records.read() as conn:
            found = await conn.execute(
                sa.select(inbox_assignment_policies.c.inbox_id).where(
                    inbox_assignment_policies.c.assignment_policy_id == policy_id
                )
            )
            return set(found.scalars())

    # conversations -----------------------------------------------------------------

    async def conversations(
        self,
        account_id: int,
        *where: sa.ColumnElement[bool],
        page: int = 1,
        per_page: int = 25,
    ) -> tuple[list[Row], int]:
        conditions = [conversations.c.account_id == account_id, *where]
        async with self.records.read() as conn:
            total = (
                await conn.execute(
                    sa.select(sa.func.count()).select_from(conversations).where(*conditions)
                )
            ).scalar_one()
            found = [
                dict(r._mapping)
                for r in await conn.execute(
                    sa.select(conversations)
                    .where(*conditions)
                    .order_by(conversations.c.id)
                    .offset((page - 1) * per_page)
                    .limit(per_page)
                )
            ]
            await self._attach_labels(conn, found)
        return found, int(total)

    async def conversation(self, account_id: int, conversation_id: int) -> Row:
        async with self.records.read() as conn:
            return await load_conversation(conn, account_id, conversation_id)

    @staticmethod
    async def _attach_labels(conn: AsyncConnection, rows: list[Row]) -> None:
        labels: dict[int, list[str]] = defaultdict(list)
        if rows:
            found = await conn.execute(
                sa.select(conversation_labels)
                .where(conversation_labels.c.conversation_id.in_([r["id"] for r in rows]))
                .order_by(conversation_labels.c.label)
            )
            for link in found:
                labels[link.conversation_id].append(link.label)
        for row in rows:
            row["labels"] = labels[row["id"]]

    @staticmethod
    async def set_labels(
        conn: AsyncConnection, conversation_id: int, labels: Sequence[str]
    ) -> None:
        await conn.execute(
            sa.delete(conversation_labels).where(
                conversation_labels.c.conversation_id == conversation_id
            )
        )
        unique = sorted(set(labels))
        if unique:
            await conn.execute(
                sa.insert(conversation_labels),
                [{"conversation_id": conversation_id, "label": label} for label in unique],
            )

    # policies ----------------------------------------------------------------------

    async def policies(self, account_id: int, policy_id: int | None = None) -> list[Row]:
        count = (
            sa.select(sa.func.count())
            .where(inbox_assignment_policies.c.assignment_policy_id == assignment_policies.c.id)
            .scalar_subquery()
        )
        query = (
            sa.select(assignment_policies, count.label("assigned_inbox_count"))
            .where(assignment_policies.c.account_id == account_id)
            .order_by(assignment_policies.c.id)
        )
        if policy_id is not None:
            query = query.where(assignment_policies.c.id == policy_id)
        async with self.records.read() as conn:
            found = [dict(r._mapping) for r in await conn.execute(query)]
        if policy_id is not None and not found:
            raise errors.PolicyNotFound(policy_id)
        return found

    async def capacity_policies(self, account_id: int, policy_id: int | None = None) -> list[Row]:
        agent_count = (
            sa.select(sa.func.count())
            .where(agents.c.capacity_policy_id == capacity_policies.c.id)
            .scalar_subquery()
        )
        query = (
            sa.select(capacity_policies, agent_count.label("assigned_agent_count"))
            .where(capacity_policies.c.account_id == account_id)
            .order_by(capacity_policies.c.id)
        )
        if policy_id is not None:
            query = query.where(capacity_policies.c.id == policy_id)
        async with self.records.read() as conn:
            found = [dict(r._mapping) for r in await conn.execute(query)]
            limits: dict[int, list[dict[str, Any]]] = defaultdict(list)
            if found:
                rows = await conn.execute(
                    sa.select(inbox_capacity_limits)
                    .where(inbox_capacity_limits.c.capacity_policy_id.in_([r["id"] for r in found]))
                    .order_by(inbox_capacity_limits.c.id)
                )
                for limit in rows:
                    limits[limit.capacity_policy_id].append(inbox_limit_view(dict(limit._mapping)))
        if policy_id is not None and not found:
            raise errors.PolicyNotFound(policy_id)
        for row in found:
            row["exclusion_rules"] = {
                "excluded_labels": list(row.pop("excluded_labels") or []),
                "exclude_older_than_hours": row.pop("exclude_older_than_hours"),
            }
            row["inbox_capacity_limits"] = limits[row["id"]]
        return found

    async def inbox_limit(self, account_id: int, policy_id: int, limit_id: int) -> Row:
        async with self.records.read() as conn:
            await require(conn, capacity_policies, [policy_id], account_id, errors.PolicyNotFound)
            row = (
                await conn.execute(
                    sa.select(inbox_capacity_limits).where(
                        inbox_capacity_limits.c.id == limit_id,
                        inbox_capacity_limits.c.capacity_policy_id == policy_id,
                    )
                )
            ).one_or_none()
        if row is None:
            raise errors.NotFound(limit_id)
        return inbox_limit_view(dict(row._mapping))


async def load_conversation(conn: AsyncConnection, account_id: int, conversation_id: int) -> Row:
    """One conversation of the account, with its labels (NotFound otherwise)."""
    row = await get(conn, conversations, account_id, conversation_id, errors.ConversationNotFound)
    await Directory._attach_labels(conn, [row])
    return row


def inbox_limit_view(row: Row) -> Row:
    row["agent_capacity_policy_id"] = row.pop("capacity_policy_id")
    return row


__all__ = ["Change", "Directory"]
