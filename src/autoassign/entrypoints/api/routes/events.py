"""The assignment history: every assignment the engine (or a person) made."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import Query

from autoassign.adapters.sql.tables import assignments
from autoassign.entrypoints.api.deps import AccountDep, EngineDep
from autoassign.entrypoints.api.routes._common import account_router
from autoassign.entrypoints.api.schemas.common import MAX_ID, PageMeta, Timestamp
from autoassign.entrypoints.api.schemas.conversations import (
    AssignmentEventPage,
    AssignmentEventPublic,
)

router = account_router("assignment events")
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.get("/assignment_events", response_model=AssignmentEventPage)
async def list_assignment_events(
    account_id: AccountDep,
    engine: EngineDep,
    inbox_id: QueryId = None,
    agent_id: QueryId = None,
    conversation_id: QueryId = None,
    since: Annotated[Timestamp | None, Query(description="assigned at or after")] = None,
    until: Annotated[Timestamp | None, Query(description="assigned before")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
) -> AssignmentEventPage:
    """Newest first."""
    a = assignments.c
    where: list[sa.ColumnElement[bool]] = []
    for column, value in (
        (a.inbox_id, inbox_id),
        (a.agent_id, agent_id),
        (a.conversation_id, conversation_id),
    ):
        if value is not None:
            where.append(column == value)
    if since is not None:
        where.append(a.assigned_at >= since)
    if until is not None:
        where.append(a.assigned_at < until)
    found, total = await engine.records.page(
        assignments, account_id, *where, order_by=(a.id.desc(),), page=page, per_page=per_page
    )
    return AssignmentEventPage(
        meta=PageMeta(page=page, per_page=per_page, total=total),
        payload=[AssignmentEventPublic.model_validate(r) for r in found],
    )
