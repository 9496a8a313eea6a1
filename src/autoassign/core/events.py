"""What the engine tells the outside world after a batch has committed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ConversationAssigned:
    """Emitted once per assignment, after the claim committed (never twice)."""

    account_id: int
    inbox_id: int
    conversation_id: int
    agent_id: int
    policy_id: int | None
    assigned_at: datetime
    reason: str
    name: str = "assignee_changed"
    #: a reassignment: whom it was taken from, and why (``ReassignReason`` value)
    previous_agent_id: int | None = None
    reassign_reason: str | None = None


Event = ConversationAssigned


def payload(event: Event) -> bytes:
    """The JSON body webhooks receive: the event under its public field names.

    It lives with the event because it is written into the delivery outbox in the same
    transaction as the assignment (``webhook_deliveries.body``) and sent later as
    stored; ``sort_keys`` makes the bytes (and so the signatures) the same for the same
    event.
    """
    data = {
        "account_id": event.account_id,
        "assigned_at": event.assigned_at.isoformat(),
        "assignee_id": event.agent_id,
        "conversation_id": event.conversation_id,
        "event": event.name,
        "inbox_id": event.inbox_id,
        "policy_id": event.policy_id,
        "previous_assignee_id": event.previous_agent_id,
        "reason": event.reason,
        "reassign_reason": event.reassign_reason,
    }
    return json.dumps(data, sort_keys=True).encode()
