"""``PUT`` wherever Chatwoot routes it: Rails' ``resources … :update`` answers both PATCH
and PUT, and Chatwoot clients use either.

The routes below are the PATCH routes of their own modules, registered once more under
PUT: the same endpoint function, dependencies, body and response, so the two methods
cannot drift apart. Assignment policies, capacity policies and inbox limits declare
their PUT next to their PATCH; ``inbox_members`` and ``team_members`` are PATCH-only in
Chatwoot too.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter
from fastapi.routing import APIRoute

from autoassign.entrypoints.api.deps import ACCOUNT_PREFIX
from autoassign.entrypoints.api.routes import agents, conversations, inboxes, teams, webhooks

#: the member routes Chatwoot updates with PUT as well as PATCH
MIRRORED: Final = frozenset(
    ACCOUNT_PREFIX + path
    for path in (
        "/agents/{agent_id}",
        "/inboxes/{inbox_id}",
        "/teams/{team_id}",
        "/webhooks/{webhook_id}",
        "/conversations/{conversation_id}",
    )
)


def mirror_patch_as_put(*sources: APIRouter) -> APIRouter:
    """A router with a PUT twin of each listed PATCH route of ``sources``."""
    router = APIRouter()
    for source in sources:
        for route in source.routes:
            if not (isinstance(route, APIRoute) and "PATCH" in (route.methods or ())):
                continue
            if route.path not in MIRRORED:
                continue
            router.add_api_route(
                route.path,
                route.endpoint,
                methods=["PUT"],
                response_model=route.response_model,
                status_code=route.status_code,
                tags=route.tags,
                dependencies=route.dependencies,
                summary=route.summary,
                description=f"Same as PATCH (Chatwoot routes both). {route.description}",
                responses=route.responses,
                name=f"{route.name}_put",
                response_class=route.response_class,
                operation_id=f"{route.unique_id}_put",
            )
    return router


router = mirror_patch_as_put(
    agents.router, inboxes.router, teams.router, webhooks.router, conversations.router
)
