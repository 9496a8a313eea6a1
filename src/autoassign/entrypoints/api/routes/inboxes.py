"""Inboxes, their members, their assignment policy, and running their assignment now."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import sqlalchemy as sa
from fastapi import BackgroundTasks, Query, Response

from autoassign.adapters.sql.directory import Change, Directory
from autoassign.adapters.sql.tables import inbox_assignment_policies, inboxes
from autoassign.core import errors
from autoassign.core.model import Inbox
from autoassign.core.reasons import AgentReason
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router, trigger
from autoassign.entrypoints.api.routes.policies import policy_public
from autoassign.entrypoints.api.schemas.conversations import (
    AgentVerdict,
    BatchPublic,
    OutcomePublic,
)
from autoassign.entrypoints.api.schemas.directory import (
    AgentList,
    AgentPublic,
    InboxCreate,
    InboxList,
    InboxMembersChange,
    InboxPublic,
    InboxUpdate,
)
from autoassign.entrypoints.api.schemas.policies import PolicyLink, PolicyPublic

router = account_router("inboxes")


@router.get("/inboxes", response_model=InboxList)
async def list_inboxes(account_id: AccountDep, engine: EngineDep) -> InboxList:
    rows = await engine.records.all(inboxes, account_id)
    return InboxList(payload=[InboxPublic.model_validate(r) for r in rows])


@router.post("/inboxes", response_model=InboxPublic)
async def create_inbox(account_id: AccountDep, body: InboxCreate, engine: EngineDep) -> InboxPublic:
    inbox = await engine.catalog.add_inbox(
        Inbox(0, account_id, body.name, body.enable_auto_assignment), engine.clock.now()
    )
    return await get_inbox(account_id, inbox.id, engine)


@router.get("/inboxes/{inbox_id}", response_model=InboxPublic)
async def get_inbox(account_id: AccountDep, inbox_id: IdPath, engine: EngineDep) -> InboxPublic:
    row = await engine.records.get(inboxes, account_id, inbox_id, errors.InboxNotFound)
    return InboxPublic.model_validate(row)


@router.patch("/inboxes/{inbox_id}", response_model=InboxPublic)
async def update_inbox(
    account_id: AccountDep,
    inbox_id: IdPath,
    body: InboxUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> InboxPublic:
    values = body.model_dump(exclude_unset=True)
    row = await engine.records.update(inboxes, account_id, inbox_id, values, errors.InboxNotFound)
    if values.get("enable_auto_assignment"):
        trigger(tasks, engine, {inbox_id})
    return InboxPublic.model_validate(row)


@router.delete("/inboxes/{inbox_id}", status_code=204, response_class=Response)
async def delete_inbox(account_id: AccountDep, inbox_id: IdPath, engine: EngineDep) -> Response:
    """Deletes the inbox with its conversations and assignment history."""
    await engine.records.delete(inboxes, account_id, inbox_id, errors.InboxNotFound)
    return Response(status_code=204)


# members (Chatwoot's /inbox_members shape) ------------------------------------------


@router.get("/inbox_members/{inbox_id}", response_model=AgentList)
async def list_inbox_members(
    account_id: AccountDep, inbox_id: IdPath, engine: EngineDep
) -> AgentList:
    rows = await Directory(engine.records).members(inboxes, account_id, inbox_id)
    return AgentList(payload=[AgentPublic.model_validate(r) for r in rows])


async def _change_members(
    account_id: int,
    body: InboxMembersChange,
    engine: EngineDep,
    tasks: BackgroundTasks,
    change: Change,
) -> AgentList:
    directory = Directory(engine.records)
    added = await directory.change_members(
        inboxes, account_id, body.inbox_id, body.user_ids, change
    )
    if added:
        trigger(tasks, engine, {body.inbox_id})
    rows = await directory.members(inboxes, account_id, body.inbox_id)
    return AgentList(payload=[AgentPublic.model_validate(r) for r in rows])


@router.post("/inbox_members", response_model=AgentList)
async def add_inbox_members(
    account_id: AccountDep, body: InboxMembersChange, engine: EngineDep, tasks: BackgroundTasks
) -> AgentList:
    return await _change_members(account_id, body, engine, tasks, "add")


@router.patch("/inbox_members", response_model=AgentList)
async def replace_inbox_members(
    account_id: AccountDep, body: InboxMembersChange, engine: EngineDep, tasks: BackgroundTasks
) -> AgentList:
    return await _change_members(account_id, body, engine, tasks, "replace")


@router.delete("/inbox_members", response_model=AgentList)
async def remove_inbox_members(
    account_id: AccountDep, body: InboxMembersChange, engine: EngineDep, tasks: BackgroundTasks
) -> AgentList:
    return await _change_members(account_id, body, engine, tasks, "remove")


# the inbox's assignment policy --------------------------------------------------------


@router.get("/inboxes/{inbox_id}/assignment_policy", response_model=PolicyPublic)
async def get_inbox_policy(
    account_id: AccountDep, inbox_id: IdPath, engine: EngineDep
) -> PolicyPublic:
    policy_id = await _linked_policy(engine, account_id, inbox_id)
    if policy_id is None:
        raise errors.PolicyNotFound(f"for inbox {inbox_id}")
    return await policy_public(engine, account_id, policy_id)


@router.post("/inboxes/{inbox_id}/assignment_policy", response_model=PolicyPublic)
async def link_inbox_policy(
    account_id: AccountDep,
    inbox_id: IdPath,
    body: PolicyLink,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> PolicyPublic:
    """Links the policy, replacing any earlier one (one policy per inbox)."""
    await engine.catalog.link_policy(account_id, inbox_id, body.assignment_policy_id)
    trigger(tasks, engine, {inbox_id})
    return await policy_public(engine, account_id, body.assignment_policy_id)


@router.delete("/inboxes/{inbox_id}/assignment_policy", status_code=204, response_class=Response)
async def unlink_inbox_policy(
    account_id: AccountDep, inbox_id: IdPath, engine: EngineDep
) -> Response:
    if await _linked_policy(engine, account_id, inbox_id) is None:
        raise errors.PolicyNotFound(f"for inbox {inbox_id}")
    async with engine.records.write() as conn:
        await conn.execute(
            sa.delete(inbox_assignment_policies).where(
                inbox_assignment_policies.c.inbox_id == inbox_id
            )
        )
    return Response(status_code=204)


async def _linked_policy(engine: EngineDep, account_id: int, inbox_id: int) -> int | None:
    await engine.records.get(inboxes, account_id, inbox_id, errors.InboxNotFound)
    async with engine.records.read() as conn:
        found = await conn.execute(
            sa.select(inbox_assignment_policies.c.assignment_policy_id).where(
                inbox_assignment_policies.c.inbox_id == inbox_id
            )
        )
        value = found.scalar_one_or_none()
    return int(value) if value is not None else None


# run now -------------------------------------------------------------------------------


@router.post("/inboxes/{inbox_id}/assign", response_model=BatchPublic)
async def assign_inbox(
    account_id: AccountDep,
    inbox_id: IdPath,
    engine: EngineDep,
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> BatchPublic:
    """Run one batch of the inbox's assignment now; every outcome says why."""
    await engine.records.get(inboxes, account_id, inbox_id, errors.InboxNotFound)
    result = await engine.assign_inbox(inbox_id, limit)
    return BatchPublic(
        inbox_id=result.inbox_id,
        skipped=result.skipped,
        assigned=result.assigned,
        unassigned=result.unassigned,
        duration_ms=round(result.duration_ms, 3),
        outcomes=[
            OutcomePublic(
                conversation_id=o.conversation_id,
                agent_id=o.agent_id,
                result=o.result,
                detail=o.detail,
                agents=verdicts(o.agents),
            )
            for o in result.outcomes
        ],
        agent_filters=verdicts(result.agent_filters),
    )


def verdicts(reasons: Mapping[int, AgentReason]) -> list[AgentVerdict]:
    return [AgentVerdict(agent_id=a, reason=r) for a, r in sorted(reasons.items())]
