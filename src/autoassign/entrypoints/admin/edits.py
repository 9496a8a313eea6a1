"""Edits from the admin page: policies, capacity limits, inbox links and availability.

Each route parses the form with the API's own request models (so the same bounds hold),
calls one existing service, hands the inboxes it must run to the job queue exactly as the
API routes do (``queue_runs``), and answers a one-line result. The page never writes
SQL of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from autoassign.core import errors
from autoassign.core.drafts import AgentPatch, PolicyPatch
from autoassign.core.views import AgentView, InboxLimitView, PolicyView
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
    """The form as the API's request model; InvalidInput (a 422 line) naming each field."""
    try:
        return model.model_validate({name: _typed(name, v) for name, v in fields.items()})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()
        )
        raise errors.InvalidInput(problems) from None


async def apply(
    request: Request,
    tasks: BackgroundTasks,
    engine: Any,
    work: Awaitable[Changed[T]],
    say: Callable[[T], str],
) -> Response:
    """Run ``work`` (parsing the form and calling one service), queue the runs it asks
    for as the API routes do, and answer one line: ``say`` of the new value, or what the
    API would have answered 4xx."""
    try:
        changed = await work
    except errors.AutoassignError as exc:
        status = next(code for kind, code in STATUS if isinstance(exc, kind))
        return render.flash(request, exc.message, ok=False, status=status)
    queue_runs(tasks, engine, changed)
    return render.flash(request, say(changed.value), ok=True)


@router.post("/policies/{policy_id}")
async def edit_policy(
    request: Request,
    policy_id: IdPath,
    account_id: AdminAccount,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    async def work() -> Changed[PolicyView]:
        form = await auth.form(request)
        fields: dict[str, Any] = {k: v for k, v in form.items() if k in POLICY_FIELDS}
        if fields.get("exclude_older_than_hours") == "":
            fields["exclude_older_than_hours"] = None  # empty: no age limit
        body = parse(PolicyUpdate, fields)
        patch = cast(PolicyPatch, body.model_dump(exclude_unset=True))
        return await policies.update_policy(engine.deps, account_id, policy_id, patch)

    return await apply(request, tasks, engine, work(), lambda p: f"Policy “{p.name}” saved.")


@router.post("/capacity/{policy_id}/limits")
async def add_limit(
    request: Request,
    policy_id: IdPath,
    account_id: AdminAccount,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    async def work() -> Changed[InboxLimitView]:
        body = parse(InboxLimitCreate, await auth.form(request))
        return await capacity.add_limit(
            engine.deps, account_id, policy_id, body.inbox_id, body.conversation_limit
        )

    return await apply(request, tasks, engine, work(), lambda _: "Capacity limit added.")


@router.post("/capacity/{policy_id}/limits/{limit_id}")
async def edit_limit(
    request: Request,
    policy_id: IdPath,
    limit_id: IdPath,
    account_id: AdminAccount,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    async def work() -> Changed[InboxLimitView]:
        body = parse(InboxLimitUpdate, await auth.form(request))
        return await capacity.update_limit(
            engine.deps, account_id, policy_id, limit_id, body.conversation_limit
        )

    return await apply(
        request,
        tasks,
        engine,
        work(),
        lambda limit: f"Capacity limit set to {limit.conversation_limit}.",
    )


@router.post("/capacity/{policy_id}/limits/{limit_id}/delete")
async def delete_limit(
    request: Request,
    policy_id: IdPath,
    limit_id: IdPath,
    account_id: AdminAccount,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    work = capacity.delete_limit(engine.deps, account_id, policy_id, limit_id)
    return await apply(request, tasks, engine, work, lambda _: "Capacity limit removed.")


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

    async def work() -> Changed[PolicyView | None]:
        if chosen == "":
            await inboxes.unlink_policy(engine.deps, account_id, inbox_id)
            return Changed(None)
        body = parse(PolicyLink, {"assignment_policy_id": chosen})
        linked = await inboxes.link_policy(
            engine.deps, account_id, inbox_id, body.assignment_policy_id
        )
        return Changed(linked.value, linked.run)

    def say(policy: PolicyView | None) -> str:
        if policy is None:
            return "Policy unlinked: the inbox is not auto-assigned."
        return f"Inbox linked to “{policy.name}”."

    return await apply(request, tasks, engine, work(), say)


@router.post("/agents/{agent_id}/availability")
async def set_availability(
    request: Request,
    agent_id: IdPath,
    account_id: AdminAccount,
    engine: EngineDep,
    tasks: BackgroundTasks,
) -> Response:
    async def work() -> Changed[AgentView]:
        availability = (await auth.form(request)).get("availability")
        body = parse(AgentUpdate, {"availability": availability})
        patch = cast(AgentPatch, body.model_dump(exclude_unset=True))
        return await agents.update_agent(engine.deps, account_id, agent_id, patch)

    return await apply(
        request, tasks, engine, work(), lambda a: f"{a.name} is {a.availability.value}."
    )
