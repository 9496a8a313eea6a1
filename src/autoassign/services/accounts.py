"""Accounts and API tokens: creating, listing and revoking them, and whose a token is.

A token is shown once and only its SHA-256 is stored, so a leaked database holds no
usable token. Tokens have Chatwoot's two roles: an administrator's token may do
everything in its account, an agent's token only the daily work (which routes those
are is the API's table, ``entrypoints/api/deps.py``).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass

from autoassign.core.ports.uow import ApiTokenView
from autoassign.services.context import Deps


class Role(enum.StrEnum):
    """Chatwoot's account roles; tokens made before roles existed are administrators."""

    ADMINISTRATOR = "administrator"
    AGENT = "agent"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a valid token speaks for."""

    account_id: int
    role: Role

    @property
    def is_administrator(self) -> bool:
        return self.role is Role.ADMINISTRATOR


@dataclass(frozen=True, slots=True)
class NewToken:
    token: ApiTokenView
    #: the token itself, shown this once
    api_access_token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class NewAccount:
    id: int
    name: str
    #: the account's first API token, shown this once
    api_access_token: str


async def create_account(deps: Deps, name: str) -> NewAccount:
    """An account and its first API token, in one transaction."""
    now = deps.clock.now()
    token = secrets.token_urlsafe(32)
    async with deps.uow.write() as uow:
        account_id = await uow.accounts.add(name, now)
        await uow.accounts.add_token(account_id, "default", token_hash(token), now)
    return NewAccount(account_id, name, token)


async def issue_token(deps: Deps, account_id: int, name: str) -> str:
    """A new API token for the account (AccountNotFound otherwise)."""
    token = secrets.token_urlsafe(32)
    async with deps.uow.write() as uow:
        await uow.accounts.add_token(account_id, name, token_hash(token), deps.clock.now())
    return token


async def account_for_token(deps: Deps, token: str) -> int | None:
    async with deps.uow.read() as uow:
        return await uow.accounts.owner_of_token(token_hash(token))


async def first_account_id(deps: Deps) -> int | None:
    async with deps.uow.read() as uow:
        return await uow.accounts.first_id()


async def create_token(deps: Deps, account_id: int, name: str, role: Role) -> NewToken:
    """A new token with a role (AccountNotFound for an unknown account)."""
    token = secrets.token_urlsafe(32)
    async with deps.uow.write() as uow:
        view = await uow.accounts.add_role_token(
            account_id, name, token_hash(token), role.value, deps.clock.now()
        )
    return NewToken(view, token)


async def identify(deps: Deps, token: str) -> Identity | None:
    """The account and role of a token; None when it is unknown or revoked."""
    async with deps.uow.read() as uow:
        found = await uow.accounts.token_identity(token_hash(token))
    return Identity(found[0], Role(found[1])) if found is not None else None


async def list_tokens(deps: Deps, account_id: int) -> list[ApiTokenView]:
    async with deps.uow.read() as uow:
        return await uow.accounts.tokens(account_id)


async def revoke_token(deps: Deps, account_id: int, token_id: int) -> None:
    """The token stops working at once (its hash is deleted)."""
    async with deps.uow.write() as uow:
        await uow.accounts.revoke_token(account_id, token_id)
