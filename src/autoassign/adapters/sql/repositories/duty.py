"""Agents' working hours and time off (core/schedules.py): one write path for both
tables, which also keeps ``agents.has_duty`` (whether a batch must read them) and the
agent's time zone."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned
from autoassign.adapters.sql.members import inbox_hours as inbox_hours_of
from autoassign.adapters.sql.members import load_duties
from autoassign.adapters.sql.tables import (
    agent_shifts,
    agent_time_off,
    agents,
    inbox_hours,
    inboxes,
)
from autoassign.core import errors
from autoassign.core.schedules import Duty, Leave, Shift
from autoassign.core.skills import level
from autoassign.core.views import DutyView, TimeOffView


class SqlDuty:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, account_id: int, agent_id: int) -> DutyView:
        row = await owned.one(self._conn, agents, account_id, agent_id)
        duty = (await load_duties(self._conn, {agent_id: row.time_zone}))[agent_id]
        found = await self._conn.execute(
            sa.select(agent_time_off)
            .where(agent_time_off.c.agent_id == agent_id)
            .order_by(agent_time_off.c.starts_at, agent_time_off.c.id)
        )
        time_off = tuple(
            TimeOffView(r.id, agent_id, r.starts_at, r.ends_at, r.reason) for r in found
        )
        return DutyView(agent_id, duty.time_zone, duty.shifts, time_off)

    async def set_shifts(
        self, account_id: int, agent_id: int, time_zone: str, shifts: tuple[Shift, ...]
    ) -> None:
        await owned.require(self._conn, agents, [agent_id], account_id)
        await self._replace(agent_shifts, "agent_id", agent_id, time_zone, shifts)
        await self._conn.execute(
            sa.update(agents).where(agents.c.id == agent_id).values(time_zone=time_zone)
        )
        await self._keep_flag(agent_id)

    async def _replace(
        self,
        table: sa.Table,
        owner: str,
        owner_id: int,
        time_zone: str,
        shifts: tuple[Shift, ...],
    ) -> None:
        """The one write of weekly shifts (an agent's working hours, an inbox's hours)."""
        Duty(time_zone, shifts)  # validates the zone
        await self._conn.execute(sa.delete(table).where(table.c[owner] == owner_id))
        if shifts:
            rows = [
                {owner: owner_id, "day": s.day, "start_minute": s.start, "end_minute": s.end}
                for s in shifts
            ]
            await self._conn.execute(sa.insert(table), rows)

    async def get_inbox_hours(
        self, account_id: int, inbox_id: int
    ) -> tuple[str, tuple[Shift, ...]]:
        row = await owned.one(self._conn, inboxes, account_id, inbox_id)
        hours = await inbox_hours_of(self._conn, inbox_id, row.time_zone)
        return hours.time_zone, hours.shifts

    async def set_inbox_hours(
        self, account_id: int, inbox_id: int, time_zone: str, shifts: tuple[Shift, ...]
    ) -> None:
        await owned.require(self._conn, inboxes, [inbox_id], account_id)
        await self._replace(inbox_hours, "inbox_id", inbox_id, time_zone, shifts)
        await self._conn.execute(
            sa.update(inboxes)
            .where(inboxes.c.id == inbox_id)
            .values(time_zone=time_zone, has_hours=bool(shifts))
        )

    async def skills(self, account_id: int, agent_id: int) -> dict[str, int]:
        row = await owned.one(self._conn, agents, account_id, agent_id)
        return dict(row.skills or {})

    async def set_skills(self, account_id: int, agent_id: int, skills: dict[str, int]) -> None:
        for name, value in skills.items():
            level(value, name)
        await owned.update(self._conn, agents, account_id, agent_id, {"skills": skills or None})

    async def skill_labels(self, account_id: int, inbox_id: int) -> dict[str, dict[str, int]]:
        row = await owned.one(self._conn, inboxes, account_id, inbox_id)
        return dict(row.skill_labels or {})

    async def set_skill_labels(
        self, account_id: int, inbox_id: int, labels: dict[str, dict[str, int]]
    ) -> None:
        for needs in labels.values():
            for name, value in needs.items():
                level(value, name)
        values = {"skill_labels": labels or None}
        await owned.update(self._conn, inboxes, account_id, inbox_id, values)

    async def add_time_off(self, account_id: int, agent_id: int, leave: Leave) -> int:
        await owned.require(self._conn, agents, [agent_id], account_id)
        inserted = await self._conn.execute(
            sa.insert(agent_time_off)
            .values(
                agent_id=agent_id,
                starts_at=leave.starts_at,
                ends_at=leave.ends_at,
                reason=leave.reason,
            )
            .returning(agent_time_off.c.id)
        )
        await self._keep_flag(agent_id)
        return int(inserted.scalar_one())

    async def delete_time_off(self, account_id: int, agent_id: int, time_off_id: int) -> None:
        await owned.require(self._conn, agents, [agent_id], account_id)
        t = agent_time_off.c
        gone = await self._conn.execute(
            sa.delete(agent_time_off).where(t.id == time_off_id, t.agent_id == agent_id)
        )
        if not gone.rowcount:
            raise errors.TimeOffNotFound(time_off_id)
        await self._keep_flag(agent_id)

    async def _keep_flag(self, agent_id: int) -> None:
        has = sa.or_(
            sa.exists().where(agent_shifts.c.agent_id == agent_id),
            sa.exists().where(agent_time_off.c.agent_id == agent_id),
        )
        await self._conn.execute(
            sa.update(agents).where(agents.c.id == agent_id).values(has_duty=has)
        )
