"""Webhooks: where assignment events are POSTed, signed with the webhook's secret."""

from __future__ import annotations

import secrets

from fastapi import Response

from autoassign.adapters.sql.tables import webhooks
from autoassign.core import errors
from autoassign.entrypoints.api.deps import AccountDep, EngineDep, IdPath
from autoassign.entrypoints.api.routes._common import account_router
from autoassign.entrypoints.api.schemas.policies import (
    WebhookCreate,
    WebhookList,
    WebhookPublic,
    WebhookUpdate,
)

router = account_router("webhooks")


class WebhookNotFound(errors.NotFound):
    kind = "webhook"


@router.get("/webhooks", response_model=WebhookList)
async def list_webhooks(account_id: AccountDep, engine: EngineDep) -> WebhookList:
    rows = await engine.records.all(webhooks, account_id)
    return WebhookList(payload=[WebhookPublic.model_validate(r) for r in rows])


@router.post("/webhooks", response_model=WebhookPublic)
async def create_webhook(
    account_id: AccountDep, body: WebhookCreate, engine: EngineDep
) -> WebhookPublic:
    row = await engine.records.insert(
        webhooks,
        {
            "account_id": account_id,
            "url": str(body.url),
            "subscriptions": sorted(set(body.subscriptions)),
            "secret": secrets.token_hex(32),
            "created_at": engine.clock.now(),
        },
    )
    return WebhookPublic.model_validate(row)


@router.get("/webhooks/{webhook_id}", response_model=WebhookPublic)
async def get_webhook(
    account_id: AccountDep, webhook_id: IdPath, engine: EngineDep
) -> WebhookPublic:
    row = await engine.records.get(webhooks, account_id, webhook_id, WebhookNotFound)
    return WebhookPublic.model_validate(row)


@router.patch("/webhooks/{webhook_id}", response_model=WebhookPublic)
async def update_webhook(
    account_id: AccountDep, webhook_id: IdPath, body: WebhookUpdate, engine: EngineDep
) -> WebhookPublic:
    values: dict[str, object] = {}
    if body.url is not None:
        values["url"] = str(body.url)
    if body.subscriptions is not None:
        values["subscriptions"] = sorted(set(body.subscriptions))
    row = await engine.records.update(webhooks, account_id, webhook_id, values, WebhookNotFound)
    return WebhookPublic.model_validate(row)


@router.delete("/webhooks/{webhook_id}", status_code=204, response_class=Response)
async def delete_webhook(account_id: AccountDep, webhook_id: IdPath, engine: EngineDep) -> Response:
    await engine.records.delete(webhooks, account_id, webhook_id, WebhookNotFound)
    return Response(status_code=204)
