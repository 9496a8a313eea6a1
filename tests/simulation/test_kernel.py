"""The event loop on the real engine: exact against first-come-first-served, reproducible,
and each trigger of the product (arrival, resolution, agent online, wake-up) honoured."""

from __future__ import annotations

import heapq
import math
from dataclasses import replace

import pytest

from autoassign.core.model import Presence
from autoassign.core.policies import AssignmentOrder
from autoassign.simulation import simple_scenario, simulate, summarise
from autoassign.simulation.kernel import Trace
from autoassign.simulation.scenario import (
    AgentSpec,
    Arrivals,
    Handling,
    HandlingDistribution,
    RecordedArrival,
    Scenario,
    Shift,
    default_policy,
)
from autoassign.simulation.workload import customers


def fcfs_waits(trace: Trace, servers: int) -> list[float]:
    """The waits of a first-come-first-served queue with ``servers`` identical servers
    for the trace's own customers (the Kiefer-Wolfowitz recursion)."""
    free = [0.0] * servers
    waits = []
    for at, handle in zip(trace.arrival, trace.handle, strict=True):
        start = max(at, heapq.heappop(free))
        heapq.heappush(free, start + handle)
        waits.append(start - at)
    return waits


@pytest.mark.parametrize(
    ("agents", "capacity", "order"),
    [
        (3, 1, AssignmentOrder.ROUND_ROBIN),
        (2, 2, AssignmentOrder.BALANCED),  # two agents of two chats: four servers
    ],
)
def test_every_wait_is_the_fcfs_queue_s_exactly(agents, capacity, order):
    """One conversation per slot and first come first served make the engine an M/M/c
    queue; for the same customers each wait must be the recursion's, to the float."""
    scenario = simple_scenario(
        agents=agents,
        capacity=capacity,
        order=order,
        arrival_rate=0.9 * agents * capacity,
        handle_minutes=1.0,
        duration_minutes=2500 / (0.9 * agents * capacity),
        seed=7,
    )
    trace = simulate(scenario)
    engine = [a - b for a, b in zip(trace.assigned, trace.arrival, strict=True)]
    assert len(engine) > 2000
    assert max(engine) > 60  # queues did form
    assert engine == pytest.approx(fcfs_waits(trace, agents * capacity), abs=1e-9)


def test_the_same_seed_gives_the_same_run_and_replications_differ():
    scenario = simple_scenario(
        agents=2, arrival_rate=1.5, handle_minutes=1, duration_minutes=300, seed=3
    )
    first, again, other = simulate(scenario), simulate(scenario), simulate(scenario, 1)
    assert list(first.assigned) == list(again.assigned)
    assert list(first.agent) == list(again.agent)
    assert list(first.arrival) != list(other.arrival)


def test_impatient_customers_leave_unanswered_and_nobody_is_assigned_twice():
    scenario = simple_scenario(
        agents=2,
        arrival_rate=4,
        handle_minutes=1,
        duration_minutes=300,
        patience_minutes=0.5,
        seed=1,
    )
    trace = simulate(scenario)
    abandoned = [i for i, t in enumerate(trace.abandoned) if not math.isnan(t)]
    assert len(abandoned) > 100
    for i in abandoned:
        assert math.isnan(trace.assigned[i])
        assert trace.abandoned[i] == pytest.approx(trace.arrival[i] + trace.patience[i])
    for i, assigned in enumerate(trace.assigned):
        if not math.isnan(assigned):
            assert assigned - trace.arrival[i] < trace.patience[i]
    summary = summarise(trace)
    assert summary.answered + summary.abandoned + summary.unanswered == summary.conversations
    assert summary.abandonment == pytest.approx(summary.abandoned / summary.conversations)
    assert trace.queue_lengths[-1] == 0


def test_an_agent_works_only_in_their_shift_and_coming_online_runs_the_inbox():
    night = AgentSpec(1, "night", 1, shifts=(Shift(0, 60),))
    day = AgentSpec(2, "day", 1, shifts=(Shift(120, 240),))
    scenario = Scenario(
        name="shifts",
        agents=(night, day),
        policy=default_policy(),
        duration_minutes=240,
        arrivals=Arrivals(0.5),
        handling=Handling(1.0),
        seed=2,
    )
    trace = simulate(scenario)
    for i, agent in enumerate(trace.agent):
        assigned = trace.assigned[i]
        if agent == 1:
            assert assigned < 3600
        elif agent == 2:
            assert 7200 <= assigned < 14400
    # those who arrived between the shifts waited for the day agent, who got them at once
    waiting = [trace.assigned[i] for i, at in enumerate(trace.arrival) if 3700 < at < 7000]
    assert waiting
    assert min(waiting) == 7200.0
    assert trace.online == {1: [(0.0, 3600.0)], 2: [(7200.0, 14400.0)]}


