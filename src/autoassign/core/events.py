"""What the engine tells the outside world after a batch has committed."""

from __future__ import annotations

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


Event = ConversationAssigned
