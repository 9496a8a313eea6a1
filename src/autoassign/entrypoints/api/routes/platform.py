"""The platform API: create accounts, and create, list and revoke their API tokens
(AUTOASSIGN_ADMIN_TOKEN)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from autoassign.core import errors
from autoassign.entrypoints.api.deps import EngineDep, IdPath
from autoassign.entrypoints.api.errors import ERROR_RESPONSES
from autoassign.entrypoints.api.routes.tokens import render_new_token
from autoassign.entrypoints.api.schemas.policies import (
    AccountCreate,
    AccountWithToken,
    TokenCreate,
    TokenListed,
    TokenPublic,
)
from autoassign.services import accounts


async def require_admin(
    engine: EngineDep,
    api_access_token: Annotated[
        str | None, Header(alias="api_access_token", convert_underscores=False, max_length=512)
    ] = None,
) -> None:
    expected = engine.settings.admin_token
    if not expected:
        raise errors.NotAuthenticated("the platform API is off: set AUTOASSIGN_ADMIN_TOKEN")
    given = (api_access_token or "").encode("utf-8", "surrogatepass")
    if not given or not hmac.compare_digest(given, expected.encode()):
        raise errors.NotAuthenticated("a valid platform api_access_token is required")


router = APIRouter(
    prefix="/platform/api/v1",
    tags=["platform"],
    dependencies=[Depends(require_admin)],
    responses=ERROR_RESPONSES,
)


@router.post("/accounts", response_model=AccountWithToken)
async def create_account(body: AccountCreate, engine: EngineDep) -> AccountWithToken:
    """Create an account and its first API token (shown once: only its hash is kept)."""
    return AccountWithToken.model_validate(await accounts.create_account(engine.deps, body.name))


@router.post("/accounts/{account_id}/tokens", response_model=TokenPublic)
async def create_token(account_id: IdPath, body: TokenCreate, engine: EngineDep) -> TokenPublic:
    """A token with a role (administrator unless ``role`` says agent), shown once."""
    new = await accounts.create_token(engine.deps, account_id, body.name, body.role)
    return render_new_token(new)


@router.get("/accounts/{account_id}/tokens", response_model=list[TokenListed])
async def list_tokens(account_id: IdPath, engine: EngineDep) -> list[TokenListed]:
    found = await accounts.list_tokens(engine.deps, account_id)
    return [TokenListed.model_validate(t) for t in found]


@router.delete("/accounts/{account_id}/tokens/{token_id}", status_code=204, response_class=Response)
async def revoke_token(account_id: IdPath, token_id: IdPath, engine: EngineDep) -> Response:
    await accounts.revoke_token(engine.deps, account_id, token_id)
    return Response(status_code=204)
