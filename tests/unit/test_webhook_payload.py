from __future__ import annotations

import json
from dataclasses import fields

from autoassign.adapters.webhooks import payload
from autoassign.core.events import ConversationAssigned
from tests.factories import T0


def test_payload_carries_every_event_field_under_its_public_name():
    event = ConversationAssigned(
        account_id=1,
        inbox_id=2,
        conversation_id=3,
        agent_id=4,
        policy_id=None,
        assigned_at=T0,
        reason="round_robin among 1 eligible of 1 members",
    )
    body = json.loads(payload(event))
    renamed = {
        "name": "event",
        "agent_id": "assignee_id",
        "previous_agent_id": "previous_assignee_id",
    }
    assert set(body) == {renamed.get(f.name, f.name) for f in fields(event)}
    assert body["assignee_id"] == 4
    assert body["event"] == "assignee_changed"
    assert body["assigned_at"] == T0.isoformat()
    assert body["policy_id"] is None
    assert body["previous_assignee_id"] is None  # not a reassignment
    assert body["reassign_reason"] is None
