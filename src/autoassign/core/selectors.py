"""Pick one agent among the eligible: round robin, or least loaded with rotation ties."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Protocol

from autoassign.core.eligibility import AgentState
from autoassign.core.policies import AssignmentOrder

#: the selector name recorded for assignments made by hand; they never count toward
#: fair-distribution windows or the rotation
MANUAL = "manual"


_by_rotation = attrgetter("rotation_seq", "agent_id")
_by_load = attrgetter("open_load", "rotation_seq", "agent_id")


class Selector(Protocol):
    """Chooses one of a non-empty list of eligible agents; never mutates them."""

    name: str

    def choose(self, eligible: Sequence[AgentState]) -> AgentState: ...


def _weighted(eligible: Sequence[AgentState]) -> bool:
    return any(a.weight != 1 for a in eligible)


def _by_share(agent: AgentState) -> tuple[float, int, int]:
    """Weighted round robin: the earliest "virtual finish", (count + 1) / weight, over
    the fair-distribution window's count. An agent eligible throughout a window never
    lags its share (window count * weight / total weight) by a whole assignment or more
    (``tests/property/test_weighted_shares.py`` checks the bound)."""
    return ((agent.window_count + 1) / agent.weight, agent.rotation_seq, agent.agent_id)


def _by_availability(agent: AgentState) -> tuple[float, int, int]:
    """Weighted balanced: the most available, load (counting the next one) relative to
    capacity, or to the weight when the member has no capacity limit."""
    room = agent.capacity_limit or agent.weight
    return ((agent.open_load + 1) / room, agent.rotation_seq, agent.agent_id)


class RoundRobinSelector:
    """The agent assigned least recently in this inbox goes next (never-assigned first);
    with member weights, weighted round robin (``_by_share``).

    Rotation is a per-inbox sequence number per agent rather than a list, so it can be
    rebuilt from recorded assignments and shared by all workers.
    """

    name = "round_robin"

    def choose(self, eligible: Sequence[AgentState]) -> AgentState:
        return min(eligible, key=_by_share if _weighted(eligible) else _by_rotation)


class BalancedSelector:
    """Fewest open conversations in this inbox; ties go to the least recently assigned.
    With member weights, the most available (``_by_availability``)."""

    name = "balanced"

    def choose(self, eligible: Sequence[AgentState]) -> AgentState:
        return min(eligible, key=_by_availability if _weighted(eligible) else _by_load)


def selector_for(order: AssignmentOrder) -> Selector:
    if order is AssignmentOrder.BALANCED:
        return BalancedSelector()
    return RoundRobinSelector()
