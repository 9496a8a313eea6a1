"""Statistics, theory and confidence intervals, on values worked out by hand."""

from __future__ import annotations

import math
import random
from array import array

import pytest

from autoassign.simulation.kernel import Trace
from autoassign.simulation.results import jain, percentile, summarise
from autoassign.simulation.scenario import AgentSpec, RecordedArrival, Scenario, default_policy
from autoassign.simulation.stats import controlled, estimate, t95
from autoassign.simulation.theory import erlang_a, erlang_b, erlang_c


def test_erlang_c_known_values():
    two = erlang_c(2, 1.0, 1.0)  # a = 1 on two agents: P(wait) = 1/3, E[W] = 1/3
    assert two.p_wait == pytest.approx(1 / 3)
    assert two.mean_wait == pytest.approx(1 / 3)
    one = erlang_c(1, 0.5, 1.0)  # M/M/1: P(wait) = rho, E[W] = rho / (mu - lambda)
    assert (one.p_wait, one.mean_wait, one.utilisation) == pytest.approx((0.5, 1.0, 0.5))
    assert one.service_level(0.0) == pytest.approx(0.5)
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(2, 2.0, 1.0)


def test_erlang_a_meets_its_limits():
    # patience that never runs out: Erlang C
    patient = erlang_a(5, 4.0, 1.0, 1e-12)
    assert patient.p_wait == pytest.approx(erlang_c(5, 4.0, 1.0).p_wait, rel=1e-6)
    assert patient.p_abandon == pytest.approx(0.0, abs=1e-9)
    # patience as long as handling: the number present is Poisson(a), as in M/M/infinity
    a, agents = 6.0, 4
    same = erlang_a(agents, a, 1.0, 1.0)
    poisson = [math.exp(-a) * a**k / math.factorial(k) for k in range(80)]
    assert same.p_wait == pytest.approx(sum(poisson[agents:]))
    queue = sum((k - agents) * p for k, p in enumerate(poisson) if k > agents)
    assert same.p_abandon == pytest.approx(queue / a)


def test_percentiles_and_jain():
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
    assert jain([3, 3, 3]) == 1.0
    assert jain([9, 0, 0]) == pytest.approx(1 / 3)


def test_t_quantiles_and_intervals():
    assert t95(1) == 12.706
    assert t95(30) == 2.042
    assert t95(1000) == pytest.approx(1.9623, abs=1e-3)
    plain = estimate([1.0, 2.0, 3.0])
    assert plain.mean == 2.0
    assert plain.half_width == pytest.approx(4.303 * 1.0 / math.sqrt(3))


def test_a_control_variate_removes_the_luck_of_the_inputs():
    rng = random.Random(1)
    inputs = [rng.gauss(10, 1) for _ in range(40)]
    values = [3 * x + rng.gauss(0, 0.1) for x in inputs]  # the true mean is 30
    raw = estimate(values)
    adjusted = controlled(values, [[x] for x in inputs], [10.0])
    assert adjusted.half_width < raw.half_width / 5
    assert adjusted.mean == pytest.approx(30, abs=3 * adjusted.half_width)


def test_summary_of_a_hand_made_trace():
    """Three agents, four conversations over [0, 100): one answered at once, one after
    20 s, one abandoned after 30 s, one never answered; agent 3 was offline."""
    scenario = Scenario(
        name="hand made",
        agents=(AgentSpec(1, "a", 1), AgentSpec(2, "b", 1), AgentSpec(3, "c", 1)),
        policy=default_policy(),
        duration_minutes=100 / 60,
        replay=(RecordedArrival(0, 1),),
        service_level_seconds=10,
    )
    nan = math.nan
    trace = Trace(
        scenario,
        0,
        arrival=array("d", [0, 10, 20, 30]),
        assigned=array("d", [0, 30, nan, nan]),
        handle=array("d", [50, 100, 5, 5]),
        abandoned=array("d", [nan, nan, 50, nan]),
        patience=array("d", [math.inf, math.inf, 30, math.inf]),
        agent=array("q", [1, 2, 0, 0]),
        queue_times=array("d", [0, 10, 20, 30, 30, 50]),
        queue_lengths=array("q", [0, 1, 2, 1, 2, 1]),
        online={1: [(0.0, 100.0)], 2: [(0.0, 100.0)]},
        end=120.0,
    )
    s = summarise(trace, buckets=4)
    assert (s.conversations, s.answered, s.abandoned, s.unanswered) == (4, 2, 1, 1)
    assert s.mean_wait_seconds == 10.0
    assert s.p_wait == 0.75
    assert s.service_level == 0.25
    assert s.abandonment == 0.25
    # agent 1 held [0, 50), agent 2 [30, 100): 120 of 200 slot-seconds
    assert s.utilisation == pytest.approx(0.6)
    assert s.per_agent == {1: 1, 2: 1}
    assert (s.jain_fairness, s.max_min_spread) == (1.0, 0)
    # waiting: 1 over [10, 20), 2 over [20, 30), 1 at 30, 2 over [30, 50), 1 after
    assert s.mean_queue_length == pytest.approx((10 + 20 + 40 + 50) / 100)
    assert s.max_queue_length == 2
    assert s.wait_bands["0 s"] == 1
    assert s.wait_bands["≤30 s"] == 1
    minute, waiting = s.queue_series[0]
    assert (minute, waiting) == (0.25, 1.0)  # (1 x 10 s + 2 x 10 s) / 30 s
