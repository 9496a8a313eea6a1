"""Edits from the admin page: policies, capacity limits, inbox links and availability.

Each route parses the form with the API's own request models (so the same bounds hold),
calls one existing service, hands the inboxes it must run to the job queue exactly as the
API routes do (``queue_runs``), and answers a one-line result. The page never writes
SQL of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar, cast

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from autoassign.core import errors
from autoassign.core.drafts import AgentPatch, PolicyPatch
from autoassign.entrypoints.admin import auth, render
from autoassign.entrypoints.admin.auth import AdminAccount
from autoassign.entrypoints.api.deps import EngineDep, IdPath
from autoassign.entrypoints.api.errors import STATUS
from autoassign.entrypoints.api.routes._common import queue_runs
from autoassign.entrypoints.api.schemas.directory import AgentUpdate
from autoassign.entrypoints.api.schemas.policies import (
    InboxLimitCreate,
    InboxLimitUpdate,
    PolicyLink,
    PolicyUpdate,
)
from autoassign.services import agents, capacity, inboxes, policies
from autoassign.services.context import Changed

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[auth.Edit])

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

POLICY_FIELDS = (
    "name",
    "description",
    "assignment_order",
    "conversation_priority",
    "fair_distribution_limit",
    "fair_distribution_window",
    "enabled",
    "exclude_older_than_hours",
)


class Invalid(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


#: form fields that are JSON numbers or booleans in the API's bodies
NUMBERS = frozenset(
    {
        "fair_distribution_limit",
        "fair_distribution_window",
        "exclude_older_than_hours",
        "conversation_limit",
        "inbox_id",
        "assignment_policy_id",
    }
)
BOOLEANS = frozenset({"enabled"})


def _typed(name: str, value: Any) -> Any:
    """A form's text as the JSON value the API's model expects (numbers in digits become
    integers; anything else is left for the model to refuse, naming the field)."""
    if not isinstance(value, str):
        return value
    if name in NUMBERS and value.strip().lstrip("-").isdigit():
        return int(value)
    if name in BOOLEANS and value in ("true", "false"):
        return value == "true"
    return value


def parse(model: type[M], fields: dict[str, Any]) -> M:
    try:
        return model.model_validate({name: _typed(name, v) for name, v in fields.items()})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()
        )
        raise Invalid(problems) from None


async def attempt(request: Request, work: Awaitable[T]) -> T | Response:
    """The service's value, or the page's error line for what the API would answer 4xx."""
    try:
        return await work
    except errors.AutoassignError as exc:
        status = next(code for kind, code in STATUS if isinstance(exc, kind))
        return render.flash(request, exc.message, ok=False, status=status)


def done(
    request: Request, tasks: BackgroundTasks, engine: Any, changed: Changed[T], message: str
) -> Response:
    queue_runs(tasks, engine, changed)
    return render.flash(request, message, ok=True)


@router.post("/policies/{policy_id}")
async def edit_policy(
    request: Request,
    policy_id: IdPath,
    account_id: AdminAccount,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    fields: dict[str, Any] = {
        k: v for k, v in (await auth.form(request)).items() if k in POLICY_FIELDS
    }
    if fields.get("exclude_older_than_hours") == "":
        fields["exclude_older_than_hours"] = None  # empty: no age limit
    try:
        body = parse(PolicyUpdate, fields)
    except Invalid as exc:
        return render.flash(request, exc.message, ok=False, status=422)
    patch = cast(PolicyPatch, body.model_dump(exclude_unset=True))
    changed = await attempt(
        request, policies.update_policy(engine.deps, account_id, policy_id, patch)
    )
    if isinstance(changed, Response):
        return changed
    return done(request, tasks, engine, changed, f"Policy “{changed.value.name}” saved.")


@router.post("/capacity/{policy_id}/limits")
async def add_limit(
    request: Request,
    policy_id: IdPath,
    account_id: AdminAccount,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    try:
        body = parse(InboxLimitCreate, await auth.form(request))
    except Invalid as exc:
        return render.flash(request, exc.message, ok=False, status=422)
    changed = await attempt(
        request,
        capacity.add_limit(
            engine.deps, account_id, policy_id, body.inbox_id, body.conversation_limit
        ),
    )
    if isinstance(changed, Response):
        return changed
    return done(request, tasks, engine, changed, "Capacity limit added.")


@router.post("/capacity/{policy_id}/limits/{limit_id}")
async def edit_limit(
    request: Request,
    policy_id: IdPath,
    limit_id: IdPath,
    account_id: AdminAccount,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    try:
        body = parse(InboxLimitUpdate, await auth.form(request))
    except Invalid as exc:
        return render.flash(request, exc.message, ok=False, status=422)
    changed = await attempt(
        request,
        capacity.update_limit(
            engine.deps, account_id, policy_id, limit_id, body.conversation_limit
        ),
    )
    if isinstance(changed, Response):
        return changed
    limit = changed.value.conversation_limit
    return done(request, tasks, engine, changed, f"Capacity limit set to {limit}.")


@router.post("/capacity/{policy_id}/limits/{limit_id}/delete")
async def delete_limit(
    request: Request,
    policy_id: IdPath,
    limit_id: IdPath,
    account_id: AdminAccount,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    changed = await attempt(
        request, capacity.delete_limit(engine.deps, account_id, policy_id, limit_id)
    )
    if isinstance(changed, Response):
        return changed
    return done(request, tasks, engine, changed, "Capacity limit removed.")


@router.post("/inboxes/{inbox_id}/policy")
async def link_policy(
    request: Request,
    inbox_id: IdPath,
    account_id: AdminAccount,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    """An empty choice unlinks the inbox's policy (nothing runs: no policy, no runs)."""
    chosen = (await auth.form(request)).get("assignment_policy_id", "")
    if chosen == "":
        unlinked = await attempt(request, inboxes.unlink_policy(engine.deps, account_id, inbox_id))
        if isinstance(unlinked, Response):
            return unlinked
        return render.flash(request, "Policy unlinked: the inbox is not auto-assigned.", ok=True)
    try:
        body = parse(PolicyLink, {"assignment_policy_id": chosen})
    except Invalid as exc:
        return render.flash(request, exc.message, ok=False, status=422)
    changed = await attempt(
        request, inboxes.link_policy(engine.deps, account_id, inbox_id, body.assignment_policy_id)
    )
    if isinstance(changed, Response):
        return changed
    return done(request, tasks, engine, changed, f"Inbox linked to “{changed.value.name}”.")


@router.post("/agents/{agent_id}/availability")
async def set_availability(
    request: Request,
    agent_id: IdPath,
    account_id: AdminAccount,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    try:
        body = parse(AgentUpdate, {"availability": (await auth.form(request)).get("availability")})
    except Invalid as exc:
        return render.flash(request, exc.message, ok=False, status=422)
    patch = cast(AgentPatch, body.model_dump(exclude_unset=True))
    changed = await attempt(request, agents.update_agent(engine.deps, account_id, agent_id, patch))
    if isinstance(changed, Response):
        return changed
    agent = changed.value
    return done(request, tasks, engine, changed, f"{agent.name} is {agent.availability.value}.")
