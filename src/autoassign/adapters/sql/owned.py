"""Account scoping, once: every row belongs to an account, and an id of another account
is NotFound (never a cross-account read or write). The table → error map lives here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql.tables import (
    accounts,
    agents,
    assignment_policies,
    capacity_policies,
    conversations,
    inboxes,
    teams,
    webhooks,
)
from autoassign.core import errors

#: the error for an id that is not a row of this table in this account
NOT_FOUND: Mapping[sa.Table, type[errors.NotFound]] = {
    accounts: errors.AccountNotFound,
    agents: errors.AgentNotFound,
    inboxes: errors.InboxNotFound,
    teams: errors.TeamNotFound,
    conversations: errors.ConversationNotFound,
    assignment_policies: errors.PolicyNotFound,
    capacity_policies: errors.CapacityPolicyNotFound,
    webhooks: errors.WebhookNotFound,
}


def owner(table: sa.Table) -> sa.ColumnElement[Any]:
    """The column that names a row's account (an account is its own owner)."""
    return table.c.account_id if "account_id" in table.c else table.c.id


def visible(table: sa.Table, account_id: int) -> list[sa.ColumnElement[bool]]:
    """The rows of this account a caller may see or change: deleted agents and inboxes
    (kept for their history) are gone for everyone."""
    conditions: list[sa.ColumnElement[bool]] = [owner(table) == account_id]
    if "deleted_at" in table.c:
        conditions.append(table.c.deleted_at.is_(None))
    return conditions


async def require(
    conn: AsyncConnection,
    table: sa.Table,
    ids: Iterable[int],
    account_id: int,
    *,
    share: bool = False,
) -> None:
    """Raise the table's NotFound for the first id that is not a row of this account.

    ``share`` keeps the rows share-locked until the transaction ends (PostgreSQL;
    SQLite has one writer anyway): a write that refers to them, such as assigning an
    agent, then cannot interleave with deleting them."""
    wanted = set(ids)
    if not wanted:
        return
    query = sa.select(table.c.id).where(table.c.id.in_(wanted), *visible(table, account_id))
    if share:
        query = query.order_by(table.c.id).with_for_update(read=True)
    found = set((await conn.execute(query)).scalars())
    for object_id in sorted(wanted - found):
        raise NOT_FOUND[table](object_id)


async def insert(conn: AsyncConnection, table: sa.Table, values: Mapping[str, Any]) -> int:
    """Insert one row; its new id."""
    inserted = await conn.execute(sa.insert(table).values(dict(values)).returning(table.c.id))
    return int(inserted.scalar_one())


async def update(
    conn: AsyncConnection,
    table: sa.Table,
    account_id: int,
    object_id: int,
    values: Mapping[str, Any],
) -> None:
    """Update one row of the account (NotFound otherwise); no values only checks it."""
    if not values:
        await require(conn, table, [object_id], account_id)
        return
    done = await conn.execute(
        sa.update(table)
        .where(table.c.id == object_id, *visible(table, account_id))
        .values(dict(values))
    )
    if done.rowcount == 0:
        raise NOT_FOUND[table](object_id)


async def delete(conn: AsyncConnection, table: sa.Table, account_id: int, object_id: int) -> None:
    """Delete one row of the account (NotFound otherwise). Agents and inboxes are not
    deleted this way: their repositories mark them deleted, keeping their history."""
    done = await conn.execute(
        sa.delete(table).where(table.c.id == object_id, *visible(table, account_id))
    )
    if done.rowcount == 0:
        raise NOT_FOUND[table](object_id)


async def one(
    conn: AsyncConnection, table: sa.Table, account_id: int, object_id: int
) -> sa.Row[Any]:
    """One row of the account (NotFound otherwise)."""
    row = (
        await conn.execute(
            sa.select(table).where(table.c.id == object_id, *visible(table, account_id))
        )
    ).one_or_none()
    if row is None:
        raise NOT_FOUND[table](object_id)
    return row
