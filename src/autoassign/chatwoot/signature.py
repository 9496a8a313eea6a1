"""Chatwoot's webhook signature (newer versions): ``X-Chatwoot-Signature`` is
``sha256=`` + hex HMAC-SHA256(secret, "{X-Chatwoot-Timestamp}.{raw body}").

The sender has no replay protection, so the timestamp must be recent (both ways), and
deliveries are deduplicated by ``X-Chatwoot-Delivery`` on top of this.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE = "x-chatwoot-signature"
TIMESTAMP = "x-chatwoot-timestamp"
DELIVERY = "x-chatwoot-delivery"
#: seconds a signed delivery may be early or late
TOLERANCE = 300


class SignatureError(ValueError):
    """The delivery is not signed with the connection's secret, or is too old."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, now: float, tolerance: int = TOLERANCE
) -> None:
    """Raise SignatureError unless the headers sign ``body`` with ``secret`` recently."""
    given = headers.get(SIGNATURE, "")
    raw_time = headers.get(TIMESTAMP, "")
    if not given or not raw_time:
        raise SignatureError(f"{SIGNATURE} and {TIMESTAMP} are required: the webhook is signed")
    try:
        sent = int(raw_time)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP} must be unix seconds") from None
    if abs(now - sent) > tolerance:
        raise SignatureError(f"{TIMESTAMP} is more than {tolerance} s away from now")
    if not hmac.compare_digest(given.encode(), sign(secret, sent, body).encode()):
        raise SignatureError(f"{SIGNATURE} does not match the body")
