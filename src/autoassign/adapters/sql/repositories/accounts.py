"""Accounts and their API tokens (only a token's SHA-256 is stored)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned
from autoassign.adapters.sql.tables import accounts, api_tokens


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
