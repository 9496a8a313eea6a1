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


class RoundRobinSelector:
    """The agent assigned least recently in this inbox goes next (never-assigned first).

    Rotation is a per-inbox sequence number per agent rather than a list, so it can be
    rebuilt from recorded assignments and shared by all workers.
    """

    name = "round_robin"

    def choose(self, eligible: Sequence[AgentState]) -> AgentState:
        return min(eligible, key=_by_rotation)


class BalancedSelector:
    """Fewest open conversations in this inbox; ties go to the least recently assigned."""

    name = "balanced"

    def choose(self, eligible: Sequence[AgentState]) -> AgentState:
        return min(eligible, key=_by_load)


def selector_for(order: AssignmentOrder) -> Selector:
    if order is AssignmentOrder.BALANCED:
        return BalancedSelector()
    return RoundRobinSelector()
