"""Teams and their members; a team's conversations go only to its members."""

from __future__ import annotations

from typing import cast

from fastapi import BackgroundTasks, Response

from autoassign.core.drafts import Membership, TeamPatch
from autoassign.core.model import Team
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router, queue_runs
from autoassign.entrypoints.api.schemas.directory import (
    AgentPublic,
    TeamCreate,
    TeamMembersChange,
    TeamPublic,
    TeamUpdate,
)
from autoassign.services import teams

router = account_router("teams")


@router.get("/teams", response_model=list[TeamPublic])
async def list_teams(account_id: AccountDep, engine: EngineDep) -> list[TeamPublic]:
    return [TeamPublic.model_validate(t) for t in await teams.list_teams(engine.deps, account_id)]


@router.post("/teams", response_model=TeamPublic)
async def create_team(account_id: AccountDep, body: TeamCreate, engine: EngineDep) -> TeamPublic:
    draft = Team(0, account_id, body.name, body.allow_auto_assign)
    return TeamPublic.model_validate(await teams.create_team(engine.deps, draft))


@router.get("/teams/{team_id}", response_model=TeamPublic)
async def get_team(account_id: AccountDep, team_id: IdPath, engine: EngineDep) -> TeamPublic:
    return TeamPublic.model_validate(await teams.get_team(engine.deps, account_id, team_id))


@router.patch("/teams/{team_id}", response_model=TeamPublic)
async def update_team(
    account_id: AccountDep, team_id: IdPath, body: TeamUpdate, engine: EngineDep
) -> TeamPublic:
    patch = cast(TeamPatch, body.model_dump(exclude_unset=True))
    return TeamPublic.model_validate(
        await teams.update_team(engine.deps, account_id, team_id, patch)
    )


@router.delete("/teams/{team_id}", status_code=204, response_class=Response)
async def delete_team(account_id: AccountDep, team_id: IdPath, engine: EngineDep) -> Response:
    """Its conversations keep going, without a team."""
    await teams.delete_team(engine.deps, account_id, team_id)
    return Response(status_code=204)


@router.get("/teams/{team_id}/team_members", response_model=list[AgentPublic])
async def list_team_members(
    account_id: AccountDep, team_id: IdPath, engine: EngineDep
) -> list[AgentPublic]:
    found = await teams.list_members(engine.deps, account_id, team_id)
    return [AgentPublic.model_validate(a) for a in found]


async def _change(
    engine: EngineDep,
    tasks: BackgroundTasks,
    account_id: int,
    team_id: int,
    body: TeamMembersChange,
    change: Membership,
) -> list[AgentPublic]:
    changed = await teams.change_members(engine.deps, account_id, team_id, body.user_ids, change)
    return [AgentPublic.model_validate(a) for a in queue_runs(tasks, engine, changed)]


@router.post("/teams/{team_id}/team_members", response_model=list[AgentPublic])
async def add_team_members(
    account_id: AccountDep,
    team_id: IdPath,
    body: TeamMembersChange,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> list[AgentPublic]:
    return await _change(engine, tasks, account_id, team_id, body, Membership.ADD)


@router.patch("/teams/{team_id}/team_members", response_model=list[AgentPublic])
async def replace_team_members(
    account_id: AccountDep,
    team_id: IdPath,
    body: TeamMembersChange,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> list[AgentPublic]:
    return await _change(engine, tasks, account_id, team_id, body, Membership.REPLACE)


@router.delete("/teams/{team_id}/team_members", response_model=list[AgentPublic])
async def remove_team_members(
    account_id: AccountDep,
    team_id: IdPath,
    body: TeamMembersChange,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> list[AgentPublic]:
    return await _change(engine, tasks, account_id, team_id, body, Membership.REMOVE)
