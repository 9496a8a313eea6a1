"""`autoassign simulate`: what would a staffing or policy change do? Parse, run the
simulator (``autoassign.simulation``), render.

Synthetic by default: one inbox, Poisson arrivals, exponential handling, round robin,
one conversation per agent at a time. ``--vs key=value`` runs a second scenario on the
same customers and shows both; ``--replay-inbox`` replays an account's recorded period
(read from the configured database) as it is and with the ``--vs`` changes.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from autoassign import bootstrap
from autoassign.core.policies import AssignmentOrder
from autoassign.services import simulate as simulate_service
from autoassign.simulation import report, whatif
from autoassign.simulation.report import Outcome
from autoassign.simulation.scenario import (
    AgentSpec,
    Arrivals,
    Handling,
    HandlingDistribution,
    Scenario,
    default_policy,
)
from autoassign.simulation.stats import replicate

console = Console()
#: what --vs may change, and the scenario options they stand for
VS_KEYS = ("agents", "arrival_rate", "handle_time", "capacity", "order", "fair_limit", "patience")


def _base() -> ModuleType:
    """The main command's helpers (settings, errors); imported late, as it imports us."""
    from autoassign.entrypoints import cli

    return cli


def _fail(message: str) -> NoReturn:
    _base()._fail(message)
    raise typer.Exit(code=2)  # not reached: the main command's _fail exits


def _changes(pairs: list[str]) -> dict[str, str]:
    changes: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in VS_KEYS:
            keys = ", ".join(VS_KEYS)
            _fail(f"--vs takes key=value, key one of {keys} (got {pair!r})")
        changes[key] = value.strip()
    return changes


def _synthetic(options: dict[str, Any], name: str) -> Scenario:
    """A scenario from the options (``--vs`` values arrive as strings, hence the casts)."""
    capacity = int(options["capacity"]) or None
    fair_limit = int(options["fair_limit"]) if options["fair_limit"] else None
    handling = Handling(
        float(options["handle_time"]),
        HandlingDistribution(options["handle_dist"]),
        options["handle_cv"],
    )
    return Scenario(
        name=name,
        agents=tuple(
            AgentSpec(i, f"agent {i}", capacity) for i in range(1, int(options["agents"]) + 1)
        ),
        policy=default_policy(AssignmentOrder(options["order"]), fair_limit),
        duration_minutes=options["duration"],
        warmup_minutes=options["warmup"],
        arrivals=Arrivals(float(options["arrival_rate"]), options["rate_by_hour"]),
        handling=handling,
        patience_minutes=float(options["patience"]) if options["patience"] else None,
        service_level_seconds=options["service_level"],
        seed=options["seed"],
    )


def _replay(
    inbox_id: int,
    account_id: int,
    since: datetime,
    until: datetime,
    vs: dict[str, str],
    run: whatif.Run,
) -> list[Outcome]:
    settings = _base()._settings()
    changes = simulate_service.Changes(
        agents=int(vs["agents"]) if "agents" in vs else None,
        assignment_order=AssignmentOrder(vs["order"]) if "order" in vs else None,
        conversation_limit=int(vs["capacity"]) if "capacity" in vs else None,
        fair_distribution_limit=int(vs["fair_limit"]) if "fair_limit" in vs else None,
    )

    async def work() -> list[Outcome]:
        engine = bootstrap.build(settings)
        try:
            return await simulate_service.what_if(
                engine.deps,
                account_id,
                inbox_id,
                changes,
                period=(since, until),
                simulate=lambda a, b, recorded: whatif.compare(
                    a, b, recorded, traffic=None, run=run, notes=changes.describe()
                ),
            )
        finally:
            await engine.aclose()

    outcomes: list[Outcome] = _base()._run(work)
    return outcomes


def _render(outcomes: list[Outcome]) -> None:
    bodies = [report.to_json(o) for o in outcomes]
    table = Table("metric", *[b["scenario"] for b in bodies], title="Simulation")
    rows = [
        ("conversations", "conversations", "{:,}"),
        ("mean wait (s)", "mean_wait_seconds", "{:.1f}"),
        ("p90 wait (s)", None, "{:.1f}"),
        ("P(wait)", "p_wait", "{:.1%}"),
        (f"service level ({bodies[0]['service_level_seconds']:g} s)", "service_level", "{:.1%}"),
        ("abandonment", "abandonment", "{:.2%}"),
        ("utilisation", "utilisation", "{:.1%}"),
        ("mean queue length", "mean_queue_length", "{:.2f}"),
        ("Jain's fairness", "jain_fairness", "{:.4f}"),
        ("max-min spread", "max_min_spread", "{:,}"),
        ("conversations per wall minute", "conversations_per_wall_minute", "{:,}"),
    ]
    for label, key, fmt in rows:
        values = [b["wait_percentiles_seconds"]["p90"] if key is None else b[key] for b in bodies]
        table.add_row(label, *["—" if v is None else fmt.format(v) for v in values])
    console.print(table)


