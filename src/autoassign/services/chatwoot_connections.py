"""Connecting a Chatwoot account, receiving its webhooks, and the connection's state.

Received webhooks are checked (who sent it, signature, shape) and stored, not applied:
the connector's runner applies them in the order they arrived, one connection at a
time, so two deliveries never race on one conversation, and a delivery that arrives
while the runner is down waits in the table instead of being lost (Chatwoot does not
retry webhooks). A delivery seen before (same ``X-Chatwoot-Delivery``, or the same body
when there is none) is dropped here.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from urllib.parse import urlsplit

from autoassign.chatwoot import payloads, signature
from autoassign.chatwoot.ports import ChatwootRejected
from autoassign.chatwoot.records import Connection, IgnoredEvent, WritebackCounts
from autoassign.core import errors
from autoassign.services import accounts
from autoassign.services.chatwoot_context import Connector
from autoassign.services.chatwoot_sync import sync
from autoassign.services.context import Changed

logger = logging.getLogger(__name__)
WEBHOOK_PATH = "/chatwoot/webhooks/"
#: accepted: stored for the connector; duplicate: received before; ignored: not used
Outcome = Literal["accepted", "duplicate", "ignored"]


class UnknownWebhook(errors.NotFound):
    kind = "Chatwoot webhook"

    def __init__(self) -> None:
        super().__init__("")
        self.message = "no Chatwoot connection has this webhook address"
        self.args = (self.message,)


class NotConnected(errors.NotFound):
    kind = "Chatwoot connection of account"


@dataclass(frozen=True, slots=True)
class Connected:
    connection: Connection
    #: the secret part of the webhook address, shown this once
    webhook_token: str
    #: the full address, when the public URL of autoassign was given
    webhook_url: str | None
    #: whether the webhook was registered in Chatwoot (it was missing)
    webhook_registered: bool
    #: a new account's administrator token, when the account was created here
    api_access_token: str | None


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    connection: Connection
    waiting_webhooks: int
    writebacks: WritebackCounts


def webhook_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.InvalidValue(f"{url!r} is not an http(s) URL", field="url")
    return url.rstrip("/")


async def connect(
    cx: Connector,
    *,
    base_url: str,
    chatwoot_account_id: int,
    api_token: str,
    account_id: int | None = None,
    public_url: str | None = None,
    webhook_secret: str | None = None,
) -> Changed[Connected]:
    """Check the token, store the connection, register the webhook (when autoassign's
    public URL is given), and sync the directory once."""
    base = _base_url(base_url)
    probe = Connection(0, account_id or 0, base, chatwoot_account_id, api_token, None, cx.now())
    api = cx.api(probe)
    try:
        await api.agents()
    except ChatwootRejected as exc:
        raise errors.InvalidInput(f"Chatwoot refused the token or account: {exc.message}") from exc
    finally:
        await api.aclose()
    new_token = None
    if account_id is None:
        created = await accounts.create_account(cx.deps, f"Chatwoot {base} #{chatwoot_account_id}")
        account_id, new_token = created.id, created.api_access_token
    token = secrets.token_urlsafe(32)
    # held while it is set up, so a running connector does not sync it at the same time
    # (two syncs would both create the same agents)
    owner = f"connect:{secrets.token_hex(8)}"
    connection = await cx.store.add_connection(
        account_id,
        base,
        chatwoot_account_id,
        api_token,
        webhook_hash(token),
        webhook_secret,
        cx.now(),
        lease=(owner, cx.now() + timedelta(minutes=10)),
    )
    try:
        url = _base_url(public_url) + WEBHOOK_PATH + token if public_url else None
        registered = False
        if url is not None:
            registered = await _register_webhook(cx, connection, url, webhook_secret)
        run = await sync(cx, connection)
    finally:
        await cx.store.release(connection.id, owner)
    connection = await cx.store.connection(account_id) or connection
    return Changed(Connected(connection, token, url, registered, new_token), run)


async def _register_webhook(
    cx: Connector, connection: Connection, url: str, webhook_secret: str | None
) -> bool:
    """Subscribe ``url`` unless it is already; keep the signing secret Chatwoot answers
    (newer versions), unless the operator gave one."""
    api = cx.api(connection)
    try:
        if url in await api.webhook_urls():
            return False
        secret = await api.add_webhook(url, payloads.SUBSCRIPTIONS)
    finally:
        await api.aclose()
    if secret and not webhook_secret:
        await cx.store.set_webhook_secret(connection.id, secret)
    return True


async def disconnect(cx: Connector, account_id: int) -> None:
    """Forget the connection and its links; autoassign's copies stay as they are."""
    if not await cx.store.remove_connection(account_id):
        raise NotConnected(account_id)


async def status(cx: Connector, account_id: int) -> ConnectionStatus:
    connection = await cx.store.connection(account_id)
    if connection is None:
        raise NotConnected(account_id)
    waiting = await cx.store.pending_inbound(connection.id, 10_000)
    counts = await cx.store.writeback_counts(connection.id)
    return ConnectionStatus(connection, len(waiting), counts)


async def receive(
    cx: Connector, token: str, headers: Mapping[str, str], body: bytes
) -> tuple[int, Outcome]:
    """Check and store one delivery; returns the connection's id and ``accepted``,
    ``duplicate`` or ``ignored``. UnknownWebhook, InvalidSignature, InvalidValue."""
    connection = await cx.store.connection_by_webhook(webhook_hash(token))
    if connection is None:
        raise UnknownWebhook()
    if connection.webhook_secret:
        try:
            signature.verify(connection.webhook_secret, headers, body, cx.now().timestamp())
        except signature.SignatureError as exc:
            raise errors.InvalidSignature(str(exc)) from exc
    try:
        found = payloads.event(body)
        text = body.decode("utf-8")
    except (payloads.PayloadError, UnicodeDecodeError) as exc:
        raise errors.InvalidValue(f"not a Chatwoot webhook payload: {exc}") from exc
    if isinstance(found, IgnoredEvent):
        return connection.id, "ignored"
    delivery = headers.get(signature.DELIVERY) or hashlib.sha256(body).hexdigest()
    added = await cx.store.add_inbound(connection.id, delivery[:128], found.event, text, cx.now())
    return connection.id, "accepted" if added else "duplicate"
