"""Conversations: create, list, update, assign by hand, and explain their assignment."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import BackgroundTasks, Query
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import records as sql
from autoassign.adapters.sql.directory import Directory
from autoassign.adapters.sql.tables import (
    agents,
    assignments,
    conversation_labels,
    conversations,
    team_members,
    teams,
)
from autoassign.core import errors
from autoassign.core.events import ConversationAssigned
from autoassign.core.model import Conversation, Status
from autoassign.core.selectors import MANUAL
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router, trigger
from autoassign.entrypoints.api.routes.inboxes import verdicts
from autoassign.entrypoints.api.schemas.common import MAX_ID, PageMeta
from autoassign.entrypoints.api.schemas.conversations import (
    AssignmentChange,
    AssignmentRecordPublic,
    ConversationCreate,
    ConversationPage,
    ConversationPublic,
    ConversationUpdate,
    ExplanationPublic,
)

router = account_router("conversations")
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
FREES_CAPACITY = {Status.RESOLVED, Status.SNOOZED, Status.PENDING}


@router.post("/conversations", response_model=ConversationPublic)
async def create_conversation(
    account_id: AccountDep, body: ConversationCreate, engine: EngineDep, tasks: BackgroundTasks
) -> ConversationPublic:
    """An open, unassigned conversation is offered to the inbox's agents right away."""
    now = engine.clock.now()
    created = body.created_at or now
    draft = Conversation(
        id=0,
        account_id=account_id,
        inbox_id=body.inbox_id,
        created_at=created,
        last_activity_at=body.last_activity_at or created,
        status=body.status,
        labels=frozenset(body.labels),
        priority=body.priority,
        team_id=body.team_id,
        assignee_id=body.assignee_id,
    )
    [conversation_id] = await engine.catalog.add_conversations(account_id, [draft], now)
    if draft.assignable:
        trigger(tasks, engine, {body.inbox_id})
    return await get_conversation(account_id, conversation_id, engine)


