"""A recorded period as simulation input: each conversation's arrival, handling and
patience, taken from what happened.

Why these readings: arrival is the creation time; handling is resolution minus first
assignment (the time an agent spent on it, which another policy would not change); a
conversation resolved without ever being assigned is a customer who gave up after
(resolved - created), which becomes their patience. Patience is unknown for those who
were answered (they would have waited at least as long as they did): they never leave,
a conservative choice. Conversations not resolved yet get a handling time drawn from an
exponential with the observed mean, seeded, so a replay is reproducible.
"""

from __future__ import annotations

from autoassign.core import errors
from autoassign.services.simulate import Recorded
from autoassign.simulation.scenario import RecordedArrival
from autoassign.simulation.workload import stream


def replay_arrivals(
    recorded: Recorded, *, seed: int = 0, fallback_handle_minutes: float | None = None
) -> tuple[RecordedArrival, ...]:
    mean = recorded.mean_handle_minutes or fallback_handle_minutes
    if mean is None:
        raise errors.InvalidValue(
            "the recorded period has no resolved assigned conversation to learn handling "
            "times from; give a handle time",
            field="handle_time",
        )
    rng = stream(seed, 0, "replay-handling")
    arrivals = []
    for c in recorded.conversations:
        at = (c.created_at - recorded.since).total_seconds()
        patience = None
        if c.assigned_at is not None and c.resolved_at is not None:
            handle = max(0.0, (c.resolved_at - c.assigned_at).total_seconds())
        else:
            handle = rng.expovariate(1 / (mean * 60))
            if c.assigned_at is None and c.resolved_at is not None:
                patience = max(0.0, (c.resolved_at - c.created_at).total_seconds())
        arrivals.append(RecordedArrival(at, handle, patience, c.team_id))
    return tuple(arrivals)
