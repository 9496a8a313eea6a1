"""Agent capacity policies: exclusion rules, the agents they govern, per-inbox limits.

Whatever can free capacity runs the inboxes concerned: editing the rules, taking an agent
out of the policy, adding, raising or removing a limit.
"""

from __future__ import annotations

from dataclasses import replace

from autoassign.core.drafts import CapacityPatch
from autoassign.core.errors import AgentNotFound
from autoassign.core.policies import CapacityPolicy
from autoassign.core.views import AgentView, CapacityPolicyView, InboxLimitView
from autoassign.services import triggers
from autoassign.services.context import Changed, Deps

Trigger = triggers.Trigger


async def list_policies(deps: Deps, account_id: int) -> list[CapacityPolicyView]:
    async with deps.uow.read() as uow:
        return await uow.queries.capacity_policies(account_id)


async def get_policy(deps: Deps, account_id: int, policy_id: int) -> CapacityPolicyView:
    async with deps.uow.read() as uow:
        return await uow.queries.capacity_policy(account_id, policy_id)


async def create_policy(deps: Deps, draft: CapacityPolicy) -> CapacityPolicyView:
    async with deps.uow.write() as uow:
        policy_id = await uow.capacity.add(replace(draft, id=0), deps.clock.now())
        return await uow.queries.capacity_policy(draft.account_id, policy_id)


async def update_policy(
    deps: Deps, account_id: int, policy_id: int, patch: CapacityPatch
) -> Changed[CapacityPolicyView]:
    async with deps.uow.write() as uow:
        await uow.capacity.update(account_id, policy_id, patch)
        view = await uow.queries.capacity_policy(account_id, policy_id)
        run = await triggers.inboxes_to_run(
            uow, deps.clock.now(), {Trigger.CAPACITY_RULES_CHANGED}, capacity_policy_id=policy_id
        )
    return Changed(view, run)


async def delete_policy(deps: Deps, account_id: int, policy_id: int) -> None:
    """Removes its inbox limits; its agents are left without a capacity policy."""
    async with deps.uow.write() as uow:
        await uow.capacity.delete(account_id, policy_id)


async def list_users(deps: Deps, account_id: int, policy_id: int) -> list[AgentView]:
    async with deps.uow.read() as uow:
        return await uow.queries.agents(account_id, capacity_policy_id=policy_id)


async def add_user(deps: Deps, account_id: int, policy_id: int, agent_id: int) -> AgentView:
    """An agent has at most one capacity policy: this replaces any earlier one."""
    async with deps.uow.write() as uow:
        await uow.capacity.require(account_id, [policy_id])
        await uow.agents.set_capacity_policy(account_id, agent_id, policy_id)
        return await uow.queries.agent(account_id, agent_id)


async def remove_user(deps: Deps, account_id: int, policy_id: int, agent_id: int) -> Changed[None]:
    async with deps.uow.write() as uow:
        await uow.capacity.require(account_id, [policy_id])
        agent = await uow.queries.agent(account_id, agent_id)
        if agent.capacity_policy_id != policy_id:
            raise AgentNotFound(agent_id)
        await uow.agents.set_capacity_policy(account_id, agent_id, None)
        run = await triggers.inboxes_to_run(
            uow, deps.clock.now(), {Trigger.CAPACITY_USER_REMOVED}, agent_id=agent_id
        )
    return Changed(None, run)


async def add_limit(
    deps: Deps, account_id: int, policy_id: int, inbox_id: int, conversation_limit: int
) -> Changed[InboxLimitView]:
    """One limit per inbox and policy (Conflict for a second one)."""
    async with deps.uow.write() as uow:
        await uow.capacity.require(account_id, [policy_id])
        await uow.inboxes.require(account_id, [inbox_id])
        limit_id = await uow.capacity.add_limit(policy_id, inbox_id, conversation_limit)
        view = await uow.queries.inbox_limit(account_id, policy_id, limit_id)
        run = await triggers.inboxes_to_run(
            uow, deps.clock.now(), {Trigger.LIMIT_ADDED}, inbox_id=inbox_id
        )
    return Changed(view, run)


async def update_limit(
    deps: Deps, account_id: int, policy_id: int, limit_id: int, conversation_limit: int
) -> Changed[InboxLimitView]:
    async with deps.uow.write() as uow:
        before = await uow.queries.inbox_limit(account_id, policy_id, limit_id)
        await uow.capacity.set_limit(limit_id, conversation_limit)
        after = replace(before, conversation_limit=conversation_limit)
        fired = triggers.limit_changed(before.conversation_limit, conversation_limit)
        run = await triggers.inboxes_to_run(uow, deps.clock.now(), fired, inbox_id=after.inbox_id)
    return Changed(after, run)


async def delete_limit(deps: Deps, account_id: int, policy_id: int, limit_id: int) -> Changed[None]:
    async with deps.uow.write() as uow:
        limit = await uow.queries.inbox_limit(account_id, policy_id, limit_id)
        await uow.capacity.delete_limit(limit_id)
        run = await triggers.inboxes_to_run(
            uow, deps.clock.now(), {Trigger.LIMIT_REMOVED}, inbox_id=limit.inbox_id
        )
    return Changed(None, run)
