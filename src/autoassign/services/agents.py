"""Agents: who they are, their availability, and heartbeats that keep auto-offline
agents online. Coming online (or back) runs the agent's inboxes."""

from __future__ import annotations

from dataclasses import replace

from autoassign.core.drafts import AgentPatch
from autoassign.core.model import Agent, Presence
from autoassign.core.views import AgentView
from autoassign.services import triggers
from autoassign.services.context import Changed, Deps


async def list_agents(deps: Deps, account_id: int) -> list[AgentView]:
    async with deps.uow.read() as uow:
        return await uow.queries.agents(account_id)


async def get_agent(deps: Deps, account_id: int, agent_id: int) -> AgentView:
    async with deps.uow.read() as uow:
        return await uow.queries.agent(account_id, agent_id)


async def create_agent(deps: Deps, draft: Agent) -> AgentView:
    """New agents are not members of any inbox yet, so nothing runs."""
    async with deps.uow.write() as uow:
        agent_id = await uow.agents.add(replace(draft, id=0), deps.clock.now())
        return await uow.queries.agent(draft.account_id, agent_id)


async def update_agent(
    deps: Deps, account_id: int, agent_id: int, patch: AgentPatch
) -> Changed[AgentView]:
    now = deps.clock.now()
    async with deps.uow.write() as uow:
        before = await uow.queries.agent(account_id, agent_id)
        availability = patch.get("availability", before.availability)
        if availability is not before.availability:  # the reassignment grace counts from it
            online = availability is Presence.ONLINE
            patch = {**patch, "away_since": None if online else now}
        await uow.agents.update(account_id, agent_id, patch)
        after = await uow.queries.agent(account_id, agent_id)
        fired = triggers.agent_updated(before, after)
        run = await triggers.inboxes_to_run(uow, now, fired, agent_id=agent_id)
    return Changed(after, run)


async def delete_agent(deps: Deps, account_id: int, agent_id: int) -> Changed[None]:
    """The agent is marked deleted (its assignment history stays); its open conversations
    are unassigned and offered to the others."""
    async with deps.uow.write() as uow:
        freed = await uow.agents.delete(account_id, agent_id, deps.clock.now())
        fired = {triggers.Trigger.AGENT_DELETED} if freed else set()
        run = await triggers.inboxes_to_run(uow, deps.clock.now(), fired, freed_inbox_ids=freed)
    return Changed(None, run)


async def heartbeat(deps: Deps, account_id: int, agent_id: int) -> Changed[None]:
    """Keeps an auto-offline agent online for ``presence_ttl`` seconds; the first heartbeat
    after a gap runs the agent's inboxes."""
    now = deps.clock.now()
    async with deps.uow.read() as uow:
        await uow.agents.require(account_id, [agent_id])
        was_present = agent_id in await deps.state.present(account_id, [agent_id], now)
        await deps.state.heartbeat(account_id, agent_id, now, deps.presence_ttl)
        run = await triggers.inboxes_to_run(
            uow, deps.clock.now(), triggers.heartbeat(was_present), agent_id=agent_id
        )
    return Changed(None, run)
