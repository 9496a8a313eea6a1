"""Chatwoot's webhooks: ``POST /chatwoot/webhooks/{token}``.

The token in the address is the connection's secret (only its hash is stored), since
older Chatwoot versions sign nothing; when the connection knows Chatwoot's webhook
secret, the ``X-Chatwoot-Signature`` must verify as well. The delivery is checked and
stored, and answered at once; the connector applies it (so a slow apply never times
out Chatwoot's 5 s delivery, and a crash loses nothing).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from autoassign.entrypoints.api.deps import EngineDep
from autoassign.entrypoints.api.errors import ERROR_RESPONSES
from autoassign.entrypoints.chatwoot_runner import connector
from autoassign.services import chatwoot_connections
from autoassign.services.chatwoot_context import Connector

#: Chatwoot payloads are a few KB; a conversation with a long last message, tens
MAX_BODY = 1_000_000

router = APIRouter(prefix="/chatwoot", tags=["chatwoot"], responses=ERROR_RESPONSES)


class Receipt(BaseModel):
    #: accepted: stored for the connector; duplicate: seen before; ignored: not used
    status: Literal["accepted", "duplicate", "ignored"]


def _connector(request: Request, engine: EngineDep) -> Connector:
    state = request.app.state
    found: Connector | None = getattr(state, "chatwoot", None)
    if found is None:
        found = state.chatwoot = connector(engine)
    return found


@router.post("/webhooks/{token}", response_model=Receipt)
async def receive_webhook(
    token: Annotated[str, Path(min_length=20, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")],
    request: Request,
    engine: EngineDep,
) -> Receipt:
    """One Chatwoot delivery; 404 for an unknown address, 400 for a bad signature,
    422 for a body that is not a Chatwoot payload."""
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(413, f"a webhook body is at most {MAX_BODY} bytes")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(413, f"a webhook body is at most {MAX_BODY} bytes")
    cx = _connector(request, engine)
    _, outcome = await chatwoot_connections.receive(cx, token, request.headers, body)
    runner = getattr(request.app.state, "chatwoot_runner", None)
    if runner is not None and outcome == "accepted":
        runner.wake()
    return Receipt(status=outcome)
