"""Webhook delivery: signed JSON POSTs from a durable outbox, never blocking a batch.

Deliveries are rows written with the assignment (``adapters.sql``); ``DeliveryRunner``
(``runner.py``) claims and sends them, a few per account at a time, and ``WebhookSender``
(``sender.py``) makes each attempt. Every POST is signed twice with the webhook's
secret (``signing.py``, which also holds ``verify`` for Python receivers). Anyone with
an account chooses the URL we POST to, so only public addresses and what the operator
allow-listed are ever connected to (``addresses.py``), and the connection is opened to
exactly the address that was checked (``transport.py``).

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
from autoassign.adapters.webhooks.runner import DeliveryRunner, Doorbell
from autoassign.adapters.webhooks.sender import DELIVERY_HEADER, EVENT_HEADER, WebhookSender
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
from autoassign.adapters.webhooks.transport import GuardedBackend, GuardedTransport
from autoassign.core.events import payload

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
    "DeliveryRunner",
    "Doorbell",
    "GuardedBackend",
    "GuardedTransport",
    "IPAddress",
    "IPNetwork",
    "Resolver",
    "SignatureError",
    "TargetRefused",
    "WebhookSender",
    "address_refusal",
    "payload",
    "sign",
    "sign_v1",
    "signing_key",
    "standard_secret",
    "system_resolve",
    "verify",
]
