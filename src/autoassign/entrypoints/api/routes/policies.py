"""Assignment policies and the inboxes they serve."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from fastapi import BackgroundTasks, Response

from autoassign.adapters.sql.directory import Directory
from autoassign.adapters.sql.tables import assignment_policies, inbox_assignment_policies, inboxes
from autoassign.bootstrap import Engine
from autoassign.core import errors
from autoassign.core.policies import AssignmentPolicy
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router, trigger
from autoassign.entrypoints.api.schemas.directory import InboxPublic
from autoassign.entrypoints.api.schemas.policies import PolicyCreate, PolicyPublic, PolicyUpdate

router = account_router("assignment policies")


async def policy_public(engine: Engine, account_id: int, policy_id: int) -> PolicyPublic:
    [row] = await Directory(engine.records).policies(account_id, policy_id)
    return PolicyPublic.model_validate(row)


@router.get("/assignment_policies", response_model=list[PolicyPublic])
async def list_policies(account_id: AccountDep, engine: EngineDep) -> list[PolicyPublic]:
    found = await Directory(engine.records).policies(account_id)
    return [PolicyPublic.model_validate(r) for r in found]


@router.post("/assignment_policies", response_model=PolicyPublic)
async def create_policy(
    account_id: AccountDep, body: PolicyCreate, engine: EngineDep
) -> PolicyPublic:
    """Name must be unique in the account (409 otherwise)."""
    policy = AssignmentPolicy(id=0, account_id=account_id, **body.model_dump())
    saved = await engine.catalog.add_policy(policy, engine.clock.now())
    return await policy_public(engine, account_id, saved.id)


@router.get("/assignment_policies/{policy_id}", response_model=PolicyPublic)
async def get_policy(account_id: AccountDep, policy_id: IdPath, engine: EngineDep) -> PolicyPublic:
    return await policy_public(engine, account_id, policy_id)


@router.patch("/assignment_policies/{policy_id}", response_model=PolicyPublic)
async def update_policy(
    account_id: AccountDep,
    policy_id: IdPath,
    body: PolicyUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> PolicyPublic:
    """Partial update; ``exclude_older_than_hours: null`` removes the age limit."""
    changes = body.model_dump(exclude_unset=True)
    current = await engine.catalog.get_policy(account_id, policy_id)
    updated = replace(current, **changes)  # validated again by AssignmentPolicy
    await engine.catalog.save_policy(updated, engine.clock.now())
    trigger(tasks, engine, await Directory(engine.records).policy_inbox_ids(policy_id))
    return await policy_public(engine, account_id, policy_id)


@router.put("/assignment_policies/{policy_id}", response_model=PolicyPublic)
async def put_policy(
    account_id: AccountDep,
    policy_id: IdPath,
    body: PolicyUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> PolicyPublic:
    """Same as PATCH (Chatwoot accepts both)."""
    return await update_policy(account_id, policy_id, body, engine, tasks)


@router.delete("/assignment_policies/{policy_id}", status_code=204, response_class=Response)
async def delete_policy(account_id: AccountDep, policy_id: IdPath, engine: EngineDep) -> Response:
    """Also unlinks it from its inboxes."""
    await engine.records.delete(assignment_policies, account_id, policy_id, errors.PolicyNotFound)
    return Response(status_code=204)


@router.get("/assignment_policies/{policy_id}/inboxes", response_model=dict[str, list[InboxPublic]])
async def list_policy_inboxes(
    account_id: AccountDep, policy_id: IdPath, engine: EngineDep
) -> dict[str, list[InboxPublic]]:
    await engine.catalog.get_policy(account_id, policy_id)
    found = await engine.records.all(
        inboxes,
        account_id,
        inboxes.c.id.in_(
            sa.select(inbox_assignment_policies.c.inbox_id).where(
                inbox_assignment_policies.c.assignment_policy_id == policy_id
            )
        ),
    )
    return {"inboxes": [InboxPublic.model_validate(r) for r in found]}


__all__ = ["policy_public", "router"]
