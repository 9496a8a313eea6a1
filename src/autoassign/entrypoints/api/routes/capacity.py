"""Agent capacity policies: exclusion rules, the agents they govern, per-inbox limits."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import BackgroundTasks, Response

from autoassign.adapters.sql import records as sql
from autoassign.adapters.sql.directory import Directory, inbox_limit_view
from autoassign.adapters.sql.tables import agents, capacity_policies, inbox_capacity_limits, inboxes
from autoassign.bootstrap import Engine
from autoassign.core import errors
from autoassign.core.policies import CapacityPolicy, ExclusionRules
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router, trigger
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

router = account_router("agent capacity policies")
BASE = "/agent_capacity_policies"


async def capacity_public(engine: Engine, account_id: int, policy_id: int) -> CapacityPublic:
    [row] = await Directory(engine.records).capacity_policies(account_id, policy_id)
    return CapacityPublic.model_validate(row)


@router.get(BASE, response_model=list[CapacityPublic])
async def list_capacity_policies(account_id: AccountDep, engine: EngineDep) -> list[CapacityPublic]:
    found = await Directory(engine.records).capacity_policies(account_id)
    return [CapacityPublic.model_validate(r) for r in found]


@router.post(BASE, response_model=CapacityPublic)
async def create_capacity_policy(
    account_id: AccountDep, body: CapacityCreate, engine: EngineDep
) -> CapacityPublic:
    rules = body.exclusion_rules
    policy = CapacityPolicy(
        0,
        account_id,
        body.name,
        body.description,
        ExclusionRules(frozenset(rules.excluded_labels), rules.exclude_older_than_hours),
    )
    saved = await engine.catalog.add_capacity_policy(policy, engine.clock.now())
    return await capacity_public(engine, account_id, saved.id)


@router.get(BASE + "/{policy_id}", response_model=CapacityPublic)
async def get_capacity_policy(
    account_id: AccountDep, policy_id: IdPath, engine: EngineDep
) -> CapacityPublic:
    return await capacity_public(engine, account_id, policy_id)


@router.patch(BASE + "/{policy_id}", response_model=CapacityPublic)
async def update_capacity_policy(
    account_id: AccountDep,
    policy_id: IdPath,
    body: CapacityUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> CapacityPublic:
    changes = body.model_dump(exclude_unset=True)
    values: dict[str, object] = {}
    for field in ("name", "description"):
        if field in changes:
            values[field] = changes[field]
    rules = body.exclusion_rules
    if rules is not None:
        values["excluded_labels"] = sorted(set(rules.excluded_labels))
        values["exclude_older_than_hours"] = rules.exclude_older_than_hours
    await engine.records.update(
        capacity_policies, account_id, policy_id, values, errors.PolicyNotFound
    )
    public = await capacity_public(engine, account_id, policy_id)
    trigger(tasks, engine, {limit.inbox_id for limit in public.inbox_capacity_limits})
    return public


@router.delete(BASE + "/{policy_id}", status_code=204, response_class=Response)
async def delete_capacity_policy(
    account_id: AccountDep, policy_id: IdPath, engine: EngineDep
) -> Response:
    """Removes its inbox limits; its agents are left without a capacity policy."""
    await engine.records.delete(capacity_policies, account_id, policy_id, errors.PolicyNotFound)
    return Response(status_code=204)


# agents governed by the policy -----------------------------------------------------------


@router.get(BASE + "/{policy_id}/users", response_model=list[AgentPublic])
async def list_capacity_users(
    account_id: AccountDep, policy_id: IdPath, engine: EngineDep
) -> list[AgentPublic]:
    await engine.records.get(capacity_policies, account_id, policy_id, errors.PolicyNotFound)
    found = await engine.records.all(agents, account_id, agents.c.capacity_policy_id == policy_id)
    return [AgentPublic.model_validate(r) for r in found]


@router.post(BASE + "/{policy_id}/users", response_model=AgentPublic)
async def add_capacity_user(
    account_id: AccountDep, policy_id: IdPath, body: CapacityUser, engine: EngineDep
) -> AgentPublic:
    """An agent has at most one capacity policy: this replaces any earlier one."""
    await engine.catalog.set_agent_capacity_policy(account_id, body.user_id, policy_id)
    row = await engine.records.get(agents, account_id, body.user_id, errors.AgentNotFound)
    return AgentPublic.model_validate(row)


@router.delete(BASE + "/{policy_id}/users/{user_id}", status_code=204, response_class=Response)
async def remove_capacity_user(
    account_id: AccountDep,
    policy_id: IdPath,
    user_id: IdPath,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    await engine.records.get(capacity_policies, account_id, policy_id, errors.PolicyNotFound)
    agent = await engine.records.get(agents, account_id, user_id, errors.AgentNotFound)
    if agent["capacity_policy_id"] != policy_id:
        raise errors.AgentNotFound(user_id)
    await engine.catalog.set_agent_capacity_policy(account_id, user_id, None)
    trigger(tasks, engine, await Directory(engine.records).agent_inbox_ids(user_id))
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
    async with engine.records.write() as conn:
        await sql.require(conn, capacity_policies, [policy_id], account_id, errors.PolicyNotFound)
        await sql.require(conn, inboxes, [body.inbox_id], account_id, errors.InboxNotFound)
        row = await sql.insert(
            conn,
            inbox_capacity_limits,
            {
                "capacity_policy_id": policy_id,
                "inbox_id": body.inbox_id,
                "conversation_limit": body.conversation_limit,
            },
        )
    trigger(tasks, engine, {body.inbox_id})
    return InboxLimitPublic.model_validate(inbox_limit_view(row))


async def _update_limit(
    account_id: int, policy_id: int, limit_id: int, body: InboxLimitUpdate, engine: Engine
) -> tuple[InboxLimitPublic, bool]:
    directory = Directory(engine.records)
    before = await directory.inbox_limit(account_id, policy_id, limit_id)
    async with engine.records.write() as conn:
        await conn.execute(
            sa.update(inbox_capacity_limits)
            .where(inbox_capacity_limits.c.id == limit_id)
            .values(conversation_limit=body.conversation_limit)
        )
    after = await directory.inbox_limit(account_id, policy_id, limit_id)
    raised = after["conversation_limit"] > before["conversation_limit"]
    return InboxLimitPublic.model_validate(after), raised


@router.patch(BASE + "/{policy_id}/inbox_limits/{limit_id}", response_model=InboxLimitPublic)
async def update_inbox_limit(
    account_id: AccountDep,
    policy_id: IdPath,
    limit_id: IdPath,
    body: InboxLimitUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> InboxLimitPublic:
    """Raising a limit runs the inbox, so the freed capacity is used at once."""
    public, raised = await _update_limit(account_id, policy_id, limit_id, body, engine)
    if raised:
        trigger(tasks, engine, {public.inbox_id})
    return public


@router.put(BASE + "/{policy_id}/inbox_limits/{limit_id}", response_model=InboxLimitPublic)
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


@router.delete(
    BASE + "/{policy_id}/inbox_limits/{limit_id}", status_code=204, response_class=Response
)
async def delete_inbox_limit(
    account_id: AccountDep,
    policy_id: IdPath,
    limit_id: IdPath,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    limit = await Directory(engine.records).inbox_limit(account_id, policy_id, limit_id)
    async with engine.records.write() as conn:
        await conn.execute(
            sa.delete(inbox_capacity_limits).where(inbox_capacity_limits.c.id == limit_id)
        )
    trigger(tasks, engine, {limit["inbox_id"]})
    return Response(status_code=204)
