"""What a run measured, computed from its trace: waits, abandonment, utilisation, fairness.

Definitions (also in ``docs/simulator.md``), over the conversations that arrived between
the warm-up and the horizon:

- wait: assignment time minus arrival time, for the conversations assigned;
  ``p_wait``: the share of arrivals not assigned at the instant they arrived;
- service level: the share of arrivals assigned within ``service_level_seconds``
  (an abandoned or unanswered conversation misses it);
- abandonment: the share of arrivals that left before being assigned;
- utilisation: conversation-time held by agents over their capacity-time while online,
  both clipped to the measured interval (one chat at a time: the share of online time
  busy, which is M/M/c's rho); agents without a capacity limit are left out of it;
- fairness: assignments per agent, Jain's index (sum x)^2 / (n sum x^2) (1 = equal) and
  the max-min spread, over the agents that were online at some point.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from autoassign.simulation.kernel import Trace

PERCENTILES = (50, 90, 95, 99)
#: wait bands (upper bounds in seconds) shared by every run, so two runs compare bar by bar
BANDS: tuple[tuple[str, float], ...] = (
    ("0 s", 0.0),
    ("≤10 s", 10.0),
    ("≤30 s", 30.0),
    ("≤1 min", 60.0),
    ("≤2 min", 120.0),
    ("≤5 min", 300.0),
    ("≤10 min", 600.0),
    ("≤30 min", 1800.0),
    ("≤1 h", 3600.0),
    (">1 h", math.inf),
)


@dataclass(frozen=True, slots=True)
class Summary:
    """One run's results; every time in seconds."""

    scenario: str
    conversations: int
    answered: int
    abandoned: int
    #: still waiting when the run stopped (its drain ran out)
    unanswered: int
    mean_wait_seconds: float
    wait_percentiles: dict[str, float]
    max_wait_seconds: float
    p_wait: float
    service_level: float
    service_level_seconds: float
    abandonment: float
    utilisation: float | None
    #: mean open conversations per online agent
    mean_concurrency: float
    mean_queue_length: float
    max_queue_length: int
    per_agent: dict[int, int]
    jain_fairness: float
    max_min_spread: int
    #: answered conversations per wait band (``BANDS``)
    wait_bands: dict[str, int] = field(default_factory=dict)
    #: (minute, mean number waiting over that bucket), over the whole run
    queue_series: list[tuple[float, float]] = field(default_factory=list)
    #: the measured conversations' own inputs, whose expectations the scenario fixes:
    #: how many arrived, their mean handling and mean (finite) patience. Known means make
    #: them control variates for the validation (``stats.controlled``).
    controls: dict[str, float] = field(default_factory=dict)
    engine_runs: int = 0
    wall_seconds: float = 0.0

    @property
    def conversations_per_wall_minute(self) -> float:
        return self.conversations / self.wall_seconds * 60 if self.wall_seconds else 0.0


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default) of sorted data."""
    if not ordered:
        return 0.0
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def jain(counts: Sequence[int]) -> float:
    """Jain's fairness index: 1 when all equal, 1/n when one agent got everything."""
    squares = sum(x * x for x in counts)
    return sum(counts) ** 2 / (len(counts) * squares) if squares else 1.0


