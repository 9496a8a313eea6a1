"""Teams and their members; a team's conversations go only to its members."""

from __future__ import annotations

from fastapi import Response

from autoassign.adapters.sql.directory import Change, Directory
from autoassign.adapters.sql.tables import teams
from autoassign.bootstrap import Engine
from autoassign.core import errors
from autoassign.core.model import Team
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router
from autoassign.entrypoints.api.schemas.directory import (
    AgentPublic,
    TeamCreate,
    TeamMembersChange,
    TeamPublic,
    TeamUpdate,
)

router = account_router("teams")


@router.get("/teams", response_model=list[TeamPublic])
async def list_teams(account_id: AccountDep, engine: EngineDep) -> list[TeamPublic]:
    return [TeamPublic.model_validate(r) for r in await engine.records.all(teams, account_id)]


@router.post("/teams", response_model=TeamPublic)
async def create_team(account_id: AccountDep, body: TeamCreate, engine: EngineDep) -> TeamPublic:
    team = await engine.catalog.add_team(
        Team(0, account_id, body.name, body.allow_auto_assign), engine.clock.now()
    )
    return await get_team(account_id, team.id, engine)


@router.get("/teams/{team_id}", response_model=TeamPublic)
async def get_team(account_id: AccountDep, team_id: IdPath, engine: EngineDep) -> TeamPublic:
    row = await engine.records.get(teams, account_id, team_id, errors.TeamNotFound)
    return TeamPublic.model_validate(row)


@router.patch("/teams/{team_id}", response_model=TeamPublic)
async def update_team(
    account_id: AccountDep, team_id: IdPath, body: TeamUpdate, engine: EngineDep
) -> TeamPublic:
    values = body.model_dump(exclude_unset=True)
    row = await engine.records.update(teams, account_id, team_id, values, errors.TeamNotFound)
    return TeamPublic.model_validate(row)


@router.delete("/teams/{team_id}", status_code=204, response_class=Response)
async def delete_team(account_id: AccountDep, team_id: IdPath, engine: EngineDep) -> Response:
    """Its conversations keep going, without a team."""
    await engine.records.delete(teams, account_id, team_id, errors.TeamNotFound)
    return Response(status_code=204)


@router.get("/teams/{team_id}/team_members", response_model=list[AgentPublic])
async def list_team_members(
    account_id: AccountDep, team_id: IdPath, engine: EngineDep
) -> list[AgentPublic]:
    rows = await Directory(engine.records).members(teams, account_id, team_id)
    return [AgentPublic.model_validate(r) for r in rows]


async def _change(
    engine: Engine, account_id: int, team_id: int, body: TeamMembersChange, change: Change
) -> list[AgentPublic]:
    directory = Directory(engine.records)
    await directory.change_members(teams, account_id, team_id, body.user_ids, change)
    return [
        AgentPublic.model_validate(r) for r in await directory.members(teams, account_id, team_id)
    ]


@router.post("/teams/{team_id}/team_members", response_model=list[AgentPublic])
async def add_team_members(
    account_id: AccountDep, team_id: IdPath, body: TeamMembersChange, engine: EngineDep
) -> list[AgentPublic]:
    return await _change(engine, account_id, team_id, body, "add")


@router.patch("/teams/{team_id}/team_members", response_model=list[AgentPublic])
async def replace_team_members(
    account_id: AccountDep, team_id: IdPath, body: TeamMembersChange, engine: EngineDep
) -> list[AgentPublic]:
    return await _change(engine, account_id, team_id, body, "replace")


@router.delete("/teams/{team_id}/team_members", response_model=list[AgentPublic])
async def remove_team_members(
    account_id: AccountDep, team_id: IdPath, body: TeamMembersChange, engine: EngineDep
) -> list[AgentPublic]:
    return await _change(engine, account_id, team_id, body, "remove")
