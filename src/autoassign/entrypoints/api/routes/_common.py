"""What every account router shares: prefix, auth, documented errors, triggers."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends

from autoassign.bootstrap import Engine
from autoassign.entrypoints.api.deps import ACCOUNT_PREFIX, current_account
from autoassign.entrypoints.api.errors import ERROR_RESPONSES


def account_router(tag: str) -> APIRouter:
    return APIRouter(
        prefix=ACCOUNT_PREFIX,
        tags=[tag],
        dependencies=[Depends(current_account)],
        responses=ERROR_RESPONSES,
    )


def trigger(tasks: BackgroundTasks, engine: Engine, inbox_ids: set[int]) -> None:
    """Run these inboxes after the response is built (inline until the job queue lands)."""
    if inbox_ids:
        tasks.add_task(engine.trigger, set(inbox_ids))
