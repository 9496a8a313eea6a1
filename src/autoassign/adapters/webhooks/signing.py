"""Webhook signatures: what a delivery is signed with, and how a receiver checks it.

Every POST carries two signatures, made with one key:

* ``webhook-id`` / ``webhook-timestamp`` / ``webhook-signature: v1,<base64>`` per the
  Standard Webhooks scheme: HMAC-SHA256 of ``"{id}.{timestamp}.{body}"``. Signing the id
  and the attempt's timestamp lets a receiver reject replays (old timestamp) and
  duplicates (id already seen); ``verify`` does the checks for Python receivers.
* ``X-Autoassign-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body alone, kept
  for receivers written before the above; it does not protect against replays.

The key is the bytes of the webhook's secret exactly as the API shows it (64 hex
characters, taken as ASCII text, not hex-decoded). Standard Webhooks libraries expect
``whsec_<base64 of the key>``; ``standard_secret`` gives that form.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from autoassign.core import errors

SIGNATURE_HEADER = "X-Autoassign-Signature"
#: Standard Webhooks headers (lower case, as the specification spells them)
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
#: the prefix Standard Webhooks gives symmetric secrets
SECRET_PREFIX = "whsec_"
#: how far a receiver should let ``webhook-timestamp`` stray from its clock, in seconds
DEFAULT_TOLERANCE = 300.0


def signing_key(secret: str | bytes) -> bytes:
    """The HMAC key for a secret in any of the forms a receiver may hold it in.

    ``bytes`` are the key itself; ``whsec_<base64>`` (the Standard Webhooks form) is
    base64-decoded; any other string, such as the hex secret the API returns, is the key
    as its UTF-8 bytes, which is what the legacy ``X-Autoassign-Signature`` has always
    used. Keeping one key for both signatures means one secret to store and rotate.
    """
    if isinstance(secret, bytes):
        return secret
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except binascii.Error as exc:
            raise ValueError("a whsec_ secret must be base64 after the prefix") from exc
    return secret.encode()


def standard_secret(secret: str) -> str:
    """The webhook's secret as Standard Webhooks libraries take it: ``whsec_<base64>``.

    Handing such a library the hex secret itself would not fail loudly: hex digits are
    valid base64, so it would decode them into a different key and reject every delivery.
    """
    return SECRET_PREFIX + base64.b64encode(signing_key(secret)).decode()


def sign(secret: str, body: bytes) -> str:
    """The legacy ``X-Autoassign-Signature`` value: HMAC-SHA256 of the body alone."""
    return "sha256=" + hmac.new(signing_key(secret), body, hashlib.sha256).hexdigest()


def sign_v1(secret: str | bytes, delivery_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,`` and the base64 HMAC-SHA256 of
    ``"{delivery_id}.{timestamp}.{body}"``, so the id and the time are signed too."""
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class SignatureError(errors.InvalidSignature, ValueError):
    """A delivery that must not be trusted: forged, altered, replayed or malformed."""


def verify(
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes,
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> str:
    """Check a delivery as a receiver must; returns its ``webhook-id``.

    ``secret`` is the webhook's secret as the API showed it (or its ``whsec_`` form, or
    the raw key bytes); ``headers`` the request's headers (any case); ``body`` the raw
    bytes received, before any JSON parsing, since re-serialising changes them. Raises
    ``SignatureError`` unless ``webhook-timestamp`` is within ``tolerance`` seconds of
    ``now`` (default: the current time) and one ``v1`` signature in ``webhook-signature``
    matches. The timestamp check bounds how long a captured request can be replayed; to
    refuse replays inside that window, remember the returned id for ``tolerance``
    seconds and drop deliveries whose id you have already processed (retries of one
    delivery share their id, so this also makes processing idempotent).
    """
    lower = {name.lower(): value for name, value in headers.items()}
    delivery_id = lower.get(ID_HEADER, "")
    stamp = lower.get(TIMESTAMP_HEADER, "")
    signatures = lower.get(STANDARD_SIGNATURE_HEADER, "")
    if not (delivery_id and stamp and signatures):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not stamp.isascii() or not stamp.isdigit():
        raise SignatureError("webhook-timestamp is not a unix time in seconds")
    timestamp = int(stamp)
    skew = (time.time() if now is None else now) - timestamp
    if skew > tolerance:
        raise SignatureError(f"webhook-timestamp is {skew:.0f} s old (tolerance {tolerance:g} s)")
    if skew < -tolerance:
        raise SignatureError(f"webhook-timestamp is {-skew:.0f} s in the future")
    expected = sign_v1(secret, delivery_id, timestamp, body).encode()
    for candidate in signatures.split():  # several while a secret is being rotated
        if hmac.compare_digest(candidate.encode(), expected):
            return delivery_id
    raise SignatureError("no v1 signature matches (wrong secret, or the body was altered)")
