"""The simulator checked against queueing theory: the table in ``docs/simulator.md``.

Each case is an M/M/c queue (one conversation per agent, Poisson arrivals, exponential
handling of mean one minute, first come first served) or, with exponential patience, an
M/M/c+M one, run on the real engine for independent replications. A case passes when
every compared value is within 5% of theory *and* its 95% confidence half-width is
within 5% of theory too, so a pass means something. Estimates use the replications'
own inputs (arrivals counted, mean handling and patience drawn) as control variates
(``stats.controlled``); replications are added until the half-widths reach ``target``.

With capacity above one and handling independent of concurrency (the simulator's
assumption), c agents of k chats each are an M/M/(c k) queue: a closed form the
"concurrent" rows check; real agents slow down with concurrency, which no formula here
models, so those rows check the engine's capacity limits, not a staffing rule.

``python -m autoassign.simulation.validation --write docs/simulator.md`` (what
``make simulate-validate`` runs) replaces the table between its markers.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autoassign.simulation.results import Summary
from autoassign.simulation.scenario import Scenario, simple_scenario
from autoassign.simulation.stats import Estimate, controlled, replicate
from autoassign.simulation.theory import QueueTheory, erlang_a, erlang_c

TOLERANCE = 0.05
START, END = "<!-- validation:start -->", "<!-- validation:end -->"


@dataclass(frozen=True, slots=True)
class Case:
    agents: int
    #: offered load per chat slot, lambda / (agents * capacity * mu)
    utilisation: float
    #: mean patience over mean handling; None: nobody abandons (Erlang C)
    patience_ratio: float | None = None
    capacity: int = 1
    #: measured conversations per replication, and the replications to start with
    conversations: int = 20_000
    replications: int = 10
    max_replications: int = 60

    @property
    def label(self) -> str:
        if self.patience_ratio is None:
            model = "M/M/c"
        else:
            model = f"M/M/c+M (patience {self.patience_ratio:g} x handling)"
        slots = "" if self.capacity == 1 else f", {self.capacity} chats each"
        return f"{model}, c={self.agents}{slots}, rho={self.utilisation:g}"


FULL: tuple[Case, ...] = (
    Case(1, 0.5, conversations=20_000),
    Case(2, 0.7, conversations=40_000),
    Case(3, 0.6, conversations=40_000),
    Case(5, 0.8, conversations=80_000),
    Case(10, 0.9, conversations=150_000),
    Case(5, 0.95, conversations=250_000),
    Case(5, 0.85, capacity=3, conversations=100_000),
    Case(5, 0.9, patience_ratio=2.0, conversations=40_000),
    Case(10, 1.0, patience_ratio=1.0, conversations=40_000),
    Case(20, 1.2, patience_ratio=5.0, conversations=40_000),
)
#: what ``make test`` runs (tests/simulation/test_validation.py)
QUICK: tuple[Case, ...] = (
    Case(1, 0.5, conversations=4_000, replications=16, max_replications=16),
    Case(5, 1.0, patience_ratio=1.0, conversations=2_000, replications=12, max_replications=12),
)


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    theory: float
    estimate: Estimate

    @property
    def error(self) -> float:
        return self.estimate.relative_error(self.theory)

    @property
    def passed(self) -> bool:
        return self.error <= TOLERANCE and self.estimate.half_width <= TOLERANCE * self.theory


@dataclass(frozen=True, slots=True)
class Row:
    case: Case
    checks: tuple[Check, ...]
    utilisation: Estimate
    conversations: int
    replications: int
    wall_seconds: float

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


def theory_for(case: Case) -> QueueTheory:
    servers = case.agents * case.capacity
    lam, mu = case.utilisation * servers, 1.0  # per minute; handling has mean 1 minute
    if case.patience_ratio is None:
        return erlang_c(servers, lam, mu)
    return erlang_a(servers, lam, mu, 1 / case.patience_ratio)


def _scenario(case: Case, seed: int) -> tuple[Scenario, float]:
    servers = case.agents * case.capacity
    rate = case.utilisation * servers
    # a few relaxation times of warm-up, 1 / (c mu (1 - sqrt rho)^2), within bounds
    relax = 1 / (servers * (1 - math.sqrt(min(case.utilisation, 0.99))) ** 2)
    warmup = min(max(10.0, 3 * relax), case.conversations / rate)
    measured = case.conversations / rate
    scenario = simple_scenario(
        agents=case.agents,
        capacity=case.capacity,
        arrival_rate=rate,
        handle_minutes=1.0,
        duration_minutes=warmup + measured,
        warmup_minutes=warmup,
        patience_minutes=case.patience_ratio,
        seed=seed,
        name=case.label,
    )
    return scenario, rate * measured


def _checks(case: Case, runs: Sequence[Summary], expected_arrivals: float) -> tuple[Check, ...]:
    theory = theory_for(case)
    keys = ["arrivals", "handle"] + (["patience"] if case.patience_ratio is not None else [])
    means = [expected_arrivals, 60.0] + (
        [case.patience_ratio * 60] if case.patience_ratio is not None else []
    )
    controls = [[r.controls[k] for k in keys] for r in runs]

    def est(values: list[float]) -> Estimate:
        return controlled(values, controls, means)

    checks = [Check("P(wait)", theory.p_wait, est([r.p_wait for r in runs]))]
    if case.patience_ratio is None:
        checks.append(
            Check("mean wait (s)", theory.mean_wait * 60, est([r.mean_wait_seconds for r in runs]))
        )
    else:
        checks.append(Check("P(abandon)", theory.p_abandon, est([r.abandonment for r in runs])))
    return tuple(checks)


def run_case(case: Case, *, workers: int = 1, seed: int = 2026, target: float = 0.035) -> Row:
    """Replications until every half-width is within ``target`` of theory (or the
    case's maximum), then the checks."""
    started = time.perf_counter()
    # each case its own random numbers: with one seed for all, every case met scaled
    # copies of the same customers and their errors were correlated (docs/simulator.md)
    scenario, arrivals = _scenario(case, seed + zlib.crc32(case.label.encode()))
    runs = replicate(scenario, case.replications, workers=workers)
    while True:
        checks = _checks(case, runs, arrivals)
        worst = max(c.estimate.half_width / c.theory for c in checks)
        if worst <= target or len(runs) >= case.max_replications:
            break
        wanted = math.ceil(len(runs) * (worst / target) ** 2 * 1.1)
        more = min(wanted, case.max_replications) - len(runs)
        runs += replicate(scenario, more, workers=workers, first=len(runs))
    utilisation = controlled(
        [r.utilisation or 0.0 for r in runs],
        [[r.controls["arrivals"], r.controls["handle"]] for r in runs],
        [arrivals, 60.0],
    )
    return Row(
        case,
        checks,
        utilisation,
        sum(r.conversations for r in runs),
        len(runs),
        time.perf_counter() - started,
    )


def markdown(rows: Sequence[Row], *, workers: int) -> str:
    lines = [
        "| case | value | theory | simulated (95% CI) | error | result |",
        "|---|---|---:|---:|---:|:---:|",
    ]
    for row in rows:
        util = f"utilisation {row.utilisation.mean:.3f} ± {row.utilisation.half_width:.3f}"
        for i, check in enumerate(row.checks):
            size = f"{row.replications} x {row.conversations // row.replications:,}"
            case = f"{row.case.label}<br>{size} conversations, {util}" if i == 0 else ""
            est = check.estimate
            lines.append(
                f"| {case} | {check.name} | {check.theory:.4g} | {est.mean:.4g} ± "
                f"{est.half_width:.2g} | {check.error:.1%} | {'pass' if check.passed else 'FAIL'} |"
            )
    total = sum(r.conversations for r in rows)
    wall = sum(r.wall_seconds for r in rows)
    lines.append("")
    lines.append(
        f"{total:,} simulated conversations in {wall / 60:.1f} min of wall time on "
        f"{workers} worker process(es): {total / wall * 60:,.0f} conversations per wall "
        f"minute overall ({total / wall * 60 / workers:,.0f} per process)."
    )
    return "\n".join(lines)


def write_table(path: Path, table: str) -> None:
    """Replace the text between the markers (appending them if missing)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{START}\n{table}\n{END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the test suite's cases only")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--write", type=Path, help="markdown file to put the table in")
    parser.add_argument("--only", type=int, nargs="*", help="case numbers (1-based)")
    args = parser.parse_args(argv)
    cases = QUICK if args.quick else FULL
    if args.only:
        cases = tuple(cases[i - 1] for i in args.only)
    rows = []
    for case in cases:
        row = run_case(case, workers=args.workers)
        print(f"{'pass' if row.passed else 'FAIL'}  {case.label}  ({row.wall_seconds:.0f} s)")
        for check in row.checks:
            print(
                f"      {check.name}: theory {check.theory:.4g}, simulated "
                f"{check.estimate.mean:.4g} ± {check.estimate.half_width:.2g} ({check.error:.1%})"
            )
        rows.append(row)
    table = markdown(rows, workers=args.workers)
    print(table)
    if args.write:
        write_table(args.write, table)
    return 0 if all(r.passed for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
