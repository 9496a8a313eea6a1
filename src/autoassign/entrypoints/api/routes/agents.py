"""Agents of an account, their availability, and heartbeats."""

from __future__ import annotations

from fastapi import BackgroundTasks, Response

from autoassign.adapters.sql.directory import Directory
from autoassign.adapters.sql.tables import agents
from autoassign.core import errors
from autoassign.core.model import Agent, Presence
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router, trigger
from autoassign.entrypoints.api.schemas.directory import AgentCreate, AgentPublic, AgentUpdate

router = account_router("agents")


@router.get("/agents", response_model=list[AgentPublic])
async def list_agents(account_id: AccountDep, engine: EngineDep) -> list[AgentPublic]:
    return [AgentPublic.model_validate(r) for r in await engine.records.all(agents, account_id)]


@router.post("/agents", response_model=AgentPublic)
async def create_agent(account_id: AccountDep, body: AgentCreate, engine: EngineDep) -> AgentPublic:
    agent = await engine.catalog.add_agent(
        Agent(0, account_id, body.name, body.availability, body.auto_offline), engine.clock.now()
    )
    if body.email is not None:
        await engine.records.update(
            agents, account_id, agent.id, {"email": body.email}, errors.AgentNotFound
        )
    return await get_agent(account_id, agent.id, engine)


@router.get("/agents/{agent_id}", response_model=AgentPublic)
async def get_agent(account_id: AccountDep, agent_id: IdPath, engine: EngineDep) -> AgentPublic:
    row = await engine.records.get(agents, account_id, agent_id, errors.AgentNotFound)
    return AgentPublic.model_validate(row)


@router.patch("/agents/{agent_id}", response_model=AgentPublic)
async def update_agent(
    account_id: AccountDep,
    agent_id: IdPath,
    body: AgentUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> AgentPublic:
    """Coming online runs the agent's inboxes, so waiting conversations reach them."""
    before = await engine.records.get(agents, account_id, agent_id, errors.AgentNotFound)
    values = body.model_dump(exclude_unset=True)
    row = await engine.records.update(agents, account_id, agent_id, values, errors.AgentNotFound)
    if row["availability"] == Presence.ONLINE and before["availability"] != Presence.ONLINE:
        trigger(tasks, engine, await Directory(engine.records).agent_inbox_ids(agent_id))
    return AgentPublic.model_validate(row)


@router.delete("/agents/{agent_id}", status_code=204, response_class=Response)
async def delete_agent(account_id: AccountDep, agent_id: IdPath, engine: EngineDep) -> Response:
    await engine.records.delete(agents, account_id, agent_id, errors.AgentNotFound)
    return Response(status_code=204)


@router.post("/agents/{agent_id}/heartbeat", status_code=204, response_class=Response)
async def heartbeat(
    account_id: AccountDep, agent_id: IdPath, engine: EngineDep, tasks: BackgroundTasks
) -> Response:
    """Keeps an auto_offline agent online for AUTOASSIGN_PRESENCE_TTL seconds; the first
    heartbeat after a gap runs the agent's inboxes."""
    if await engine.heartbeat(account_id, agent_id):
        trigger(tasks, engine, await Directory(engine.records).agent_inbox_ids(agent_id))
    return Response(status_code=204)
