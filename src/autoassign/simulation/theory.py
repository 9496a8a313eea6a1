"""Closed forms the simulator is checked against: Erlang C (M/M/c) and Erlang A (M/M/c+M).

Why these: with one conversation per agent, Poisson arrivals, exponential handling and
first-come-first-served, the engine *is* an M/M/c queue, whose waits are known exactly;
with exponential patience it is Palm's M/M/c+M (Erlang A). A simulator that agrees with
both across loads reproduces the queueing, not just plausible numbers.

Erlang A is computed from its birth-death chain (states = conversations present; deaths
= busy agents finishing plus waiting customers leaving), truncated where the remaining
probability is below 1e-15: exact to float precision, and the same chain checks Erlang
C when patience is infinite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class QueueTheory:
    """Steady-state values for arrivals per second ``lam``, per-agent service rate ``mu``
    (per second) and ``agents`` agents."""

    p_wait: float
    #: mean wait of all arrivals (Erlang C: all are answered)
    mean_wait: float
    utilisation: float
    #: share of arrivals that abandon (0 without patience)
    p_abandon: float = 0.0
    #: for Erlang C: decay rate of P(W > t) = p_wait * exp(-rate * t)
    tail_rate: float = 0.0

    def service_level(self, seconds: float) -> float:
        """P(W <= t) for Erlang C."""
        return 1 - self.p_wait * math.exp(-self.tail_rate * seconds)


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability, by the stable recursion B(k) = a B(k-1) / (k + a B(k-1))."""
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(agents: int, lam: float, mu: float) -> QueueTheory:
    """M/M/c: P(wait) = c B / (c - a (1 - B)) and E[W] = P(wait) / (c mu - lam)."""
    load = lam / mu
    if load >= agents:
        raise ValueError("the queue is unstable: arrivals at or above capacity")
    b = erlang_b(agents, load)
    p_wait = agents * b / (agents - load * (1 - b))
    rate = agents * mu - lam
    return QueueTheory(p_wait, p_wait / rate, load / agents, 0.0, rate)


def erlang_a(agents: int, lam: float, mu: float, theta: float) -> QueueTheory:
    """M/M/c+M with abandonment rate ``theta`` (1 / mean patience), from the chain.

    P(wait) = P(n >= c) (arrivals see time averages); abandonment rate = theta E[Q], so
    P(abandon) = theta E[Q] / lam; E[W] over all arrivals = E[Q] / lam (Little)."""
    if theta <= 0 and lam >= agents * mu:
        raise ValueError("the queue is unstable: arrivals at or above capacity")
    weights = [1.0]
    n = 0
    while True:
        n += 1
        death = min(n, agents) * mu + max(n - agents, 0) * theta
        weights.append(weights[-1] * lam / death)
        if n > agents and weights[-1] < 1e-15 * sum(weights):
            break
    total = sum(weights)
    probs = [w / total for w in weights]
    queue = sum((k - agents) * p for k, p in enumerate(probs) if k > agents)
    busy = sum(min(k, agents) * p for k, p in enumerate(probs))
    return QueueTheory(
        p_wait=sum(probs[agents:]),
        mean_wait=queue / lam,
        utilisation=busy / agents,
        p_abandon=theta * queue / lam,
    )
