"""Agents of an inbox or a team: the one membership write both aggregates share."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.core.drafts import Membership


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
) -> set[int]:
    """Add, replace or remove agents; returns the agents added."""
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
    return added
