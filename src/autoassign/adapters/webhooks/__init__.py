"""Webhook delivery: signed JSON POSTs, retried with backoff, never blocking a batch.

``WebhookSink`` (``sink.py``) turns events into deliveries for the webhooks subscribed to
them; ``WebhookDispatcher`` (``dispatcher.py``) sends them from background tasks. Every
POST is signed twice with the webhook's secret (``signing.py``, which also holds
``verify`` for Python receivers). Anyone with an account chooses the URL we POST to, so
only public addresses and what the operator allow-listed are ever connected to
(``addresses.py``), and the connection is opened to exactly the address that was checked
(``transport.py``).

The names below are the package's interface; importers should not need the modules.
"""

from __future__ import annotations

from autoassign.adapters.webhooks.addresses import (
    AddressPolicy,
    AllowList,
    IPAddress,
    IPNetwork,
    Resolver,
    TargetRefused,
    address_refusal,
    system_resolve,
)
from autoassign.adapters.webhooks.dispatcher import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    Delivery,
    WebhookDispatcher,
)
from autoassign.adapters.webhooks.signing import (
    DEFAULT_TOLERANCE,
    ID_HEADER,
    SECRET_PREFIX,
    SIGNATURE_HEADER,
    STANDARD_SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    sign,
    sign_v1,
    signing_key,
    standard_secret,
    verify,
)
from autoassign.adapters.webhooks.sink import WebhookLookup, WebhookSink, payload
from autoassign.adapters.webhooks.transport import GuardedBackend, GuardedTransport

__all__ = [
    "DEFAULT_TOLERANCE",
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "ID_HEADER",
    "SECRET_PREFIX",
    "SIGNATURE_HEADER",
    "STANDARD_SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AddressPolicy",
    "AllowList",
    "Delivery",
    "GuardedBackend",
    "GuardedTransport",
    "IPAddress",
    "IPNetwork",
    "Resolver",
    "SignatureError",
    "TargetRefused",
    "WebhookDispatcher",
    "WebhookLookup",
    "WebhookSink",
    "address_refusal",
    "payload",
    "sign",
    "sign_v1",
    "signing_key",
    "standard_secret",
    "system_resolve",
    "verify",
]
