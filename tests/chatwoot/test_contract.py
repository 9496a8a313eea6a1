"""Contract tests against Chatwoot's OpenAPI description: every request the connector
sends validates against it (the double checks each one), and the connector reads the
responses the document describes (the double synthesises them from its schemas)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from autoassign.adapters.chatwoot import HttpChatwootApi
from autoassign.chatwoot import payloads
from autoassign.chatwoot.ports import ChatwootRejected, ChatwootUnavailable
from autoassign.core.model import Presence
from tests.chatwoot.double import ACCOUNT, TOKEN, ChatwootDouble


@pytest.fixture
async def double() -> AsyncIterator[ChatwootDouble]:
    found = ChatwootDouble()
    await found.start()
    yield found
    await found.close()


def _api(double: ChatwootDouble, token: str = TOKEN) -> HttpChatwootApi:
    return HttpChatwootApi(double.url, ACCOUNT, token, timeout=2)


async def test_every_operation_the_connector_uses_validates_and_reads(double: ChatwootDouble):
    ann = double.add_agent("Ann")
    bob = double.add_agent("Bob", availability="busy")
    inbox = double.add_inbox("Support", [ann, bob])
    team = double.add_team("Billing", [bob])
    conversation = await double.new_conversation(inbox)
    api = _api(double)
    try:
        agents = await api.agents()
        assert [(a.id, a.name, a.availability) for a in agents] == [
            (ann, "Ann", Presence.ONLINE),  # the document's "available"
            (bob, "Bob", Presence.BUSY),
        ]
        assert [(i.id, i.name) for i in await api.inboxes()] == [(inbox, "Support")]
        assert await api.inbox_member_ids(inbox) == [ann, bob]
        assert [(t.id, t.name) for t in await api.teams()] == [(team, "Billing")]
        assert await api.team_member_ids(team) == [bob]
        assert await api.conversation_assignee(conversation.id) is None
        await api.assign(conversation.id, ann)
        assert await api.conversation_assignee(conversation.id) == ann
        assert await api.add_webhook("http://127.0.0.1:1/hook", payloads.SUBSCRIPTIONS) is None
        assert await api.webhook_urls() == {"http://127.0.0.1:1/hook": 1}
    finally:
        await api.aclose()
    used = {r.operation for r in double.requests}
    assert used == {
        "get-account-agents",
        "listAllInboxes",
        "get-inbox-members",
        "list-all-teams",
        "get-team-members",
        "get-details-of-a-conversation",
        "assign-a-conversation",
        "create-a-webhook",
        "list-all-webhooks",
    }
    assert double.invalid_requests() == []


async def test_the_double_refuses_what_the_document_does_not_describe(double: ChatwootDouble):
    """The validation the other tests rely on: a wrong body is caught."""
    async with httpx2.AsyncClient(base_url=double.url, trust_env=False) as client:
        wrong = await client.post(
            f"/api/v1/accounts/{ACCOUNT}/conversations/1/assignments",
            json={"assignee_id": "five"},
            headers={"api_access_token": TOKEN},
        )
        anonymous = await client.get(f"/api/v1/accounts/{ACCOUNT}/agents")
    assert wrong.status_code == 400
    assert anonymous.status_code == 400
    assert [r.operation for r in double.invalid_requests()] == [
        "assign-a-conversation",
        "get-account-agents",
    ]


async def test_errors_are_told_apart(double: ChatwootDouble):
    api = _api(double, token="wrong")
    with pytest.raises(ChatwootRejected) as refused:
        await api.agents()
    assert refused.value.status == 401
    await api.aclose()
    await double.stop()
    api = _api(double)
    with pytest.raises(ChatwootUnavailable):
        await api.agents()
    await api.aclose()
    await double.start()


def test_payloads_read_both_spellings_and_name_bad_fields():
    assert (
        payloads.agent({"id": 5, "availability_status": "online"}).availability is Presence.ONLINE
    )
    assert payloads.agent({"id": 5}).availability is Presence.OFFLINE
    assert payloads.agent({"id": 5.0, "name": ""}).name == "agent 5"
    with pytest.raises(payloads.PayloadError, match=r"agents\[0\].id"):
        payloads.agents([{"id": "x"}])
    with pytest.raises(payloads.PayloadError, match="status"):
        payloads.conversation({"id": 1, "inbox_id": 2, "status": "closed"})
    found = payloads.conversation(
        {
            "id": 1,
            "inbox_id": 2,
            "status": "snoozed",
            "created_at": "2025-01-01T10:00:00.000Z",
            "timestamp": "1735725600",
            "updated_at": 1735725600.5,
            "meta": {"assignee": {"id": 9, "type": "agent_bot"}, "team": {"id": 3}},
        }
    )
    assert found.assignee_id is None
    assert found.assignee_is_other
    assert found.team_id == 3
    assert found.version == 1735725600.5
    assert found.last_activity_at.timestamp() == 1735725600
    assert isinstance(
        payloads.event(b'{"event": "contact_created", "id": 1}'),
        type(payloads.event(b'{"event": "webwidget_triggered"}')),
    )
    with pytest.raises(payloads.PayloadError, match="JSON"):
        payloads.event(b"{")
