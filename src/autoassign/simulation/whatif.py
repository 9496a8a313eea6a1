"""What-ifs: an inbox's setup (as ``services.simulate`` reads it) becomes a scenario, run
as it is and with changes, on the same customers.

Why the same customers: both sides share the seed, so arrivals, handling times and
patience are identical (common random numbers, ``workload``); a replay shares the
recorded conversations. The difference between the two columns is then the change's.

The runs are CPU-bound, so ``compare`` runs them in a worker thread with its own event
loop: a server calling it stays responsive, and the simulated world never touches the
caller's loop.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace

from autoassign.services.simulate import InboxSetup, Recorded
from autoassign.simulation.replay import replay_arrivals
from autoassign.simulation.report import Outcome
from autoassign.simulation.scenario import AgentSpec, Arrivals, Handling, Scenario
from autoassign.simulation.stats import replicate


@dataclass(frozen=True, slots=True)
class Traffic:
    """Synthetic traffic; without it a what-if replays the recorded period."""

    arrival_rate: float
    handle_minutes: float
    patience_minutes: float | None = None
    by_hour: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class Run:
    """How long and how often each side runs."""

    duration_minutes: float = 480.0
    warmup_minutes: float = 0.0
    replications: int = 1
    seed: int = 0
    service_level_seconds: float = 60.0
    #: a replay's handling time (minutes) when the period has none to learn from
    fallback_handle_minutes: float | None = None
    #: wall seconds both sides may take together (kernel.TooLong past them)
    budget_seconds: float | None = None


def scenario_for(
    setup: InboxSetup,
    name: str,
    run: Run,
    traffic: Traffic | None,
    recorded: Recorded | None,
    notes: tuple[str, ...] = (),
) -> Scenario:
    agents = tuple(
        AgentSpec(a.agent_id, a.name, a.capacity_limit, a.presence) for a in setup.agents
    )
    base = Scenario(
        name=name,
        agents=agents,
        policy=setup.policy,
        teams=setup.teams,
        duration_minutes=run.duration_minutes,
        warmup_minutes=run.warmup_minutes,
        arrivals=Arrivals(traffic.arrival_rate, traffic.by_hour) if traffic else None,
        handling=Handling(traffic.handle_minutes) if traffic else Handling(1.0),
        patience_minutes=traffic.patience_minutes if traffic else None,
        replay=() if traffic is None else None,
        seed=run.seed,
        service_level_seconds=run.service_level_seconds,
        notes=notes,
    )
    if traffic is not None:
        return base
    if recorded is None:
        raise ValueError("a what-if needs traffic or a recorded period")
    return replace(
        base,
        duration_minutes=(recorded.until - recorded.since).total_seconds() / 60,
        warmup_minutes=0.0,
        replay=replay_arrivals(
            recorded, seed=run.seed, fallback_handle_minutes=run.fallback_handle_minutes
        ),
    )


def run_pair(
    baseline: InboxSetup,
    changed: InboxSetup,
    recorded: Recorded | None,
    *,
    traffic: Traffic | None,
    run: Run,
    notes: tuple[str, ...] = (),
) -> list[Outcome]:
    """Both sides, blocking: "current" and "what-if"."""
    outcomes = []
    deadline = None if run.budget_seconds is None else time.perf_counter() + run.budget_seconds
    for name, setup, tags in (("current", baseline, ()), ("what-if", changed, notes)):
        scenario = scenario_for(setup, name, run, traffic, recorded, tags)
        replications = run.replications if traffic is not None else 1
        outcomes.append(Outcome(scenario, replicate(scenario, replications, deadline=deadline)))
    return outcomes


async def compare(
    baseline: InboxSetup,
    changed: InboxSetup,
    recorded: Recorded | None,
    *,
    traffic: Traffic | None,
    run: Run,
    notes: tuple[str, ...] = (),
) -> list[Outcome]:
    """``run_pair`` in a worker thread (``services.simulate.what_if`` awaits this)."""
    return await asyncio.to_thread(
        run_pair, baseline, changed, recorded, traffic=traffic, run=run, notes=notes
    )