def test_a_full_fair_distribution_window_wakes_the_inbox_when_it_frees():
    """One agent, at most one assignment a minute, no capacity limit: the second
    conversation is assigned when the window frees (the run's wake-up), not at the
    next sweep."""
    scenario = Scenario(
        name="rate limited",
        agents=(AgentSpec(1, "solo", None),),
        policy=replace(default_policy(), fair_distribution_limit=1, fair_distribution_window=60),
        duration_minutes=2,
        replay=(RecordedArrival(0.0, 10_000.0), RecordedArrival(1.0, 10_000.0)),
    )
    trace = simulate(scenario)
    assert trace.assigned[0] == 0.0
    assert trace.assigned[1] == pytest.approx(60.0, abs=0.002)


def test_without_a_policy_nothing_is_assigned():
    scenario = replace(
        simple_scenario(agents=1, arrival_rate=1, handle_minutes=1, duration_minutes=30),
        policy=None,
        drain_minutes=5,
    )
    summary = summarise(simulate(scenario))
    assert summary.answered == 0
    assert summary.unanswered == summary.conversations > 0


def test_busy_agents_take_nothing():
    agents = (AgentSpec(1, "busy", 1, Presence.BUSY), AgentSpec(2, "on", 1))
    scenario = replace(
        simple_scenario(agents=1, arrival_rate=0.5, handle_minutes=1, duration_minutes=100),
        agents=agents,
    )
    trace = simulate(scenario)
    assert set(trace.agent) == {2}


def test_hourly_rates_shape_the_arrivals():
    rates = tuple(0.0 if hour % 2 else 2.0 for hour in range(24))
    scenario = Scenario(
        name="hours",
        agents=(AgentSpec(1, "a", None),),
        policy=default_policy(),
        duration_minutes=24 * 60,
        arrivals=Arrivals(1.0, rates),
    )
    hours = [int(c.at // 3600) for c in customers(scenario)]
    assert hours
    assert all(h % 2 == 0 for h in hours)
    assert len(hours) == pytest.approx(12 * 60 * 2, rel=0.1)


def test_lognormal_handling_has_the_asked_mean_and_spread():
    scenario = Scenario(
        name="lognormal",
        agents=(AgentSpec(1, "a", None),),
        policy=default_policy(),
        duration_minutes=20_000,
        arrivals=Arrivals(1.0),
        handling=Handling(4.0, HandlingDistribution.LOGNORMAL, cv=0.5),
    )
    handles = [c.handle / 60 for c in customers(scenario)]
    mean = sum(handles) / len(handles)
    sd = math.sqrt(sum((h - mean) ** 2 for h in handles) / len(handles))
    assert mean == pytest.approx(4.0, rel=0.03)
    assert sd / mean == pytest.approx(0.5, rel=0.05)


def test_a_replay_keeps_the_recorded_teams():
    from autoassign.core.model import Team

    team = Team(7, 1, "VIP", True, frozenset({2}))
    scenario = Scenario(
        name="teams",
        agents=(AgentSpec(1, "a", 1), AgentSpec(2, "b", 1)),
        policy=default_policy(),
        duration_minutes=10,
        replay=tuple(RecordedArrival(i * 10.0, 5.0, None, 7 if i % 2 else None) for i in range(20)),
        teams=(team,),
    )
    trace = simulate(scenario)
    for i, agent in enumerate(trace.agent):
        if i % 2:
            assert agent == 2  # the team's only member
    assert all(not math.isnan(a) for a in trace.assigned)


def test_a_run_past_its_deadline_gives_no_partial_answer():
    from autoassign.simulation.kernel import TooLong

    scenario = simple_scenario(agents=1, arrival_rate=5, handle_minutes=1, duration_minutes=600)
    with pytest.raises(TooLong):
        simulate(scenario, deadline=0.0)
