"""Conversations: create, list, update, assign by hand, and explain their assignment."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import BackgroundTasks, Query

from autoassign.core.drafts import Activity, ConversationPatch
from autoassign.core.model import Conversation, Status
from autoassign.core.views import ConversationFilter, Paging
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router, queue_runs
from autoassign.entrypoints.api.routes._presenters import verdicts
from autoassign.entrypoints.api.schemas.common import MAX_ID, PageMeta
from autoassign.entrypoints.api.schemas.conversations import (
    ActivityCreate,
    AssignmentChange,
    AssignmentRecordPublic,
    ConversationCreate,
    ConversationPage,
    ConversationPublic,
    ConversationUpdate,
    ExplanationPublic,
    TimerPublic,
)
from autoassign.services import conversations

router = account_router("conversations")
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.post("/conversations", response_model=ConversationPublic)
async def create_conversation(
    account_id: AccountDep, body: ConversationCreate, engine: EngineDep, tasks: BackgroundTasks
) -> ConversationPublic:
    """An open, unassigned conversation is offered to the inbox's agents right away."""
    created = body.created_at or engine.clock.now()
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
        sla_due_at=body.sla_due_at,
        contact_id=body.contact_id,
        preferred_agent_id=body.preferred_agent_id,
        required_skills=body.required_skills,
    )
    changed = await conversations.create_conversation(engine.deps, draft)
    return ConversationPublic.model_validate(queue_runs(tasks, engine, changed))


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
    where = ConversationFilter(inbox_id, status, assignee_id, team_id, unassigned, label)
    found = await conversations.list_conversations(
        engine.deps, account_id, where, Paging(page, per_page)
    )
    return ConversationPage(
        meta=PageMeta(page=found.page, per_page=found.per_page, total=found.total),
        payload=[ConversationPublic.model_validate(c) for c in found.items],
    )


@router.get("/conversations/{conversation_id}", response_model=ConversationPublic)
async def get_conversation(
    account_id: AccountDep, conversation_id: IdPath, engine: EngineDep
) -> ConversationPublic:
    return ConversationPublic.model_validate(
        await conversations.get_conversation(engine.deps, account_id, conversation_id)
    )


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
    patch = cast(ConversationPatch, body.model_dump(exclude_unset=True))
    changed = await conversations.update_conversation(
        engine.deps, account_id, conversation_id, patch
    )
    return ConversationPublic.model_validate(queue_runs(tasks, engine, changed))


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
    changed = await conversations.assign_by_hand(
        engine.deps, account_id, conversation_id, body.assignee_id
    )
    return ConversationPublic.model_validate(queue_runs(tasks, engine, changed))


@router.get(
    "/conversations/{conversation_id}/assignment_explanation", response_model=ExplanationPublic
)
async def explain_assignment(
    account_id: AccountDep, conversation_id: IdPath, engine: EngineDep
) -> ExplanationPublic:
    """Why it is assigned to whom, or why not: a dry run that changes nothing."""
    explanation = await conversations.explain_assignment(engine.deps, account_id, conversation_id)
    record = explanation.assignment
    return ExplanationPublic(
        conversation_id=explanation.conversation_id,
        inbox_id=explanation.inbox_id,
        assignee_id=explanation.assignee_id,
        result=explanation.result,
        assignment=AssignmentRecordPublic.model_validate(record) if record is not None else None,
        next_agent_id=explanation.next_agent_id,
        agents=verdicts(explanation.agents, explanation.agents_until),
        waits_until=explanation.waits_until,
        timer=TimerPublic.model_validate(explanation.timer) if explanation.timer else None,
    )


@router.post("/conversations/{conversation_id}/messages", response_model=ConversationPublic)
async def record_activity(
    account_id: AccountDep,
    conversation_id: IdPath,
    body: ActivityCreate,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> ConversationPublic:
    """Tell the engine of a message (Chatwoot's ``message_created``): a customer message
    (``incoming``) starts the wait, an agent's reply (``outgoing`` from a user, not
    private) ends it and sets ``first_reply_created_at``. The policy's unanswered rule
    reassigns a conversation left waiting too long."""
    sender = body.sender_type or (body.sender.type if body.sender else None)
    activity = Activity(body.message_type, sender, body.private, body.created_at)
    changed = await conversations.record_activity(
        engine.deps, account_id, conversation_id, activity
    )
    return ConversationPublic.model_validate(queue_runs(tasks, engine, changed))
