"""The simulator: the real assignment engine over simulated or recorded traffic, in
virtual time.

Where it sits: beside ``bootstrap``, as a second composition root. Like bootstrap it
chooses adapters (the in-memory twin of the SQL store, the memory state store, a virtual
clock, an event sink that records assignments) and drives the services
(``services.runs.run_inbox_job``, hence ``assign_inbox`` and the planner); unlike
bootstrap it never touches a database, a server or a framework (an import-linter
contract says so). The entry points call it; ``services.simulate`` reads an account's
configuration and history for it and receives it as a callable.

Modules: ``scenario`` (what to run), ``workload`` (random customers), ``world`` (the
wiring), ``kernel`` (the event loop), ``results`` and ``stats`` (what was measured,
replications), ``theory`` (Erlang C and A), ``report`` and ``svg`` (JSON, plots, HTML),
``replay`` and ``whatif`` (recorded traffic, two-sided questions), ``validation`` (the
table in ``docs/simulator.md``).
"""

from __future__ import annotations

from autoassign.simulation.kernel import Trace, run, simulate
from autoassign.simulation.report import Outcome
from autoassign.simulation.results import Summary, summarise
from autoassign.simulation.scenario import Scenario, simple_scenario
from autoassign.simulation.stats import replicate

__all__ = [
    "Outcome",
    "Scenario",
    "Summary",
    "Trace",
    "replicate",
    "run",
    "simple_scenario",
    "simulate",
    "summarise",
]
