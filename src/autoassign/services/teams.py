"""Teams and their members; a team's conversations go only to its members."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from autoassign.core.drafts import Membership, TeamPatch
from autoassign.core.model import Team
from autoassign.core.views import AgentView, TeamView
from autoassign.services import triggers
from autoassign.services.context import Changed, Deps


async def list_teams(deps: Deps, account_id: int) -> list[TeamView]:
    async with deps.uow.read() as uow:
        return await uow.queries.teams(account_id)


async def get_team(deps: Deps, account_id: int, team_id: int) -> TeamView:
    async with deps.uow.read() as uow:
        return await uow.queries.team(account_id, team_id)


async def create_team(deps: Deps, draft: Team) -> TeamView:
    async with deps.uow.write() as uow:
        team_id = await uow.teams.add(replace(draft, id=0), deps.clock.now())
        return await uow.queries.team(draft.account_id, team_id)


async def update_team(deps: Deps, account_id: int, team_id: int, patch: TeamPatch) -> TeamView:
    async with deps.uow.write() as uow:
        await uow.teams.update(account_id, team_id, patch)
        return await uow.queries.team(account_id, team_id)


async def delete_team(deps: Deps, account_id: int, team_id: int) -> None:
    """Its conversations keep going, without a team."""
    async with deps.uow.write() as uow:
        await uow.teams.delete(account_id, team_id)


async def list_members(deps: Deps, account_id: int, team_id: int) -> list[AgentView]:
    async with deps.uow.read() as uow:
        return await uow.queries.team_members(account_id, team_id)


async def change_members(
    deps: Deps, account_id: int, team_id: int, agent_ids: Sequence[int], change: Membership
) -> Changed[list[AgentView]]:
    """An agent taken out of the team may lose its conversations to reassignment after
    the grace period (core/reassignment.py): their inboxes run to start the timer."""
    now = deps.clock.now()
    async with deps.uow.write() as uow:
        changed = await uow.teams.change_members(account_id, team_id, agent_ids, change, now)
        members = await uow.queries.team_members(account_id, team_id)
        fired = {triggers.Trigger.LEFT_TEAM} if changed.removed else set()
        run = await triggers.inboxes_to_run(uow, now, fired, agent_ids=changed.removed)
    return Changed(members, run)
