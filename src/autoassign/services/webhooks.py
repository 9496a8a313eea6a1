"""Webhooks: where an account's assignment events are POSTed, signed with a secret, and
the log of what was sent to each (``services.deliveries`` sends them)."""

from __future__ import annotations

import secrets

from autoassign.core.deliveries import DeliveryView
from autoassign.core.drafts import WebhookDraft, WebhookPatch
from autoassign.core.views import Page, Paging, WebhookView
from autoassign.services.context import Deps


async def list_webhooks(deps: Deps, account_id: int) -> list[WebhookView]:
    async with deps.uow.read() as uow:
        return await uow.queries.webhooks(account_id)


async def get_webhook(deps: Deps, account_id: int, webhook_id: int) -> WebhookView:
    async with deps.uow.read() as uow:
        return await uow.queries.webhook(account_id, webhook_id)


async def create_webhook(deps: Deps, account_id: int, draft: WebhookDraft) -> WebhookView:
    """Each webhook gets its own random signing secret."""
    async with deps.uow.write() as uow:
        webhook_id = await uow.webhooks.add(
            account_id, draft, secrets.token_hex(32), deps.clock.now()
        )
        return await uow.queries.webhook(account_id, webhook_id)


async def update_webhook(
    deps: Deps, account_id: int, webhook_id: int, patch: WebhookPatch
) -> WebhookView:
    async with deps.uow.write() as uow:
        await uow.webhooks.update(account_id, webhook_id, patch)
        return await uow.queries.webhook(account_id, webhook_id)


async def delete_webhook(deps: Deps, account_id: int, webhook_id: int) -> None:
    async with deps.uow.write() as uow:
        await uow.webhooks.delete(account_id, webhook_id)


async def list_deliveries(
    deps: Deps, account_id: int, webhook_id: int, paging: Paging
) -> Page[DeliveryView]:
    """Newest first, each with its status and every attempt."""
    async with deps.uow.read() as uow:
        return await uow.deliveries.page(account_id, webhook_id, paging)


async def replay_delivery(
    deps: Deps, account_id: int, webhook_id: int, delivery_id: str
) -> DeliveryView:
    """Send it again, under the same delivery id (receivers that saw it drop it), with a
    new round of attempts; the deliverer is woken once this commits."""
    async with deps.uow.write() as uow:
        await uow.deliveries.replay(account_id, webhook_id, delivery_id, deps.clock.now())
        return await uow.deliveries.delivery(account_id, webhook_id, delivery_id)


async def pending_deliveries(deps: Deps) -> int:
    """Deliveries waiting for an attempt or a retry, every account together (metrics)."""
    async with deps.uow.read() as uow:
        return await uow.deliveries.pending()
