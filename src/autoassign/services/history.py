"""The assignment history: every assignment the engine (or a person) made, newest first."""

from __future__ import annotations

from autoassign.core.views import AssignmentEventView, EventFilter, Page, Paging
from autoassign.services.context import Deps


async def list_events(
    deps: Deps, account_id: int, where: EventFilter, paging: Paging
) -> Page[AssignmentEventView]:
    async with deps.uow.read() as uow:
        return await uow.queries.assignment_events(account_id, where, paging)