@router.get("/conversations", response_model=ConversationPage)
async def list_conversations(
    account_id: AccountDep,
    engine: EngineDep,
    inbox_id: QueryId = None,
    status: Status | None = None,
    assignee_id: QueryId = None,
    team_id: QueryId = None,
    unassigned: bool | None = None,
    label: Annotated[str | None, Query(min_length=1, max_length=255, pattern=r"^[^\x00]*$")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
) -> ConversationPage:
    c = conversations.c
    where: list[sa.ColumnElement[bool]] = []
    for column, value in (
        (c.inbox_id, inbox_id),
        (c.assignee_id, assignee_id),
        (c.team_id, team_id),
    ):
        if value is not None:
            where.append(column == value)
    if status is not None:
        where.append(c.status == status.value)
    if unassigned is not None:
        where.append(c.assignee_id.is_(None) if unassigned else c.assignee_id.is_not(None))
    if label is not None:
        where.append(
            c.id.in_(
                sa.select(conversation_labels.c.conversation_id).where(
                    conversation_labels.c.label == label
                )
            )
        )
    found, total = await Directory(engine.records).conversations(
        account_id, *where, page=page, per_page=per_page
    )
    return ConversationPage(
        meta=PageMeta(page=page, per_page=per_page, total=total),
        payload=[ConversationPublic.model_validate(r) for r in found],
    )


@router.get("/conversations/{conversation_id}", response_model=ConversationPublic)
async def get_conversation(
    account_id: AccountDep, conversation_id: IdPath, engine: EngineDep
) -> ConversationPublic:
    row = await Directory(engine.records).conversation(account_id, conversation_id)
    return ConversationPublic.model_validate(row)


@router.patch("/conversations/{conversation_id}", response_model=ConversationPublic)
async def update_conversation(
    account_id: AccountDep,
    conversation_id: IdPath,
    body: ConversationUpdate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> ConversationPublic:
    """Reopening, unassigning and freeing capacity (resolve, snooze) run the inbox.
    Moving a conversation to a team its assignee is not in clears the assignee."""
    changes = body.model_dump(exclude_unset=True)
    now = engine.clock.now()
    rerun = False
    async with engine.records.write() as conn:
        before = await sql.get(
            conn, conversations, account_id, conversation_id, errors.ConversationNotFound
        )
        values: dict[str, object] = {"updated_at": now}
        status = changes.get("status")
        if status is not None and status != before["status"]:
            values["status"] = status.value
            reopened = status is Status.OPEN and before["assignee_id"] is None
            freed = status in FREES_CAPACITY and before["assignee_id"] is not None
            rerun = rerun or reopened or freed
        if "team_id" in changes and changes["team_id"] != before["team_id"]:
            team_id = changes["team_id"]
            values["team_id"] = team_id
            if team_id is not None:
                await sql.require(conn, teams, [team_id], account_id, errors.TeamNotFound)
                if before["assignee_id"] is not None and not await _in_team(
                    conn, team_id, before["assignee_id"]
                ):
                    values["assignee_id"] = None
                    rerun = True
        for field in ("priority", "last_activity_at"):
            if field in changes:
                value = changes[field]
                values[field] = getattr(value, "value", value)
        await sql.update(
            conn, conversations, account_id, conversation_id, values, errors.ConversationNotFound
        )
        if "labels" in changes:
            await Directory.set_labels(conn, conversation_id, changes["labels"])
    if rerun:
        trigger(tasks, engine, {before["inbox_id"]})
    return await get_conversation(account_id, conversation_id, engine)


async def _in_team(conn: AsyncConnection, team_id: int, agent_id: int) -> bool:
    found = await conn.execute(
        sa.select(team_members.c.agent_id).where(
            team_members.c.team_id == team_id, team_members.c.agent_id == agent_id
        )
    )
    return found.first() is not None


@router.post("/conversations/{conversation_id}/assignments", response_model=ConversationPublic)
async def assign_by_hand(
    account_id: AccountDep,
    conversation_id: IdPath,
    body: AssignmentChange,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> ConversationPublic:
    """Assign to an agent of the account, or unassign with ``assignee_id: null`` (which
    offers an open conversation to the engine again). Manual assignments are recorded
    but never count toward fair-distribution limits."""
    now = engine.clock.now()
    async with engine.records.write() as conn:
        row = await sql.get(
            conn, conversations, account_id, conversation_id, errors.ConversationNotFound
        )
        if body.assignee_id is not None:
            await sql.require(conn, agents, [body.assignee_id], account_id, errors.AgentNotFound)
        await conn.execute(
            sa.update(conversations)
            .where(conversations.c.id == conversation_id)
            .values(assignee_id=body.assignee_id, updated_at=now)
        )
        if body.assignee_id is not None and body.assignee_id != row["assignee_id"]:
            await sql.insert(
                conn,
                assignments,
                {
                    "account_id": account_id,
                    "inbox_id": row["inbox_id"],
                    "conversation_id": conversation_id,
                    "agent_id": body.assignee_id,
                    "policy_id": None,
                    "selector": MANUAL,
                    "reason": "assigned by hand",
                    "assigned_at": now,
                },
            )
    if body.assignee_id is not None and body.assignee_id != row["assignee_id"]:
        await engine.sink.publish(
            [
                ConversationAssigned(
                    account_id=account_id,
                    inbox_id=row["inbox_id"],
                    conversation_id=conversation_id,
                    agent_id=body.assignee_id,
                    policy_id=None,
                    assigned_at=now,
                    reason="assigned by hand",
                )
            ]
        )
    if body.assignee_id is None and row["status"] == Status.OPEN:
        trigger(tasks, engine, {row["inbox_id"]})
    return await get_conversation(account_id, conversation_id, engine)


@router.get(
    "/conversations/{conversation_id}/assignment_explanation", response_model=ExplanationPublic
)
async def explain_assignment(
    account_id: AccountDep, conversation_id: IdPath, engine: EngineDep
) -> ExplanationPublic:
    """Why it is assigned to whom, or why not: a dry run that changes nothing."""
    conversation = await engine.catalog.get_conversation(account_id, conversation_id)
    explanation = await engine.explain(conversation)
    record = explanation.assignment
    return ExplanationPublic(
        conversation_id=explanation.conversation_id,
        inbox_id=explanation.inbox_id,
        assignee_id=explanation.assignee_id,
        result=explanation.result,
        assignment=AssignmentRecordPublic(
            agent_id=record.agent_id,
            policy_id=record.policy_id,
            selector=record.selector,
            reason=record.reason,
            assigned_at=record.assigned_at,
        )
        if record is not None
        else None,
        next_agent_id=explanation.next_agent_id,
        agents=verdicts(explanation.agents),
    )
