"""The assignment history: every assignment the engine (or a person) made."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from autoassign.core.views import EventFilter, Paging
from autoassign.entrypoints.api.deps import AccountDep, EngineDep
from autoassign.entrypoints.api.routes._common import account_router
from autoassign.entrypoints.api.schemas.common import MAX_ID, PageMeta, Timestamp
from autoassign.entrypoints.api.schemas.conversations import (
    AssignmentEventPage,
    AssignmentEventPublic,
)
from autoassign.services import history

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
    where = EventFilter(inbox_id, agent_id, conversation_id, since, until)
    found = await history.list_events(engine.deps, account_id, where, Paging(page, per_page))
    return AssignmentEventPage(
        meta=PageMeta(page=found.page, per_page=found.per_page, total=found.total),
        payload=[AssignmentEventPublic.model_validate(e) for e in found.items],
    )
