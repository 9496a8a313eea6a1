"""Standard Webhooks signatures: what we send, and ``verify`` as a receiver uses it.

The expected values are computed here from the specification's recipe with hmac and
base64 directly, not with the module's helpers, so a mistake in those cannot hide.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from autoassign.adapters.webhooks import (
    SignatureError,
    WebhookSender,
    sign,
    sign_v1,
    signing_key,
    standard_secret,
    verify,
)
from autoassign.core.ports.deliveries import OutgoingDelivery

SECRET = "5f2b" * 16  # the API's form: 64 hex characters
BODY = b'{"event":"assignee_changed","conversation_id":7}'
NOW = 1_790_000_000
ID = "0b5bb6e6-2a4e-4c0e-9d34-0d3e8f2f6a11"


def reference_signature(key: bytes, delivery_id: str, timestamp: int, body: bytes) -> str:
    signed = delivery_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(
    signature: str | None = None, *, delivery_id: str = ID, timestamp: int = NOW
) -> dict[str, str]:
    if signature is None:
        signature = reference_signature(SECRET.encode(), delivery_id, timestamp, BODY)
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def test_v1_signature_follows_the_specification_with_the_secret_text_as_key():
    expected = reference_signature(SECRET.encode("ascii"), ID, NOW, BODY)
    assert sign_v1(SECRET, ID, NOW, BODY) == expected


def test_legacy_signature_is_unchanged():
    expected = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY) == expected


def test_the_standard_secret_form_carries_the_same_key():
    whsec = standard_secret(SECRET)
    assert whsec.startswith("whsec_")
    assert base64.b64decode(whsec.removeprefix("whsec_")) == SECRET.encode()
    assert signing_key(whsec) == signing_key(SECRET) == signing_key(SECRET.encode())
    assert sign_v1(whsec, ID, NOW, BODY) == sign_v1(SECRET, ID, NOW, BODY)
    with pytest.raises(ValueError, match="base64"):
        signing_key("whsec_not base64!")


@pytest.mark.parametrize("secret", [SECRET, standard_secret(SECRET), SECRET.encode()])
def test_verify_accepts_a_genuine_delivery_in_every_secret_form(secret: str | bytes):
    assert verify(secret, headers(), BODY, now=NOW) == ID


def test_verify_takes_headers_in_any_case_and_any_matching_signature():
    mixed = {k.title(): v for k, v in headers().items()}
    assert verify(SECRET, mixed, BODY, now=NOW) == ID
    rotated = "v1,AAAA" + " " + headers()["webhook-signature"] + " v1a,ignored"
    assert verify(SECRET, headers(rotated), BODY, now=NOW) == ID


def test_verify_rejects_a_tampered_body():
    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify(SECRET, headers(), BODY.replace(b"7", b"8"), now=NOW)
    with pytest.raises(SignatureError):
        verify(SECRET, headers(), BODY + b" ", now=NOW)


def test_verify_rejects_the_wrong_secret():
    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify("0" * 64, headers(), BODY, now=NOW)
    # the hex secret hex-decoded is a different key: a receiver must not do that
    with pytest.raises(SignatureError):
        verify(bytes.fromhex(SECRET), headers(), BODY, now=NOW)


def test_verify_rejects_a_signature_moved_to_another_id_or_time():
    genuine = headers()["webhook-signature"]
    with pytest.raises(SignatureError):
        verify(SECRET, headers(genuine, delivery_id="another-id"), BODY, now=NOW)
    # replaying the body with a fresh timestamp needs a fresh signature
    with pytest.raises(SignatureError):
        verify(SECRET, headers(genuine, timestamp=NOW + 60), BODY, now=NOW + 60)


def test_verify_rejects_old_and_future_timestamps():
    signed_then = headers()
    assert verify(SECRET, signed_then, BODY, tolerance=300, now=NOW + 300) == ID
    with pytest.raises(SignatureError, match="old"):
        verify(SECRET, signed_then, BODY, tolerance=300, now=NOW + 301)
    with pytest.raises(SignatureError, match="future"):
        verify(SECRET, signed_then, BODY, tolerance=300, now=NOW - 301)
    with pytest.raises(SignatureError, match="old"):
        verify(SECRET, signed_then, BODY, tolerance=5, now=NOW + 6)


def test_verify_uses_the_current_time_by_default():
    with pytest.raises(SignatureError, match="old"):
        verify(SECRET, headers(), BODY)  # NOW is in 2026: long past by any clock running this


@pytest.mark.parametrize(
    "broken",
    [
        {"webhook-id": ""},
        {"webhook-timestamp": ""},
        {"webhook-signature": ""},
        {"webhook-timestamp": "1790000000.5"},
        {"webhook-timestamp": "-1790000000"},
        {"webhook-timestamp": "\uff11\uff17\uff19"},  # fullwidth digits: isdigit(), not ASCII
        {"webhook-signature": "v1,%%%"},
        {"webhook-signature": "sha256=" + "0" * 64},
    ],
)
def test_verify_rejects_malformed_headers(broken: dict[str, str]):
    with pytest.raises(SignatureError):
        verify(SECRET, {**headers(), **broken}, BODY, now=NOW)


async def test_each_attempt_is_signed_with_its_own_time_under_the_same_id():
    clock = iter([NOW, NOW + 90])
    sender = WebhookSender(now=lambda: next(clock))
    delivery = OutgoingDelivery(
        id=1,
        delivery_id="0b6d7c5e-8f41-4a43-9c1e-4d1f0a2b3c4d",
        account_id=1,
        webhook_id=1,
        url="https://hooks.example.test/",
        secret=SECRET,
        event="assignee_changed",
        body=BODY,
        attempts=0,
    )
    first = sender.headers(delivery)
    second = sender.headers(delivery)  # a retry resends the same row
    assert first["webhook-id"] == second["webhook-id"] == delivery.delivery_id
    assert first["X-Autoassign-Delivery"] == delivery.delivery_id
    assert (first["webhook-timestamp"], second["webhook-timestamp"]) == (str(NOW), str(NOW + 90))
    assert first["webhook-signature"] != second["webhook-signature"]
    assert verify(SECRET, first, BODY, now=NOW) == delivery.delivery_id
    assert verify(SECRET, second, BODY, now=NOW + 90) == delivery.delivery_id
    assert first["X-Autoassign-Signature"] == second["X-Autoassign-Signature"] == sign(SECRET, BODY)
    await sender.aclose()
