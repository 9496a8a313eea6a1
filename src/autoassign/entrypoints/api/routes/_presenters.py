"""Renderings several routers share, so route modules never import each other."""

from __future__ import annotations

from collections.abc import Mapping

from autoassign.core.reasons import AgentReason
from autoassign.entrypoints.api.schemas.conversations import AgentVerdict


def verdicts(reasons: Mapping[int, AgentReason]) -> list[AgentVerdict]:
    """Why each agent was passed over, in agent order."""
    return [AgentVerdict(agent_id=a, reason=r) for a, r in sorted(reasons.items())]
