"""The admin page and its live panels: sign in, queues and agents, assignments as they
happen, settings forms, and any conversation's explanation. Every route reads through
one service and renders a template."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from autoassign.bootstrap import Engine
from autoassign.core import errors
from autoassign.entrypoints.admin import auth, render
from autoassign.entrypoints.admin.auth import AdminAccount
from autoassign.entrypoints.api.deps import EngineDep
from autoassign.entrypoints.api.schemas.common import MAX_ID
from autoassign.services import overview

router = APIRouter(include_in_schema=False)

#: assignments the live list shows
RECENT = 20


def _sweep(engine: Engine) -> overview.Sweep:
    settings = engine.settings
    return overview.Sweep(settings.sweep_interval, aligned=not settings.embedded)


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/admin/", status_code=307)


@router.get("/admin")
async def admin_root() -> RedirectResponse:
    return RedirectResponse("/admin/", status_code=307)


@router.get("/admin/sign-in")
async def sign_in_form(request: Request) -> Response:
    return render.page(request, "sign_in.html", {"error": None})


@router.post("/admin/sign-in")
async def sign_in(request: Request, engine: EngineDep) -> Response:
    auth.same_origin(request)
    token = (await auth.form(request)).get("token", "").strip()
    if await auth.token_account(engine, token) is None:
        error = "That token is not valid: paste an account's api_access_token."
        return render.page(request, "sign_in.html", {"error": error}, status=401)
    response = RedirectResponse("/admin/", status_code=303)
    response.set_cookie(
        auth.COOKIE,
        token,
        path="/admin",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/admin/sign-out")
async def sign_out(request: Request) -> Response:
    auth.same_origin(request)
    response = RedirectResponse(auth.SIGN_IN, status_code=303)
    response.delete_cookie(auth.COOKIE, path="/admin", httponly=True, samesite="strict")
    return response


@router.get("/admin/")
async def dashboard(request: Request, engine: EngineDep, account_id: AdminAccount) -> Response:
    live = await overview.live(engine.deps, account_id, _sweep(engine))
    return render.page(request, "dashboard.html", {"live": live, "recent": RECENT})


@router.get("/admin/panels/live")
async def live_panel(request: Request, engine: EngineDep, account_id: AdminAccount) -> Response:
    live = await overview.live(engine.deps, account_id, _sweep(engine))
    return render.page(request, "_live.html", {"live": live})


@router.get("/admin/panels/events")
async def events_panel(
    request: Request,
    engine: EngineDep,
    account_id: AdminAccount,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> Response:
    """The newest assignments. Polled with ``after`` (the newest id the page shows): 204
    while nothing newer exists, so htmx keeps the list and nothing is rendered; otherwise
    the list again, and an ``aa-assigned`` event that reloads the live panel too."""
    if after is not None:
        newer = await overview.recent_assignments(engine.deps, account_id, after_id=after, limit=1)
        if not newer:
            return Response(status_code=204, headers=render.HEADERS)
    recent = await overview.recent_assignments(engine.deps, account_id, limit=RECENT)
    newest = max((r.event.id for r in recent), default=0)
    return render.page(
        request,
        "_events.html",
        {"recent": recent, "after": newest},
        headers={"HX-Trigger": "aa-assigned"} if after is not None else {},
    )


@router.get("/admin/panels/settings")
async def settings_panel(request: Request, engine: EngineDep, account_id: AdminAccount) -> Response:
    settings = await overview.settings(engine.deps, account_id)
    return render.page(request, "_settings.html", {"settings": settings})


@router.get("/admin/explain")
async def explanation(
    request: Request,
    engine: EngineDep,
    account_id: AdminAccount,
    conversation_id: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    wanted = conversation_id.strip().lstrip("#")
    if not wanted.isdigit() or not 1 <= int(wanted) <= MAX_ID:
        context = {"error": "Type a conversation number, such as 42."}
        return render.page(request, "_explain.html", context, status=422)
    try:
        found = await overview.explained(engine.deps, account_id, int(wanted))
    except errors.NotFound as exc:
        return render.page(request, "_explain.html", {"error": exc.message}, status=404)
    return render.page(request, "_explain.html", {"found": found, "error": None})
