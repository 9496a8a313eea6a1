"""Agents of an account, their availability, and heartbeats."""

from __future__ import annotations

from typing import cast

from fastapi import BackgroundTasks, Response

from autoassign.core.drafts import AgentPatch
from autoassign.core.model import Agent
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router, queue_runs
from autoassign.entrypoints.api.schemas.directory import AgentCreate, AgentPublic, AgentUpdate
from autoassign.services import agents

router = account_router("agents")


@router.get("/agents", response_model=list[AgentPublic])
async def list_agents(account_id: AccountDep, engine: EngineDep) -> list[AgentPublic]:
    return [
        AgentPublic.model_validate(a) for a in await agents.list_agents(engine.deps, account_id)
    ]


@router.post("/agents", response_model=AgentPublic)
async def create_agent(account_id: AccountDep, body: AgentCreate, engine: EngineDep) -> AgentPublic:
    draft = Agent(0, account_id, body.name, body.availability, body.auto_offline, email=body.email)
    return AgentPublic.model_validate(await agents.create_agent(engine.deps, draft))


@router.get("/agents/{agent_id}", response_model=AgentPublic)
async def get_agent(account_id: AccountDep, agent_id: IdPath, engine: EngineDep) -> AgentPublic:
    return AgentPublic.model_validate(await agents.get_agent(engine.deps, account_id, agent_id))


@router.patch("/agents/{agent_id}", response_model=AgentPublic)
async def update_agent(
    account_id: AccountDep,
    agent_id: IdPath,
    body: AgentUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> AgentPublic:
    """Coming online runs the agent's inboxes, so waiting conversations reach them."""
    patch = cast(AgentPatch, body.model_dump(exclude_unset=True))
    changed = await agents.update_agent(engine.deps, account_id, agent_id, patch)
    return AgentPublic.model_validate(queue_runs(tasks, engine, changed))


@router.delete("/agents/{agent_id}", status_code=204, response_class=Response)
async def delete_agent(
    account_id: AccountDep, agent_id: IdPath, engine: EngineDep, tasks: BackgroundTasks
) -> Response:
    """Its open conversations are unassigned and offered to the others; its assignment
    history stays."""
    queue_runs(tasks, engine, await agents.delete_agent(engine.deps, account_id, agent_id))
    return Response(status_code=204)


@router.post("/agents/{agent_id}/heartbeat", status_code=204, response_class=Response)
async def heartbeat(
    account_id: AccountDep, agent_id: IdPath, engine: EngineDep, tasks: BackgroundTasks
) -> Response:
    """Keeps an auto_offline agent online for AUTOASSIGN_PRESENCE_TTL seconds; the first
    heartbeat after a gap runs the agent's inboxes."""
    queue_runs(tasks, engine, await agents.heartbeat(engine.deps, account_id, agent_id))
    return Response(status_code=204)
