"""Accounts and API tokens: creating them, and who a token belongs to.

A token is shown once and only its SHA-256 is stored, so a leaked database holds no
usable token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from autoassign.services.context import Deps


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
