"""Agent capacity policies: exclusion rules, the agents they govern, per-inbox limits."""

from __future__ import annotations

from fastapi import BackgroundTasks, Response

from autoassign.core.drafts import CapacityPatch
from autoassign.core.policies import CapacityPolicy, ExclusionRules
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router, queue_runs
from autoassign.entrypoints.api.schemas.directory import AgentPublic
from autoassign.entrypoints.api.schemas.policies import (
    CapacityCreate,
    CapacityPublic,
    CapacityUpdate,
    CapacityUser,
    InboxLimitCreate,
    InboxLimitPublic,
    InboxLimitUpdate,
)
from autoassign.services import capacity

router = account_router("agent capacity policies")
BASE = "/agent_capacity_policies"
LIMIT = BASE + "/{policy_id}/inbox_limits/{limit_id}"


@router.get(BASE, response_model=list[CapacityPublic])
async def list_capacity_policies(account_id: AccountDep, engine: EngineDep) -> list[CapacityPublic]:
    found = await capacity.list_policies(engine.deps, account_id)
    return [CapacityPublic.model_validate(p) for p in found]


@router.post(BASE, response_model=CapacityPublic)
async def create_capacity_policy(
    account_id: AccountDep, body: CapacityCreate, engine: EngineDep
) -> CapacityPublic:
    rules = body.exclusion_rules
    draft = CapacityPolicy(
        0,
        account_id,
        body.name,
        body.description,
        ExclusionRules(frozenset(rules.excluded_labels), rules.exclude_older_than_hours),
        total_limit=body.total_limit,
    )
    return CapacityPublic.model_validate(await capacity.create_policy(engine.deps, draft))


@router.get(BASE + "/{policy_id}", response_model=CapacityPublic)
async def get_capacity_policy(
    account_id: AccountDep, policy_id: IdPath, engine: EngineDep
) -> CapacityPublic:
    return CapacityPublic.model_validate(
        await capacity.get_policy(engine.deps, account_id, policy_id)
    )


@router.patch(BASE + "/{policy_id}", response_model=CapacityPublic)
async def update_capacity_policy(
    account_id: AccountDep,
    policy_id: IdPath,
    body: CapacityUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> CapacityPublic:
    patch = CapacityPatch()
    if body.name is not None:
        patch["name"] = body.name
    if body.description is not None:
        patch["description"] = body.description
    if body.exclusion_rules is not None:
        patch["excluded_labels"] = body.exclusion_rules.excluded_labels
        patch["exclude_older_than_hours"] = body.exclusion_rules.exclude_older_than_hours
    if "total_limit" in body.model_fields_set:
        patch["total_limit"] = body.total_limit
    changed = await capacity.update_policy(engine.deps, account_id, policy_id, patch)
    return CapacityPublic.model_validate(queue_runs(tasks, engine, changed))


@router.put(BASE + "/{policy_id}", response_model=CapacityPublic)
async def put_capacity_policy(
    account_id: AccountDep,
    policy_id: IdPath,
    body: CapacityUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> CapacityPublic:
    """Same as PATCH (Chatwoot routes both)."""
    return await update_capacity_policy(account_id, policy_id, body, engine, tasks)


@router.delete(BASE + "/{policy_id}", status_code=204, response_class=Response)
async def delete_capacity_policy(
    account_id: AccountDep, policy_id: IdPath, engine: EngineDep
) -> Response:
    """Removes its inbox limits; its agents are left without a capacity policy."""
    await capacity.delete_policy(engine.deps, account_id, policy_id)
    return Response(status_code=204)


# agents governed by the policy -----------------------------------------------------------


@router.get(BASE + "/{policy_id}/users", response_model=list[AgentPublic])
async def list_capacity_users(
    account_id: AccountDep, policy_id: IdPath, engine: EngineDep
) -> list[AgentPublic]:
    found = await capacity.list_users(engine.deps, account_id, policy_id)
    return [AgentPublic.model_validate(a) for a in found]


@router.post(BASE + "/{policy_id}/users", response_model=AgentPublic)
async def add_capacity_user(
    account_id: AccountDep, policy_id: IdPath, body: CapacityUser, engine: EngineDep
) -> AgentPublic:
    """An agent has at most one capacity policy: this replaces any earlier one."""
    return AgentPublic.model_validate(
        await capacity.add_user(engine.deps, account_id, policy_id, body.user_id)
    )


@router.delete(BASE + "/{policy_id}/users/{user_id}", status_code=204, response_class=Response)
async def remove_capacity_user(
    account_id: AccountDep,
    policy_id: IdPath,
    user_id: IdPath,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    changed = await capacity.remove_user(engine.deps, account_id, policy_id, user_id)
    queue_runs(tasks, engine, changed)
    return Response(status_code=204)


# per-inbox limits ------------------------------------------------------------------------


@router.post(BASE + "/{policy_id}/inbox_limits", response_model=InboxLimitPublic)
async def create_inbox_limit(
    account_id: AccountDep,
    policy_id: IdPath,
    body: InboxLimitCreate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> InboxLimitPublic:
    """One limit per inbox and policy (409 for a second one)."""
    changed = await capacity.add_limit(
        engine.deps, account_id, policy_id, body.inbox_id, body.conversation_limit
    )
    return InboxLimitPublic.model_validate(queue_runs(tasks, engine, changed))


@router.patch(LIMIT, response_model=InboxLimitPublic)
async def update_inbox_limit(
    account_id: AccountDep,
    policy_id: IdPath,
    limit_id: IdPath,
    body: InboxLimitUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> InboxLimitPublic:
    """Raising a limit runs the inbox, so the freed capacity is used at once."""
    changed = await capacity.update_limit(
        engine.deps, account_id, policy_id, limit_id, body.conversation_limit
    )
    return InboxLimitPublic.model_validate(queue_runs(tasks, engine, changed))


@router.put(LIMIT, response_model=InboxLimitPublic)
async def put_inbox_limit(
    account_id: AccountDep,
    policy_id: IdPath,
    limit_id: IdPath,
    body: InboxLimitUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> InboxLimitPublic:
    """Same as PATCH (Chatwoot uses PUT)."""
    return await update_inbox_limit(account_id, policy_id, limit_id, body, engine, tasks)


@router.delete(LIMIT, status_code=204, response_class=Response)
async def delete_inbox_limit(
    account_id: AccountDep,
    policy_id: IdPath,
    limit_id: IdPath,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    changed = await capacity.delete_limit(engine.deps, account_id, policy_id, limit_id)
    queue_runs(tasks, engine, changed)
    return Response(status_code=204)
