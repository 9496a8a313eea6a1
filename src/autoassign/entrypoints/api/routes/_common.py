"""What every account router shares: prefix, auth, documented errors, and handing a
service's triggered inboxes to the job queue once the response is on its way."""

from __future__ import annotations

from typing import TypeVar

from fastapi import APIRouter, BackgroundTasks, Depends

from autoassign.bootstrap import Engine
from autoassign.entrypoints.api.deps import ACCOUNT_PREFIX, current_account
from autoassign.entrypoints.api.errors import ERROR_RESPONSES
from autoassign.services.context import Changed
from autoassign.services.runs import request_runs

T = TypeVar("T")


def account_router(tag: str) -> APIRouter:
    return APIRouter(
        prefix=ACCOUNT_PREFIX,
        tags=[tag],
        dependencies=[Depends(current_account)],
        responses=ERROR_RESPONSES,
    )


def queue_runs(tasks: BackgroundTasks, engine: Engine, changed: Changed[T]) -> T:
    """The service committed; queue the runs it asked for and return what to render."""
    if changed.run:
        tasks.add_task(request_runs, engine.jobs, changed.run)
    return changed.value
