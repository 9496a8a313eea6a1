"""Teams and their members; a team's conversations go only to its members."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned
from autoassign.adapters.sql.repositories._members import change_members
from autoassign.adapters.sql.tables import accounts, agents, team_members, teams
from autoassign.core.drafts import MembersChanged, Membership, TeamPatch
from autoassign.core.model import Team


class SqlTeams:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, team: Team, now: datetime) -> int:
        await owned.require(self._conn, accounts, [team.account_id], team.account_id)
        await owned.require(self._conn, agents, team.member_ids, team.account_id)
        team_id = await owned.insert(
            self._conn,
            teams,
            {
                "account_id": team.account_id,
                "name": team.name,
                "allow_auto_assign": team.allow_auto_assign,
                "created_at": now,
            },
        )
        await change_members(
            self._conn,
            team_members,
            "team_id",
            team_id,
            sorted(team.member_ids),
            Membership.ADD,
            now,
        )
        return team_id

    async def update(self, account_id: int, team_id: int, patch: TeamPatch) -> None:
        await owned.update(self._conn, teams, account_id, team_id, patch)

    async def delete(self, account_id: int, team_id: int) -> None:
        await owned.delete(self._conn, teams, account_id, team_id)

    async def require(self, account_id: int, team_ids: Iterable[int]) -> None:
        await owned.require(self._conn, teams, team_ids, account_id)

    async def change_members(
        self,
        account_id: int,
        team_id: int,
        agent_ids: Sequence[int],
        change: Membership,
        now: datetime,
    ) -> MembersChanged:
        await self.require(account_id, [team_id])
        await owned.require(self._conn, agents, agent_ids, account_id)
        return await change_members(
            self._conn, team_members, "team_id", team_id, agent_ids, change, now
        )

    async def has_member(self, team_id: int, agent_id: int) -> bool:
        found = await self._conn.execute(
            sa.select(team_members.c.agent_id).where(
                team_members.c.team_id == team_id, team_members.c.agent_id == agent_id
            )
        )
        return found.first() is not None
