"""API tokens of an account: list, create with a role, revoke (administrators only).

A token is shown once, when created; listing shows its id, name and role. Revoking
deletes its hash, so it stops working at the next request.
"""

from __future__ import annotations

from fastapi import Response

from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router
from autoassign.entrypoints.api.schemas.policies import TokenCreate, TokenListed, TokenPublic
from autoassign.services import accounts

router = account_router("api tokens")


@router.get("/tokens", response_model=list[TokenListed])
async def list_tokens(account_id: AccountDep, engine: EngineDep) -> list[TokenListed]:
    found = await accounts.list_tokens(engine.deps, account_id)
    return [TokenListed.model_validate(t) for t in found]


@router.post("/tokens", response_model=TokenPublic)
async def create_token(account_id: AccountDep, body: TokenCreate, engine: EngineDep) -> TokenPublic:
    """The token is in this response only: store it now."""
    new = await accounts.create_token(engine.deps, account_id, body.name, body.role)
    return render_new_token(new)


@router.delete("/tokens/{token_id}", status_code=204, response_class=Response)
async def revoke_token(account_id: AccountDep, token_id: IdPath, engine: EngineDep) -> Response:
    await accounts.revoke_token(engine.deps, account_id, token_id)
    return Response(status_code=204)


def render_new_token(new: accounts.NewToken) -> TokenPublic:
    t = new.token
    return TokenPublic(
        id=t.id,
        account_id=t.account_id,
        name=t.name,
        role=accounts.Role(t.role),
        created_at=t.created_at,
        api_access_token=new.api_access_token,
    )
