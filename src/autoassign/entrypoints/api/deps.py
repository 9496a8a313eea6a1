"""Dependencies: the engine, and the account the api_access_token belongs to."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Request

from autoassign.bootstrap import Engine
from autoassign.core import errors
from autoassign.entrypoints.api.schemas.common import MAX_ID
from autoassign.services import accounts


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


async def current_account(
    account_id: IdPath,
    engine: EngineDep,
    api_access_token: Annotated[
        str | None,
        Header(alias="api_access_token", convert_underscores=False, max_length=512),
    ] = None,
) -> int:
    """The path's account, if the token belongs to it. Another account's token gets 404
    (not 403), so account ids do not leak."""
    if not api_access_token:
        raise errors.NotAuthenticated("the api_access_token header is required")
    owner = await accounts.account_for_token(engine.deps, api_access_token)
    if owner is None:
        raise errors.NotAuthenticated("the api_access_token is not valid")
    if owner != account_id:
        raise errors.AccountNotFound(account_id)
    return account_id


AccountDep = Annotated[int, Depends(current_account)]
ACCOUNT_PREFIX = "/api/v1/accounts/{account_id}"
