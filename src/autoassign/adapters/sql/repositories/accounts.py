"""Accounts and their API tokens (only a token's SHA-256 is stored)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned
from autoassign.adapters.sql.tables import accounts, api_tokens
from autoassign.core import errors
from autoassign.core.ports.uow import ApiTokenView


class SqlAccounts:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, name: str, now: datetime) -> int:
        return await owned.insert(self._conn, accounts, {"name": name, "created_at": now})

    async def require(self, account_id: int) -> None:
        await owned.require(self._conn, accounts, [account_id], account_id)

    async def add_token(self, account_id: int, name: str, token_hash: str, now: datetime) -> None:
        await self.require(account_id)
        await owned.insert(
            self._conn,
            api_tokens,
            {"account_id": account_id, "name": name, "token_hash": token_hash, "created_at": now},
        )

    async def owner_of_token(self, token_hash: str) -> int | None:
        found = await self._conn.execute(
            sa.select(api_tokens.c.account_id).where(api_tokens.c.token_hash == token_hash)
        )
        account_id = found.scalar_one_or_none()
        return int(account_id) if account_id is not None else None

    async def first_id(self) -> int | None:
        value = (await self._conn.execute(sa.select(sa.func.min(accounts.c.id)))).scalar()
        return int(value) if value is not None else None

    async def add_role_token(
        self, account_id: int, name: str, token_hash: str, role: str, now: datetime
    ) -> ApiTokenView:
        await self.require(account_id)
        values = {
            "account_id": account_id,
            "name": name,
            "token_hash": token_hash,
            "role": role,
            "created_at": now,
        }
        token_id = await owned.insert(self._conn, api_tokens, values)
        return ApiTokenView(token_id, account_id, name, role, now)

    async def token_identity(self, token_hash: str) -> tuple[int, str] | None:
        found = await self._conn.execute(
            sa.select(api_tokens.c.account_id, api_tokens.c.role).where(
                api_tokens.c.token_hash == token_hash
            )
        )
        row = found.one_or_none()
        return (int(row.account_id), str(row.role)) if row is not None else None

    async def tokens(self, account_id: int) -> list[ApiTokenView]:
        await self.require(account_id)
        t = api_tokens.c
        found = await self._conn.execute(
            sa.select(t.id, t.account_id, t.name, t.role, t.created_at)
            .where(t.account_id == account_id)
            .order_by(t.id)
        )
        return [ApiTokenView(r.id, r.account_id, r.name, r.role, r.created_at) for r in found]

    async def revoke_token(self, account_id: int, token_id: int) -> None:
        await self.require(account_id)
        done = await self._conn.execute(
            sa.delete(api_tokens).where(
                api_tokens.c.id == token_id, api_tokens.c.account_id == account_id
            )
        )
        if done.rowcount == 0:
            raise errors.TokenNotFound(token_id)
