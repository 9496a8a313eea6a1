"""Assignment policies and the inboxes they serve (linked from either side, as in
Chatwoot)."""

from __future__ import annotations

from typing import cast

from fastapi import BackgroundTasks, Response

from autoassign.core.drafts import PolicyPatch
from autoassign.core.policies import AssignmentPolicy
from autoassign.core.skills import Relaxation
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router, queue_runs
from autoassign.entrypoints.api.schemas.directory import InboxPublic
from autoassign.entrypoints.api.schemas.policies import (
    PolicyCreate,
    PolicyInboxLink,
    PolicyInboxLinkPublic,
    PolicyPublic,
    PolicyUpdate,
)
from autoassign.services import chatwoot_compat, policies

router = account_router("assignment policies")


def ladder(steps: list[dict[str, int]]) -> tuple[Relaxation, ...]:
    return tuple(Relaxation(s["after_seconds"], s["lower_by"]) for s in steps)


@router.get("/assignment_policies", response_model=list[PolicyPublic])
async def list_policies(account_id: AccountDep, engine: EngineDep) -> list[PolicyPublic]:
    found = await policies.list_policies(engine.deps, account_id)
    return [PolicyPublic.model_validate(p) for p in found]


@router.post("/assignment_policies", response_model=PolicyPublic)
async def create_policy(
    account_id: AccountDep, body: PolicyCreate, engine: EngineDep
) -> PolicyPublic:
    """Name must be unique in the account (409 otherwise)."""
    values = body.model_dump()
    values["skill_relaxation"] = ladder(values["skill_relaxation"])
    draft = AssignmentPolicy(id=0, account_id=account_id, **values)
    return PolicyPublic.model_validate(await policies.create_policy(engine.deps, draft))


@router.get("/assignment_policies/{policy_id}", response_model=PolicyPublic)
async def get_policy(account_id: AccountDep, policy_id: IdPath, engine: EngineDep) -> PolicyPublic:
    return PolicyPublic.model_validate(
        await policies.get_policy(engine.deps, account_id, policy_id)
    )


@router.patch("/assignment_policies/{policy_id}", response_model=PolicyPublic)
async def update_policy(
    account_id: AccountDep,
    policy_id: IdPath,
    body: PolicyUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> PolicyPublic:
    """Partial update; ``exclude_older_than_hours: null`` removes the age limit."""
    patch = cast(PolicyPatch, body.model_dump(exclude_unset=True))
    if "skill_relaxation" in patch:
        patch["skill_relaxation"] = ladder(body.model_dump()["skill_relaxation"] or [])
    changed = await policies.update_policy(engine.deps, account_id, policy_id, patch)
    return PolicyPublic.model_validate(queue_runs(tasks, engine, changed))


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
    await policies.delete_policy(engine.deps, account_id, policy_id)
    return Response(status_code=204)


@router.get("/assignment_policies/{policy_id}/inboxes", response_model=dict[str, list[InboxPublic]])
async def list_policy_inboxes(
    account_id: AccountDep, policy_id: IdPath, engine: EngineDep
) -> dict[str, list[InboxPublic]]:
    found = await policies.list_policy_inboxes(engine.deps, account_id, policy_id)
    return {"inboxes": [InboxPublic.model_validate(i) for i in found]}


@router.post("/assignment_policies/{policy_id}/inboxes", response_model=PolicyInboxLinkPublic)
async def link_policy_inbox(
    account_id: AccountDep,
    policy_id: IdPath,
    body: PolicyInboxLink,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> PolicyInboxLinkPublic:
    """Links the inbox to this policy, replacing its earlier one (one policy per inbox)."""
    changed = await chatwoot_compat.link_policy_inbox(
        engine.deps, account_id, policy_id, body.inbox_id
    )
    return PolicyInboxLinkPublic.model_validate(queue_runs(tasks, engine, changed))


@router.delete(
    "/assignment_policies/{policy_id}/inboxes/{inbox_id}",
    status_code=204,
    response_class=Response,
)
async def unlink_policy_inbox(
    account_id: AccountDep, policy_id: IdPath, inbox_id: IdPath, engine: EngineDep
) -> Response:
    """404 unless the inbox is linked to this policy."""
    await chatwoot_compat.unlink_policy_inbox(engine.deps, account_id, policy_id, inbox_id)
    return Response(status_code=204)
