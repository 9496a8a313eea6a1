"""The webhook endpoint with a connection: signed deliveries, and bad input as 4xx."""

from __future__ import annotations

import json
import time

import httpx2

from autoassign.chatwoot.signature import sign
from tests.chatwoot.conftest import Stack, eventually
from tests.chatwoot.test_end_to_end import _connect, _directory


async def test_signed_deliveries_are_checked_and_bad_bodies_refused(stack: Stack):
    double = stack.double
    double.webhook_secret = "chatwoot-signing-secret"  # a version that signs
    ids = _directory(double)
    await _connect(stack)
    connection = (await stack.served.cx.store.connections())[0]
    assert connection.webhook_secret == "chatwoot-signing-secret"
    await double.new_conversation(ids["inbox"])
    await eventually(lambda: len(double.assignments) == 1)  # signed: accepted
    url = double.webhooks[0]["url"]
    body = json.dumps(
        {"event": "conversation_created", **double.conversation_payload(double.conversations[1])}
    ).encode()
    now = int(time.time())
    async with httpx2.AsyncClient(trust_env=False) as client:
        unsigned = await client.post(url, content=body)
        forged = await client.post(
            url,
            content=body,
            headers={
                "X-Chatwoot-Timestamp": str(now),
                "X-Chatwoot-Signature": sign("other", now, body),
            },
        )
        old = await client.post(
            url,
            content=body,
            headers={
                "X-Chatwoot-Timestamp": str(now - 3600),
                "X-Chatwoot-Signature": sign("chatwoot-signing-secret", now - 3600, body),
            },
        )
        bad = b'{"event": "conversation_created", "id": "x"}'
        shapeless = await client.post(
            url,
            content=bad,
            headers={
                "X-Chatwoot-Timestamp": str(now),
                "X-Chatwoot-Signature": sign("chatwoot-signing-secret", now, bad),
            },
        )
        ignored_body = b'{"event": "contact_created", "id": 4}'
        ignored = await client.post(
            url,
            content=ignored_body,
            headers={
                "X-Chatwoot-Timestamp": str(now),
                "X-Chatwoot-Signature": sign("chatwoot-signing-secret", now, ignored_body),
            },
        )
    assert [r.status_code for r in (unsigned, forged, old)] == [400, 400, 400]
    assert "required" in unsigned.json()["error"]
    assert shapeless.status_code == 422
    assert "id" in shapeless.json()["error"]
    assert ignored.status_code == 200
    assert ignored.json() == {"status": "ignored"}
    assert len(double.assignments) == 1
