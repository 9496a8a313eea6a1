"""Inboxes, their members, their assignment policy, and running their assignment now."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import BackgroundTasks, Query, Response

from autoassign.core.drafts import InboxPatch, MemberChange, Membership
from autoassign.core.model import Inbox
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router, queue_runs
from autoassign.entrypoints.api.routes._presenters import verdicts
from autoassign.entrypoints.api.schemas.conversations import BatchPublic, OutcomePublic
from autoassign.entrypoints.api.schemas.directory import (
    AgentList,
    AgentPublic,
    InboxCreate,
    InboxList,
    InboxMembersChange,
    InboxPublic,
    InboxUpdate,
    MemberPublic,
    MemberUpdate,
)
from autoassign.entrypoints.api.schemas.policies import PolicyLink, PolicyPublic
from autoassign.services import inboxes, runs

router = account_router("inboxes")


@router.get("/inboxes", response_model=InboxList)
async def list_inboxes(account_id: AccountDep, engine: EngineDep) -> InboxList:
    found = await inboxes.list_inboxes(engine.deps, account_id)
    return InboxList(payload=[InboxPublic.model_validate(i) for i in found])


@router.post("/inboxes", response_model=InboxPublic)
async def create_inbox(account_id: AccountDep, body: InboxCreate, engine: EngineDep) -> InboxPublic:
    draft = Inbox(0, account_id, body.name, body.enable_auto_assignment)
    return InboxPublic.model_validate(await inboxes.create_inbox(engine.deps, draft))


@router.get("/inboxes/{inbox_id}", response_model=InboxPublic)
async def get_inbox(account_id: AccountDep, inbox_id: IdPath, engine: EngineDep) -> InboxPublic:
    return InboxPublic.model_validate(await inboxes.get_inbox(engine.deps, account_id, inbox_id))


@router.patch("/inboxes/{inbox_id}", response_model=InboxPublic)
async def update_inbox(
    account_id: AccountDep,
    inbox_id: IdPath,
    body: InboxUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> InboxPublic:
    patch = cast(InboxPatch, body.model_dump(exclude_unset=True))
    changed = await inboxes.update_inbox(engine.deps, account_id, inbox_id, patch)
    return InboxPublic.model_validate(queue_runs(tasks, engine, changed))


@router.delete("/inboxes/{inbox_id}", status_code=204, response_class=Response)
async def delete_inbox(account_id: AccountDep, inbox_id: IdPath, engine: EngineDep) -> Response:
    """The inbox leaves every list and never runs again; its conversations and
    assignment history stay."""
    await inboxes.delete_inbox(engine.deps, account_id, inbox_id)
    return Response(status_code=204)


# members (Chatwoot's /inbox_members shape) ------------------------------------------


@router.get("/inbox_members/{inbox_id}", response_model=AgentList)
async def list_inbox_members(
    account_id: AccountDep, inbox_id: IdPath, engine: EngineDep
) -> AgentList:
    found = await inboxes.list_members(engine.deps, account_id, inbox_id)
    return AgentList(payload=[AgentPublic.model_validate(a) for a in found])


async def _change_members(
    account_id: int,
    body: InboxMembersChange,
    engine: EngineDep,
    tasks: BackgroundTasks,
    change: Membership,
) -> AgentList:
    changed = await inboxes.change_members(
        engine.deps, account_id, body.inbox_id, body.user_ids, change
    )
    members = queue_runs(tasks, engine, changed)
    return AgentList(payload=[AgentPublic.model_validate(a) for a in members])


@router.post("/inbox_members", response_model=AgentList)
async def add_inbox_members(
    account_id: AccountDep, body: InboxMembersChange, engine: EngineDep, tasks: BackgroundTasks
) -> AgentList:
    return await _change_members(account_id, body, engine, tasks, Membership.ADD)


@router.patch("/inbox_members", response_model=AgentList)
async def replace_inbox_members(
    account_id: AccountDep, body: InboxMembersChange, engine: EngineDep, tasks: BackgroundTasks
) -> AgentList:
    return await _change_members(account_id, body, engine, tasks, Membership.REPLACE)


@router.delete("/inbox_members", response_model=AgentList)
async def remove_inbox_members(
    account_id: AccountDep, body: InboxMembersChange, engine: EngineDep, tasks: BackgroundTasks
) -> AgentList:
    return await _change_members(account_id, body, engine, tasks, Membership.REMOVE)


@router.patch("/inboxes/{inbox_id}/members/{agent_id}", response_model=MemberPublic)
async def set_member_auto_assign(
    account_id: AccountDep,
    inbox_id: IdPath,
    agent_id: IdPath,
    body: MemberUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> MemberPublic:
    """Opt a member out of auto-assignment in this inbox (``auto_assign: false``), or
    back in; set their ``weight``. 404 when the agent is not a member."""
    change = cast(MemberChange, body.model_dump(exclude_none=True))
    changed = await inboxes.set_member(engine.deps, account_id, inbox_id, agent_id, change)
    return MemberPublic.model_validate(queue_runs(tasks, engine, changed))


# the inbox's assignment policy --------------------------------------------------------


@router.get("/inboxes/{inbox_id}/assignment_policy", response_model=PolicyPublic)
async def get_inbox_policy(
    account_id: AccountDep, inbox_id: IdPath, engine: EngineDep
) -> PolicyPublic:
    return PolicyPublic.model_validate(await inboxes.get_policy(engine.deps, account_id, inbox_id))


@router.post("/inboxes/{inbox_id}/assignment_policy", response_model=PolicyPublic)
async def link_inbox_policy(
    account_id: AccountDep,
    inbox_id: IdPath,
    body: PolicyLink,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> PolicyPublic:
    """Links the policy, replacing any earlier one (one policy per inbox)."""
    changed = await inboxes.link_policy(
        engine.deps, account_id, inbox_id, body.assignment_policy_id
    )
    return PolicyPublic.model_validate(queue_runs(tasks, engine, changed))


@router.delete("/inboxes/{inbox_id}/assignment_policy", status_code=204, response_class=Response)
async def unlink_inbox_policy(
    account_id: AccountDep, inbox_id: IdPath, engine: EngineDep
) -> Response:
    await inboxes.unlink_policy(engine.deps, account_id, inbox_id)
    return Response(status_code=204)


# run now -------------------------------------------------------------------------------


@router.post("/inboxes/{inbox_id}/assign", response_model=BatchPublic)
async def assign_inbox(
    account_id: AccountDep,
    inbox_id: IdPath,
    engine: EngineDep,
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> BatchPublic:
    """Run one batch of the inbox's assignment now; every outcome says why."""
    result = await runs.assign_now(engine.deps, account_id, inbox_id, limit)
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
