"""Webhooks: where assignment events are POSTed, signed with the webhook's secret, and
the log of their deliveries (with replay)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query, Response

from autoassign.core.drafts import WebhookDraft, WebhookPatch
from autoassign.core.views import Paging
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router
from autoassign.entrypoints.api.schemas.common import PageMeta
from autoassign.entrypoints.api.schemas.deliveries import DeliveryPage, DeliveryPublic
from autoassign.entrypoints.api.schemas.policies import (
    WebhookCreate,
    WebhookList,
    WebhookPublic,
    WebhookUpdate,
)
from autoassign.services import webhooks

router = account_router("webhooks")


@router.get("/webhooks", response_model=WebhookList)
async def list_webhooks(account_id: AccountDep, engine: EngineDep) -> WebhookList:
    found = await webhooks.list_webhooks(engine.deps, account_id)
    return WebhookList(payload=[WebhookPublic.model_validate(w) for w in found])


@router.post("/webhooks", response_model=WebhookPublic)
async def create_webhook(
    account_id: AccountDep, body: WebhookCreate, engine: EngineDep
) -> WebhookPublic:
    draft = WebhookDraft(url=str(body.url), subscriptions=body.subscriptions)
    return WebhookPublic.model_validate(
        await webhooks.create_webhook(engine.deps, account_id, draft)
    )


@router.get("/webhooks/{webhook_id}", response_model=WebhookPublic)
async def get_webhook(
    account_id: AccountDep, webhook_id: IdPath, engine: EngineDep
) -> WebhookPublic:
    return WebhookPublic.model_validate(
        await webhooks.get_webhook(engine.deps, account_id, webhook_id)
    )


@router.patch("/webhooks/{webhook_id}", response_model=WebhookPublic)
async def update_webhook(
    account_id: AccountDep, webhook_id: IdPath, body: WebhookUpdate, engine: EngineDep
) -> WebhookPublic:
    patch = WebhookPatch()
    if body.url is not None:
        patch["url"] = str(body.url)
    if body.subscriptions is not None:
        patch["subscriptions"] = body.subscriptions
    return WebhookPublic.model_validate(
        await webhooks.update_webhook(engine.deps, account_id, webhook_id, patch)
    )


@router.delete("/webhooks/{webhook_id}", status_code=204, response_class=Response)
async def delete_webhook(account_id: AccountDep, webhook_id: IdPath, engine: EngineDep) -> Response:
    await webhooks.delete_webhook(engine.deps, account_id, webhook_id)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=DeliveryPage)
async def list_deliveries(
    account_id: AccountDep,
    webhook_id: IdPath,
    engine: EngineDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
) -> DeliveryPage:
    """Newest first, each with its status and every attempt (kept AUTOASSIGN_WEBHOOK_LOG_DAYS)."""
    found = await webhooks.list_deliveries(
        engine.deps, account_id, webhook_id, Paging(page, per_page)
    )
    return DeliveryPage(
        meta=PageMeta(page=found.page, per_page=found.per_page, total=found.total),
        payload=[DeliveryPublic.model_validate(d) for d in found.items],
    )


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/replay", response_model=DeliveryPublic
)
async def replay_delivery(
    account_id: AccountDep,
    webhook_id: IdPath,
    delivery_id: Annotated[uuid.UUID, Path()],
    engine: EngineDep,
) -> DeliveryPublic:
    """Send it again with the same delivery id (receivers that processed it can drop
    it), with a new round of attempts."""
    return DeliveryPublic.model_validate(
        await webhooks.replay_delivery(engine.deps, account_id, webhook_id, str(delivery_id))
    )
