"""Renderings several routers share, so route modules never import each other."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from autoassign.core.reasons import AgentReason
from autoassign.entrypoints.api.schemas.conversations import AgentVerdict


def verdicts(
    reasons: Mapping[int, AgentReason], until: Mapping[int, datetime] | None = None
) -> list[AgentVerdict]:
    """Why each agent was passed over, in agent order, and until when where time tells."""
    until = until or {}
    return [
        AgentVerdict(agent_id=a, reason=r, until=until.get(a)) for a, r in sorted(reasons.items())
    ]
