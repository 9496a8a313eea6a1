"""The platform API: create accounts and their API tokens (AUTOASSIGN_ADMIN_TOKEN)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header

from autoassign.core import errors
from autoassign.core.model import Account
from autoassign.entrypoints.api.deps import EngineDep, IdPath
from autoassign.entrypoints.api.errors import ERROR_RESPONSES
from autoassign.entrypoints.api.schemas.policies import (
    AccountCreate,
    AccountWithToken,
    TokenCreate,
    TokenPublic,
)


async def require_admin(
    engine: EngineDep,
    api_access_token: Annotated[
        str | None, Header(alias="api_access_token", convert_underscores=False, max_length=512)
    ] = None,
) -> None:
    expected = engine.settings.admin_token
    if not expected:
        raise errors.NotAuthenticated("the platform API is off: set AUTOASSIGN_ADMIN_TOKEN")
    if not api_access_token or not hmac.compare_digest(api_access_token, expected):
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
    now = engine.clock.now()
    account = await engine.catalog.add_account(Account(0, body.name), now)
    token = await engine.accounts.issue_token(account.id, "default", now)
    return AccountWithToken(id=account.id, name=account.name, api_access_token=token)


@router.post("/accounts/{account_id}/tokens", response_model=TokenPublic)
async def create_token(account_id: IdPath, body: TokenCreate, engine: EngineDep) -> TokenPublic:
    token = await engine.accounts.issue_token(account_id, body.name, engine.clock.now())
    return TokenPublic(account_id=account_id, api_access_token=token)
