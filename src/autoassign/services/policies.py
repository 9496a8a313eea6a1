"""Assignment policies: how an inbox's conversations are distributed.

Editing a policy runs every inbox it is linked to, since a higher limit or a different
order can let waiting conversations through at once.
"""

from __future__ import annotations

from dataclasses import replace

from autoassign.core.drafts import PolicyPatch
from autoassign.core.policies import AssignmentPolicy
from autoassign.core.views import InboxView, PolicyView
from autoassign.services import triggers
from autoassign.services.context import Changed, Deps


async def list_policies(deps: Deps, account_id: int) -> list[PolicyView]:
    async with deps.uow.read() as uow:
        return await uow.queries.policies(account_id)


async def get_policy(deps: Deps, account_id: int, policy_id: int) -> PolicyView:
    async with deps.uow.read() as uow:
        return await uow.queries.policy(account_id, policy_id)


async def create_policy(deps: Deps, draft: AssignmentPolicy) -> PolicyView:
    """The name must be unique in the account (Conflict otherwise)."""
    async with deps.uow.write() as uow:
        if draft.overflow_team_id is not None:
            await uow.teams.require(draft.account_id, [draft.overflow_team_id])
        policy_id = await uow.policies.add(replace(draft, id=0), deps.clock.now())
        return await uow.queries.policy(draft.account_id, policy_id)


async def update_policy(
    deps: Deps, account_id: int, policy_id: int, patch: PolicyPatch
) -> Changed[PolicyView]:
    """A partial update, validated as a whole policy."""
    async with deps.uow.write() as uow:
        current = await uow.policies.get(account_id, policy_id)
        if (team_id := patch.get("overflow_team_id")) is not None:
            await uow.teams.require(account_id, [team_id])
        await uow.policies.save(replace(current, **patch), deps.clock.now())
        view = await uow.queries.policy(account_id, policy_id)
        run = await triggers.inboxes_to_run(
            uow, deps.clock.now(), {triggers.Trigger.POLICY_CHANGED}, policy_id=policy_id
        )
    return Changed(view, run)


async def delete_policy(deps: Deps, account_id: int, policy_id: int) -> None:
    """Also unlinks it from its inboxes."""
    async with deps.uow.write() as uow:
        await uow.policies.delete(account_id, policy_id)


async def list_policy_inboxes(deps: Deps, account_id: int, policy_id: int) -> list[InboxView]:
    async with deps.uow.read() as uow:
        return await uow.queries.inboxes(account_id, policy_id=policy_id)
