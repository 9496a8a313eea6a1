"""API tokens (stored as SHA-256 hashes) and the webhook targets of accounts."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from autoassign.adapters.sql.records import Records, insert, require
from autoassign.adapters.sql.tables import accounts, api_tokens, webhooks
from autoassign.adapters.webhooks import WebhookTarget
from autoassign.core import errors


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, records: Records) -> None:
        self.records = records

    async def issue_token(self, account_id: int, name: str, now: datetime) -> str:
        """A new API token for the account; only its hash is kept, so show it once."""
        token = secrets.token_urlsafe(32)
        async with self.records.write() as conn:
            await require(conn, accounts, [account_id], account_id, errors.AccountNotFound)
            await insert(
                conn,
                api_tokens,
                {
                    "account_id": account_id,
                    "name": name,
                    "token_hash": token_hash(token),
                    "created_at": now,
                },
            )
        return token

    async def account_for_token(self, token: str) -> int | None:
        async with self.records.read() as conn:
            found = await conn.execute(
                sa.select(api_tokens.c.account_id).where(
                    api_tokens.c.token_hash == token_hash(token)
                )
            )
            account_id = found.scalar_one_or_none()
        return int(account_id) if account_id is not None else None

    async def webhook_targets(self, account_ids: set[int], event: str) -> Sequence[WebhookTarget]:
        if not account_ids:
            return []
        async with self.records.read() as conn:
            found = await conn.execute(
                sa.select(webhooks).where(webhooks.c.account_id.in_(account_ids))
            )
            targets = [
                WebhookTarget(
                    webhook_id=r.id,
                    account_id=r.account_id,
                    url=r.url,
                    secret=r.secret,
                    subscriptions=frozenset(r.subscriptions),
                )
                for r in found
            ]
        return [t for t in targets if event in t.subscriptions]

    async def first_account_id(self) -> int | None:
        async with self.records.read() as conn:
            found = await conn.execute(sa.select(sa.func.min(accounts.c.id)))
            value = found.scalar_one_or_none()
        return int(value) if value is not None else None