def simulate(
    agents: Annotated[int, typer.Option(min=1, max=10_000, help="Agents, all online.")] = 10,
    arrival_rate: Annotated[
        float, typer.Option(min=0.0001, help="Conversations per minute.")
    ] = 8.0,
    handle_time: Annotated[float, typer.Option(min=0.0001, help="Mean handling minutes.")] = 1.0,
    duration: Annotated[float, typer.Option(min=1, help="Simulated minutes.")] = 480.0,
    seed: Annotated[int, typer.Option(help="Same seed, same customers.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    capacity: Annotated[
        int, typer.Option(min=0, help="Chats per agent at once (0: no limit).")
    ] = 1,
    order: Annotated[str, typer.Option(help="round_robin or balanced.")] = "round_robin",
    fair_limit: Annotated[
        int | None, typer.Option(min=1, help="Fair-distribution limit per hour.")
    ] = None,
    handle_dist: Annotated[str, typer.Option(help="exponential or lognormal.")] = "exponential",
    handle_cv: Annotated[
        float, typer.Option(min=0.01, help="Lognormal coefficient of variation.")
    ] = 1.0,
    patience: Annotated[
        float | None, typer.Option(min=0.0001, help="Mean patience, minutes (exponential).")
    ] = None,
    rate_by_hour: Annotated[
        str | None, typer.Option(help="24 comma-separated rates per minute.")
    ] = None,
    warmup: Annotated[float, typer.Option(min=0, help="Minutes left out of the statistics.")] = 0.0,
    service_level: Annotated[
        float, typer.Option(min=0, help="Seconds for the service level.")
    ] = 60.0,
    replications: Annotated[int, typer.Option(min=1, max=1000, help="Independent runs.")] = 1,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Processes for replications.")] = 1,
    vs: Annotated[
        list[str] | None, typer.Option(help="A second scenario: key=value (repeat).")
    ] = None,
    replay_inbox: Annotated[int | None, typer.Option(help="Replay this inbox's history.")] = None,
    account: Annotated[int | None, typer.Option(help="The replayed inbox's account.")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="Replay from (default: 7 days ago).")
    ] = None,
    until: Annotated[datetime | None, typer.Option(help="Replay until (default: now).")] = None,
    report_path: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML report here.")
    ] = None,
    plots: Annotated[Path | None, typer.Option(help="Write SVG plots into this directory.")] = None,
) -> None:
    """Simulate the assignment engine over synthetic or recorded traffic, in virtual time."""
    changes = _changes(vs or [])
    try:
        options: dict[str, Any] = {
            "agents": agents,
            "arrival_rate": arrival_rate,
            "handle_time": handle_time,
            "capacity": capacity,
            "order": order,
            "fair_limit": fair_limit,
            "patience": patience,
            "duration": duration,
            "warmup": warmup,
            "handle_dist": handle_dist,
            "handle_cv": handle_cv,
            "service_level": service_level,
            "seed": seed,
            "rate_by_hour": tuple(float(r) for r in rate_by_hour.split(","))
            if rate_by_hour
            else None,
        }
        if replay_inbox is not None:
            if account is None:
                _fail("--replay-inbox needs --account")
            end = _aware(until) if until else datetime.now(UTC)
            start = _aware(since) if since else end - timedelta(days=7)
            run = whatif.Run(
                seed=seed,
                service_level_seconds=service_level,
                fallback_handle_minutes=handle_time,
            )
            outcomes = _replay(replay_inbox, account, start, end, changes, run)
        else:
            scenarios = [_synthetic(options, "baseline")]
            if changes:
                scenarios.append(_synthetic(options | changes, "what-if"))
                notes = tuple(f"{k}={v}" for k, v in changes.items())
                scenarios[1] = replace(scenarios[1], notes=notes)
            outcomes = [Outcome(s, replicate(s, replications, workers=workers)) for s in scenarios]
    except ValueError as exc:
        _fail(str(exc))
    if report_path is not None:
        report.write_report(outcomes, report_path)
    if plots is not None:
        report.write_plots(outcomes, plots)
    if as_json:
        bodies = [report.to_json(o) for o in outcomes]
        document = bodies[0] if len(bodies) == 1 else {"baseline": bodies[0], "what_if": bodies[1]}
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        _render(outcomes)
        for path in (report_path, plots):
            if path is not None:
                console.print(f"wrote {path}")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