def summarise(trace: Trace, buckets: int = 240) -> Summary:
    scenario = trace.scenario
    start, end = trace.warmup, trace.horizon
    waits: list[float] = []
    waited = abandoned = unanswered = within = arrived = 0
    busy = 0.0
    per_agent: Counter[int] = Counter()
    level = scenario.service_level_seconds
    capacity = {a.agent_id: a.capacity for a in scenario.agents}
    for i, at in enumerate(trace.arrival):
        assigned = trace.assigned[i]
        measured = start <= at < end
        if not math.isnan(assigned):
            agent = trace.agent[i]
            if capacity.get(agent) is not None:  # clipped busy time toward utilisation
                busy += max(0.0, min(assigned + trace.handle[i], end) - max(assigned, start))
            if not measured:
                continue
            wait = assigned - at
            waits.append(wait)
            per_agent[agent] += 1
            waited += wait > 0
            within += wait <= level
        elif measured:
            waited += 1
            if math.isnan(trace.abandoned[i]):
                unanswered += 1
            else:
                abandoned += 1
        arrived += measured
    waits.sort()
    online = _online_time(trace, start, end)
    slots = sum(t * (capacity.get(a) or 0) for a, t in online.items())
    held = _held_time(trace, start, end)
    agents = [a for a in capacity if a in online or per_agent[a]]
    counts = [per_agent[a] for a in agents]
    series, mean_queue, max_queue = _queue(trace, start, end, buckets)
    total_online = sum(online.values())
    return Summary(
        scenario=scenario.name,
        conversations=arrived,
        answered=len(waits),
        abandoned=abandoned,
        unanswered=unanswered,
        mean_wait_seconds=sum(waits) / len(waits) if waits else 0.0,
        wait_percentiles={f"p{q}": percentile(waits, q) for q in PERCENTILES},
        max_wait_seconds=waits[-1] if waits else 0.0,
        p_wait=waited / arrived if arrived else 0.0,
        service_level=within / arrived if arrived else 0.0,
        service_level_seconds=level,
        abandonment=abandoned / arrived if arrived else 0.0,
        utilisation=busy / slots if slots else None,
        mean_concurrency=held / total_online if total_online else 0.0,
        mean_queue_length=mean_queue,
        max_queue_length=max_queue,
        per_agent={a: per_agent[a] for a in agents},
        jain_fairness=jain(counts) if counts else 1.0,
        max_min_spread=max(counts) - min(counts) if counts else 0,
        wait_bands=_bands(waits),
        controls=_controls(trace, start, end),
        queue_series=series,
        engine_runs=trace.runs,
        wall_seconds=trace.wall_seconds,
    )


def _controls(trace: Trace, start: float, end: float) -> dict[str, float]:
    handles: list[float] = []
    patiences: list[float] = []
    for i, at in enumerate(trace.arrival):
        if start <= at < end:
            handles.append(trace.handle[i])
            if trace.patience[i] != math.inf:
                patiences.append(trace.patience[i])
    controls = {"arrivals": float(len(handles))}
    if handles:
        controls["handle"] = sum(handles) / len(handles)
    if patiences:
        controls["patience"] = sum(patiences) / len(patiences)
    return controls


def _bands(ordered: Sequence[float]) -> dict[str, int]:
    counts: dict[str, int] = {}
    taken = 0
    for label, upper in BANDS:
        upto = bisect.bisect_right(ordered, upper)
        counts[label] = upto - taken
        taken = upto
    return counts


def _online_time(trace: Trace, start: float, end: float) -> dict[int, float]:
    return {
        agent: sum(max(0.0, min(b, end) - max(a, start)) for a, b in spans)
        for agent, spans in trace.online.items()
    }


def _held_time(trace: Trace, start: float, end: float) -> float:
    """Conversation-time held by any agent within [start, end)."""
    held = 0.0
    for i, assigned in enumerate(trace.assigned):
        if not math.isnan(assigned):
            held += max(0.0, min(assigned + trace.handle[i], end) - max(assigned, start))
    return held


def _queue(
    trace: Trace, start: float, end: float, buckets: int
) -> tuple[list[tuple[float, float]], float, int]:
    """The waiting count as bucketed time averages over the run, and its time average
    and maximum over the measured interval."""
    stop = max(trace.end, end)
    width = stop / buckets if stop / buckets > 0 else 1.0
    area = [0.0] * buckets
    measured = 0.0
    peak = 0
    times, lengths = trace.queue_times, trace.queue_lengths
    for k in range(len(times)):
        t0 = times[k]
        t1 = times[k + 1] if k + 1 < len(times) else stop
        q = lengths[k]
        if q == 0 or t1 <= t0:
            continue
        measured += q * max(0.0, min(t1, end) - max(t0, start))
        if t0 < end and t1 > start:
            peak = max(peak, q)
        b = min(int(t0 / width), buckets - 1)
        while t0 < t1 and b < buckets:
            edge = min(t1, (b + 1) * width)
            area[b] += q * (edge - t0)
            t0, b = edge, b + 1
    series = [(round((b + 0.5) * width / 60, 3), area[b] / width) for b in range(buckets)]
    return series, measured / (end - start), peak
