"""The platform API: create accounts and their API tokens (AUTOASSIGN_ADMIN_TOKEN)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header

from autoassign.core import errors
from autoassign.entrypoints.api.deps import EngineDep, IdPath
from autoassign.entrypoints.api.errors import ERROR_RESPONSES
from autoassign.entrypoints.api.schemas.policies import (
    AccountCreate,
    AccountWithToken,
    TokenCreate,
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
    token = await accounts.issue_token(engine.deps, account_id, body.name)
    return TokenPublic(account_id=account_id, api_access_token=token)
