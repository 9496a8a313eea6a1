"""An inbox's members as a batch sees them: presence, opt-out, loads and limits.

The total limit (a capacity policy's limit across all the account's inboxes) is the one
limit that spans inboxes, so the inbox lock does not cover it: two batches of two inboxes
could each see an agent one below the total and both assign. The agents it binds are
locked (``FOR NO KEY UPDATE``, in id order) and their totals counted after the lock, so
the batch that waited sees the other's commit. Agents without a total limit are never
locked: other batches are not serialised by them.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql.tables import (
    agent_shifts,
    agent_time_off,
    agents,
    capacity_policies,
    conversations,
    inbox_capacity_limits,
    inbox_members,
)
from autoassign.adapters.sql.tables import (
    inbox_hours as inbox_hours_table,
)
from autoassign.core.eligibility import AgentState
from autoassign.core.model import Presence, Status
from autoassign.core.ports import Member
from autoassign.core.schedules import Duty, Leave, Shift


async def members(conn: AsyncConnection, inbox_id: int, *, lock: bool) -> list[Member]:
    """``lock``: take the total-limit locks (a batch); a dry run does not."""
    a, c = agents.c, conversations.c
    load = (
        sa.select(sa.func.count())
        .where(c.inbox_id == inbox_id, c.assignee_id == a.id, c.status == Status.OPEN.value)
        .scalar_subquery()
    )
    query = (
        sa.select(
            a.id,
            a.account_id,
            a.availability,
            a.auto_offline,
            a.time_zone,
            a.has_duty,
            a.skills,
            inbox_members.c.auto_assign,
            inbox_members.c.weight,
            inbox_capacity_limits.c.conversation_limit,
            capacity_policies.c.total_limit,
            load.label("open_load"),
        )
        .join(inbox_members, inbox_members.c.agent_id == a.id)
        .outerjoin(
            inbox_capacity_limits,
            sa.and_(
                inbox_capacity_limits.c.capacity_policy_id == a.capacity_policy_id,
                inbox_capacity_limits.c.inbox_id == inbox_id,
            ),
        )
        .outerjoin(capacity_policies, capacity_policies.c.id == a.capacity_policy_id)
        .where(inbox_members.c.inbox_id == inbox_id)
        .order_by(a.id)
    )
    found = (await conn.execute(query)).all()
    bound = [r.id for r in found if r.total_limit is not None and r.auto_assign]
    totals = await _totals(conn, bound, lock=lock) if bound else {}
    scheduled = {r.id: r.time_zone for r in found if r.has_duty}
    duties = await load_duties(conn, scheduled) if scheduled else {}
    return [
        Member(
            agent=AgentState(
                agent_id=r.id,
                presence=Presence(r.availability),
                open_load=r.open_load,
                capacity_limit=r.conversation_limit,
                opted_out=not r.auto_assign,
                total_load=totals.get(r.id, 0),
                total_limit=r.total_limit,
                duty=duties.get(r.id),
                weight=r.weight,
                skills=r.skills or {},
            ),
            account_id=r.account_id,
            auto_offline=bool(r.auto_offline),
        )
        for r in found
    ]


async def inbox_hours(conn: AsyncConnection, inbox_id: int, time_zone: str) -> Duty:
    """An inbox's business hours (the same rule as an agent's working hours)."""
    h = inbox_hours_table.c
    found = await conn.execute(sa.select(inbox_hours_table).where(h.inbox_id == inbox_id))
    shifts = tuple(Shift(r.day, r.start_minute, r.end_minute) for r in found)
    return Duty(time_zone, shifts)


async def load_duties(conn: AsyncConnection, zones: dict[int, str]) -> dict[int, Duty]:
    """Working hours and time off of these agents (agent id → time zone)."""
    s, t = agent_shifts.c, agent_time_off.c
    shifts: dict[int, list[Shift]] = defaultdict(list)
    for row in await conn.execute(sa.select(agent_shifts).where(s.agent_id.in_(list(zones)))):
        shifts[row.agent_id].append(Shift(row.day, row.start_minute, row.end_minute))
    leaves: dict[int, list[Leave]] = defaultdict(list)
    for row in await conn.execute(
        sa.select(agent_time_off).where(t.agent_id.in_(list(zones))).order_by(t.starts_at)
    ):
        leaves[row.agent_id].append(Leave(row.starts_at, row.ends_at, row.reason))
    return {
        agent_id: Duty(zone_name, tuple(shifts[agent_id]), tuple(leaves[agent_id]))
        for agent_id, zone_name in zones.items()
    }


async def _totals(conn: AsyncConnection, agent_ids: list[int], *, lock: bool) -> dict[int, int]:
    """Open conversations per agent in all inboxes, counted after the agents' locks."""
    if lock and conn.dialect.name == "postgresql":  # SQLite: the batch is the only writer
        await conn.execute(
            sa.select(agents.c.id)
            .where(agents.c.id.in_(agent_ids))
            .order_by(agents.c.id)
            .with_for_update(key_share=True)
        )
    c = conversations.c
    counted = await conn.execute(
        sa.select(c.assignee_id, sa.func.count())
        .where(c.assignee_id.in_(agent_ids), c.status == Status.OPEN.value)
        .group_by(c.assignee_id)
    )
    return {agent_id: count for agent_id, count in counted.all()}
