"""The traffic a run meets: arrival times and, per conversation, handling time and patience.

Why separate random streams: arrivals, handling times and patience each draw from their
own generator, seeded from the scenario's seed and the replication number. Two
scenarios run with the same seed then meet the very same customers (common random
numbers), so a what-if's difference is the policy's, not the dice's; and replications
are independent because their seeds differ.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from autoassign.simulation.scenario import HandlingDistribution, Scenario

_Draw = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Customer:
    """One conversation to come: when, for how long, and how long they will wait."""

    at: float
    handle: float
    #: seconds before leaving unanswered; math.inf: never
    patience: float
    team_id: int | None = None


def stream(seed: int, replication: int, name: str) -> random.Random:
    """An independent generator per (seed, replication, purpose); str seeds hash with
    SHA-512, so the draws do not depend on PYTHONHASHSEED."""
    return random.Random(f"autoassign-sim:{seed}:{replication}:{name}")


def customers(scenario: Scenario, replication: int = 0) -> Iterator[Customer]:
    """Every conversation arriving before the scenario's end, in arrival order."""
    horizon = scenario.duration_minutes * 60
    if scenario.replay is not None:
        for recorded in sorted(scenario.replay, key=lambda r: r.at_seconds):
            if recorded.at_seconds < horizon:
                patience = recorded.patience_seconds
                yield Customer(
                    recorded.at_seconds,
                    recorded.handle_seconds,
                    math.inf if patience is None else patience,
                    recorded.team_id,
                )
        return
    draw_handle = _handling(scenario, stream(scenario.seed, replication, "handling"))
    draw_patience = _patience(scenario, stream(scenario.seed, replication, "patience"))
    for at in _arrival_times(scenario, stream(scenario.seed, replication, "arrivals")):
        yield Customer(at, draw_handle(), draw_patience())


def _arrival_times(scenario: Scenario, rng: random.Random) -> Iterator[float]:
    """A Poisson process; with hourly rates, by thinning at the peak rate (exact for
    piecewise-constant rates)."""
    arrivals = scenario.arrivals
    assert arrivals is not None  # a scenario without a replay has arrivals
    horizon = scenario.duration_minutes * 60
    peak = arrivals.peak / 60.0
    t = 0.0
    while True:
        t += rng.expovariate(peak)
        if t >= horizon:
            return
        if arrivals.by_hour is None or rng.random() * arrivals.peak < arrivals.rate_at(t):
            yield t


def _handling(scenario: Scenario, rng: random.Random) -> _Draw:
    mean = scenario.handling.mean_minutes * 60
    if scenario.handling.distribution is HandlingDistribution.LOGNORMAL:
        sigma = math.sqrt(math.log(1 + scenario.handling.cv**2))
        mu = math.log(mean) - sigma**2 / 2
        return lambda: rng.lognormvariate(mu, sigma)
    rate = 1 / mean
    return lambda: rng.expovariate(rate)


def _patience(scenario: Scenario, rng: random.Random) -> _Draw:
    if scenario.patience_minutes is None:
        return lambda: math.inf
    rate = 1 / (scenario.patience_minutes * 60)
    return lambda: rng.expovariate(rate)
