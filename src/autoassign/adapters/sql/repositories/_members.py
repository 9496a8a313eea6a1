"""Agents of an inbox or a team: the one membership write both aggregates share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql.tables import conversations
from autoassign.core.drafts import MembersChanged, Membership
from autoassign.core.model import Status


async def insert_ignoring_duplicates(
    conn: AsyncConnection, link: sa.Table, rows: list[dict[str, int]]
) -> None:
    """Two requests adding the same member at once both succeed (one inserts the row)."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    await conn.execute(dialect.insert(link).on_conflict_do_nothing(), rows)


async def change_members(
    conn: AsyncConnection,
    link: sa.Table,
    owner_column: str,
    owner_id: int,
    agent_ids: Sequence[int],
    change: Membership,
    now: datetime,
) -> MembersChanged:
    """Add, replace or remove agents. The open conversations of the owner (inbox or
    team: the link's owner column names the conversation's too) that an agent taken out
    holds are stamped with when they left, and cleared when they are added back: the
    reassignment grace period counts from it (core/reassignment.py)."""
    current = set(
        (
            await conn.execute(sa.select(link.c.agent_id).where(link.c[owner_column] == owner_id))
        ).scalars()
    )
    wanted = set(agent_ids)
    if change is Membership.ADD:
        added, removed = wanted - current, set[int]()
    elif change is Membership.REPLACE:
        added, removed = wanted - current, current - wanted
    else:
        added, removed = set(), wanted & current
    if removed:
        await conn.execute(
            sa.delete(link).where(link.c[owner_column] == owner_id, link.c.agent_id.in_(removed))
        )
    await insert_ignoring_duplicates(
        conn, link, [{owner_column: owner_id, "agent_id": a} for a in sorted(added)]
    )
    c = conversations.c
    for agents, stamp in ((removed, sa.func.coalesce(c.assignee_left_at, now)), (added, None)):
        if agents:
            await conn.execute(
                sa.update(conversations)
                .where(
                    c[owner_column] == owner_id,
                    c.assignee_id.in_(agents),
                    c.status == Status.OPEN.value,
                )
                .values(assignee_left_at=stamp)
            )
    return MembersChanged(frozenset(added), frozenset(removed))
