"""Rendering the admin page: the Jinja2 templates, the words people read, and the headers
every admin response carries.

Why server-rendered fragments: the page is a handful of tables and forms; rendering them
here and letting htmx swap them in keeps the page a few kilobytes with no build step,
and every number comes from the same services the API uses (docs/decisions.md, "The
admin page").
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from autoassign.core.reasons import AgentReason, OutcomeKind

HERE = Path(__file__).parent
STATIC = HERE / "static"
HTMX = "/static/vendor/htmx/htmx.min.js"

#: everything from this origin only: no inline script, no other host, no framing
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

OUTCOMES: dict[str, str] = {
    OutcomeKind.ASSIGNED: "assigned",
    OutcomeKind.WOULD_ASSIGN: "not assigned yet: nothing blocks it, the next run assigns it",
    OutcomeKind.INBOX_DISABLED: "its inbox has auto-assignment switched off",
    OutcomeKind.NO_POLICY: "its inbox has no assignment policy linked",
    OutcomeKind.POLICY_DISABLED: "its inbox's assignment policy is disabled",
    OutcomeKind.NOT_ASSIGNABLE: "it is not open, or it already has an assignee",
    OutcomeKind.EXCLUDED_LABEL: "it carries a label that a capacity policy excludes",
    OutcomeKind.TOO_OLD: "its last activity is older than the policy's age limit",
    OutcomeKind.TEAM_NOT_FOUND: "its team no longer exists",
    OutcomeKind.TEAM_AUTO_ASSIGN_DISABLED: "its team does not allow auto-assignment",
    OutcomeKind.NO_AGENT_ONLINE: "no member of its inbox is online",
    OutcomeKind.NO_ELIGIBLE_AGENT: "agents are online, but each was passed over (see below)",
    OutcomeKind.LOST_RACE: "it changed while a batch was assigning it",
}
AGENT_REASONS: dict[str, str] = {
    AgentReason.OFFLINE: "offline",
    AgentReason.BUSY: "busy",
    AgentReason.PRESENCE_EXPIRED: "auto-offline and no recent heartbeat",
    AgentReason.NOT_TEAM_MEMBER: "not in the conversation's team",
    AgentReason.RATE_LIMITED: "reached the fair-distribution limit for the window",
    AgentReason.AT_CAPACITY: "at capacity in this inbox",
}


def duration(seconds: float | None) -> str:
    """3 s, 4 min 10 s, 2 h 5 min, 3 d 4 h: two units at most."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    parts = [(whole // 86400, "d"), (whole % 86400 // 3600, "h"), (whole % 3600 // 60, "min")]
    parts.append((whole % 60, "s"))
    shown = [f"{n} {unit}" for n, unit in parts if n]
    return " ".join(shown[:2]) or "0 s"


def clock(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%H:%M:%S} UTC"


def until(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    left = (moment - now).total_seconds()
    return "now" if left <= 0 else f"in {duration(left)}"


def iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="seconds")


templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(duration=duration, clock=clock, iso=iso)
templates.env.globals.update(until=until, OUTCOMES=OUTCOMES, AGENT_REASONS=AGENT_REASONS, HTMX=HTMX)


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A template as an HTML response with the admin headers."""
    return templates.TemplateResponse(
        request, name, context, status_code=status, headers={**HEADERS, **(headers or {})}
    )


def flash(request: Request, message: str, *, ok: bool, status: int = 200) -> Response:
    """The one-line result of an edit, shown at the top of the page; a success also tells
    the page's panels to reload (``HX-Trigger``)."""
    headers = {"HX-Trigger": "aa-changed"} if ok else {}
    return page(
        request, "_flash.html", {"message": message, "ok": ok}, status=status, headers=headers
    )
