"""Webhooks: where assignment events are POSTed, signed with the webhook's secret."""

from __future__ import annotations

from fastapi import Response

from autoassign.core.drafts import WebhookDraft, WebhookPatch
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router
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
