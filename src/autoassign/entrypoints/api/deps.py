"""Dependencies: the engine, the account the api_access_token belongs to, and what its
role may do.

Tokens have Chatwoot's roles. What an agent's token may do is one table here
(``AGENT_ROUTES``): the daily work of reading the directory and handling conversations.
Every other account route is administration, and an agent's token gets 401 there with
Chatwoot's message, as Chatwoot's Pundit policies answer. A route not in the table is
administration by default, so a new route never opens up to agents by accident.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends, Header, Path, Request
from fastapi.routing import APIRoute

from autoassign.bootstrap import Engine
from autoassign.core import errors
from autoassign.entrypoints.api.schemas.common import CANONICAL_ID, MAX_ID
from autoassign.services import accounts


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID), CANONICAL_ID]
ACCOUNT_PREFIX = "/api/v1/accounts/{account_id}"
#: Chatwoot's answer when a role may not do something
NOT_AUTHORIZED = "You are not authorized to do this action"


def _agent_routes() -> frozenset[tuple[str, str]]:
    reads = [
        "/agents",
        "/agents/{agent_id}",
        "/inboxes",
        "/inboxes/{inbox_id}",
        "/inbox_members/{inbox_id}",
        "/teams",
        "/teams/{team_id}",
        "/teams/{team_id}/team_members",
        "/conversations",
        "/conversations/{conversation_id}",
        "/conversations/{conversation_id}/assignment_explanation",
    ]
    writes = [
        ("POST", "/agents/{agent_id}/heartbeat"),
        ("POST", "/conversations"),
        ("PATCH", "/conversations/{conversation_id}"),
        ("PUT", "/conversations/{conversation_id}"),
        ("POST", "/conversations/{conversation_id}/assignments"),
        ("POST", "/conversations/{conversation_id}/messages"),
    ]
    allowed = [("GET", p) for p in reads] + writes
    return frozenset((method, ACCOUNT_PREFIX + path) for method, path in allowed)


#: (method, route path) an agent's token may use; everything else needs an administrator
AGENT_ROUTES: Final = _agent_routes()


def agent_may(method: str, route_path: str) -> bool:
    return (method, route_path) in AGENT_ROUTES


async def current_account(
    request: Request,
    account_id: IdPath,
    engine: EngineDep,
    api_access_token: Annotated[
        str | None,
        Header(alias="api_access_token", convert_underscores=False, max_length=512),
    ] = None,
) -> int:
    """The path's account, if the token belongs to it and its role may use the route.
    Another account's token gets 404 (not 403), so account ids do not leak."""
    if not api_access_token:
        raise errors.NotAuthenticated("the api_access_token header is required")
    identity = await accounts.identify(engine.deps, api_access_token)
    if identity is None:
        raise errors.NotAuthenticated("the api_access_token is not valid")
    if identity.account_id != account_id:
        raise errors.AccountNotFound(account_id)
    if not identity.is_administrator:
        route = request.scope.get("route")
        path = route.path if isinstance(route, APIRoute) else request.url.path
        if not agent_may(request.method, path):
            raise errors.NotAuthenticated(NOT_AUTHORIZED)
    return account_id


AccountDep = Annotated[int, Depends(current_account)]
