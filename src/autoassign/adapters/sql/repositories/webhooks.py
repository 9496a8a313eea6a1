"""Webhooks: the URLs an account's events are POSTed to, with their signing secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from autoassign.adapters.sql import owned
from autoassign.adapters.sql.tables import accounts, webhooks
from autoassign.core.drafts import WebhookDraft, WebhookPatch


class SqlWebhooks:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, account_id: int, draft: WebhookDraft, secret: str, now: datetime) -> int:
        await owned.require(self._conn, accounts, [account_id], account_id)
        return await owned.insert(
            self._conn,
            webhooks,
            {
                "account_id": account_id,
                "url": draft.url,
                "subscriptions": sorted(set(draft.subscriptions)),
                "secret": secret,
                "created_at": now,
            },
        )

    async def update(self, account_id: int, webhook_id: int, patch: WebhookPatch) -> None:
        values: dict[str, Any] = dict(patch)
        if "subscriptions" in values:
            values["subscriptions"] = sorted(set(values["subscriptions"]))
        await owned.update(self._conn, webhooks, account_id, webhook_id, values)

    async def delete(self, account_id: int, webhook_id: int) -> None:
        await owned.delete(self._conn, webhooks, account_id, webhook_id)
