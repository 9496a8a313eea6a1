"""What one simulation runs: staffing, policy, traffic and how long, as frozen values.

Why a separate description: the same scenario is run many times (replications, the two
sides of a what-if, the validation table), so it must be plain data that any process
can rebuild the world from. The policy is the product's own ``AssignmentPolicy``: a
scenario cannot describe a rule the engine does not have.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from autoassign.core.model import Presence, Team
from autoassign.core.policies import AssignmentOrder, AssignmentPolicy

#: Monday 00:00 UTC, so hour-of-day rates and shifts line up with simulated time
DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)
#: the fair-distribution limit used when a scenario asks for none (it never binds)
NO_RATE_LIMIT = 1_000_000_000
#: the smallest rate (per minute) and time (minutes) a scenario takes: below them the
#: exponential's parameter underflows (a rate of 5e-324 is 0.0 per second)
TINY = 1e-6


def _sensible(value: float, name: str) -> None:
    if not TINY <= value < math.inf:
        raise ValueError(f"{name} must be at least {TINY:g} and finite (got {value!r})")


class HandlingDistribution(enum.StrEnum):
    EXPONENTIAL = "exponential"
    LOGNORMAL = "lognormal"


@dataclass(frozen=True, slots=True)
class Arrivals:
    """A Poisson process: ``per_minute``, or one rate per hour of the day (24 values)."""

    per_minute: float
    by_hour: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.by_hour is not None and (
            len(self.by_hour) != 24 or min(self.by_hour) < 0 or max(self.by_hour) <= 0
        ):
            raise ValueError("by_hour needs 24 rates per minute, not all zero, none negative")
        if self.by_hour is None:
            _sensible(self.per_minute, "the arrival rate")
        else:
            _sensible(max(self.by_hour), "the peak hourly rate")

    def rate_at(self, seconds: float) -> float:
        """Conversations per minute at ``seconds`` after the start (a midnight)."""
        if self.by_hour is None:
            return self.per_minute
        return self.by_hour[int(seconds // 3600) % 24]

    @property
    def peak(self) -> float:
        return max(self.by_hour) if self.by_hour is not None else self.per_minute


@dataclass(frozen=True, slots=True)
class Handling:
    """How long an agent works on a conversation before it is resolved."""

    mean_minutes: float
    distribution: HandlingDistribution = HandlingDistribution.EXPONENTIAL
    #: coefficient of variation of the lognormal (the exponential's is 1)
    cv: float = 1.0

    def __post_init__(self) -> None:
        _sensible(self.mean_minutes, "the mean handling time")
        _sensible(self.cv, "the coefficient of variation")


@dataclass(frozen=True, slots=True)
class Shift:
    """Online from ``start_minute`` to ``end_minute`` of every day (minutes after 00:00)."""

    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= 1440:
            raise ValueError("a shift runs within one day: 0 <= start < end <= 1440")


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """One inbox member. With shifts the agent is online during them and offline
    otherwise; without, ``presence`` holds throughout."""

    agent_id: int
    name: str
    #: most open conversations at once in the inbox; None: no capacity limit
    capacity: int | None = 1
    presence: Presence = Presence.ONLINE
    shifts: tuple[Shift, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordedArrival:
    """One conversation of a replay, as offsets from the start of the replayed period."""

    at_seconds: float
    handle_seconds: float
    #: how long the customer waited before leaving unanswered; None: they stayed
    patience_seconds: float | None = None
    team_id: int | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything a run needs. ``replay`` (when set) replaces arrivals, handling and
    patience with recorded conversations."""

    name: str
    agents: tuple[AgentSpec, ...]
    #: None: no policy linked, so the inbox assigns nothing (as the product would)
    policy: AssignmentPolicy | None
    duration_minutes: float
    arrivals: Arrivals | None = None
    handling: Handling = Handling(5.0)
    #: mean patience in minutes (exponential); None: nobody abandons
    patience_minutes: float | None = None
    replay: tuple[RecordedArrival, ...] | None = None
    teams: tuple[Team, ...] = ()
    #: statistics count conversations arriving after the warm-up only
    warmup_minutes: float = 0.0
    #: after the last arrival, how long to let the queue drain (None: duration again)
    drain_minutes: float | None = None
    service_level_seconds: float = 60.0
    #: conversations per batch and the periodic sweep, as the product's settings
    bulk_limit: int = 500
    sweep_seconds: float = 300.0
    seed: int = 0
    start: datetime = DEFAULT_START
    #: labels of the run, for reports (e.g. the what-if's changes)
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        _sensible(self.duration_minutes, "the duration")
        if not 0 <= self.warmup_minutes < self.duration_minutes:
            raise ValueError("the warm-up must be shorter than the duration")
        if self.replay is None and self.arrivals is None:
            raise ValueError("a scenario needs arrivals or a replay")
        if self.patience_minutes is not None:
            _sensible(self.patience_minutes, "the mean patience")


def default_policy(
    order: AssignmentOrder = AssignmentOrder.ROUND_ROBIN,
    fair_limit: int | None = None,
) -> AssignmentPolicy:
    """The simulator's policy when none is given: first come first served, no age limit,
    and no fair-distribution limit unless one is asked for. Without a limit the window's
    length decides nothing, so it is one minute: the state store then counts a minute of
    entries per run instead of an hour's (the default), which is most of a run's cost."""
    return AssignmentPolicy(
        id=1,
        account_id=1,
        name="Simulated",
        assignment_order=order,
        fair_distribution_limit=fair_limit or NO_RATE_LIMIT,
        fair_distribution_window=3600 if fair_limit else 60,
        exclude_older_than_hours=None,
    )


def simple_scenario(
    *,
    agents: int,
    arrival_rate: float,
    handle_minutes: float,
    duration_minutes: float,
    seed: int = 0,
    capacity: int | None = 1,
    order: AssignmentOrder = AssignmentOrder.ROUND_ROBIN,
    patience_minutes: float | None = None,
    warmup_minutes: float = 0.0,
    name: str = "scenario",
) -> Scenario:
    """One inbox, ``agents`` identical online agents, Poisson arrivals, exponential
    handling: the M/M/c (+M with patience) the validation checks against theory."""
    return Scenario(
        name=name,
        agents=tuple(AgentSpec(i, f"agent {i}", capacity) for i in range(1, agents + 1)),
        policy=default_policy(order),
        duration_minutes=duration_minutes,
        arrivals=Arrivals(arrival_rate),
        handling=Handling(handle_minutes),
        patience_minutes=patience_minutes,
        warmup_minutes=warmup_minutes,
        seed=seed,
    )
