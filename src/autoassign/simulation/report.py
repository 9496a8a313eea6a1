"""Results as JSON, SVG plots and a one-page HTML report comparing scenarios side by side.

Why one ``Outcome`` per scenario: a scenario is usually run several times (replications),
and every output (the CLI's JSON, the API's answer, the plots, the report) shows the same
aggregate: rates and waits averaged over replications with their 95% half-widths, counts
summed. The HTML embeds its CSS and SVG, so it is one file that opens offline.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from autoassign.simulation import svg
from autoassign.simulation.results import BANDS, PERCENTILES, Summary, jain
from autoassign.simulation.scenario import NO_RATE_LIMIT, Scenario
from autoassign.simulation.stats import estimate

#: the rates and waits shown with a confidence half-width
_WITH_CI = ("mean_wait_seconds", "p_wait", "service_level", "abandonment", "utilisation")


@dataclass(frozen=True, slots=True)
class Outcome:
    scenario: Scenario
    runs: Sequence[Summary]


def describe(scenario: Scenario) -> dict[str, Any]:
    """The scenario's parameters, as shown next to its results."""
    policy = scenario.policy
    limit = policy.fair_distribution_limit if policy else None
    capacities = Counter("none" if a.capacity is None else str(a.capacity) for a in scenario.agents)
    return {
        "agents": len(scenario.agents),
        "capacity": dict(capacities),
        "assignment_order": policy.assignment_order.value if policy else "no policy",
        "fair_distribution_limit": None if limit is None or limit >= NO_RATE_LIMIT else limit,
        "fair_distribution_window": policy.fair_distribution_window if policy else None,
        "traffic": "replay" if scenario.replay is not None else "poisson",
        "arrival_rate_per_minute": scenario.arrivals.per_minute if scenario.arrivals else None,
        "arrival_rate_by_hour": list(scenario.arrivals.by_hour)
        if scenario.arrivals and scenario.arrivals.by_hour
        else None,
        "handle_time": {
            "mean_minutes": scenario.handling.mean_minutes,
            "distribution": scenario.handling.distribution.value,
            "cv": scenario.handling.cv,
        },
        "patience_minutes": scenario.patience_minutes,
        "duration_minutes": scenario.duration_minutes,
        "warmup_minutes": scenario.warmup_minutes,
        "seed": scenario.seed,
        "notes": list(scenario.notes),
    }


def to_json(outcome: Outcome) -> dict[str, Any]:
    runs = outcome.runs
    per_agent: Counter[int] = Counter()
    bands: Counter[str] = Counter()
    for run in runs:
        per_agent.update(run.per_agent)
        bands.update(run.wait_bands)
    counts = list(per_agent.values())
    wall = sum(r.wall_seconds for r in runs)
    conversations = sum(r.conversations for r in runs)
    utilisations = [r.utilisation for r in runs if r.utilisation is not None]
    body: dict[str, Any] = {
        "scenario": outcome.scenario.name,
        "parameters": describe(outcome.scenario),
        "replications": len(runs),
        "conversations": conversations,
        "answered": sum(r.answered for r in runs),
        "abandoned": sum(r.abandoned for r in runs),
        "unanswered": sum(r.unanswered for r in runs),
        "mean_wait_seconds": _mean(r.mean_wait_seconds for r in runs),
        "wait_percentiles_seconds": {
            f"p{q}": _mean(r.wait_percentiles[f"p{q}"] for r in runs) for q in PERCENTILES
        },
        "max_wait_seconds": max(r.max_wait_seconds for r in runs),
        "p_wait": _mean(r.p_wait for r in runs),
        "service_level": _mean(r.service_level for r in runs),
        "service_level_seconds": runs[0].service_level_seconds,
        "abandonment": _mean(r.abandonment for r in runs),
        "utilisation": _mean(utilisations) if utilisations else None,
        "mean_concurrency": _mean(r.mean_concurrency for r in runs),
        "mean_queue_length": _mean(r.mean_queue_length for r in runs),
        "max_queue_length": max(r.max_queue_length for r in runs),
        "per_agent": {str(a): per_agent[a] for a in sorted(per_agent)},
        "jain_fairness": jain(counts) if counts else 1.0,
        "max_min_spread": max(counts) - min(counts) if counts else 0,
        "wait_bands": {label: bands[label] for label, _ in BANDS},
        "queue_length_over_time": [[m, round(q, 3)] for m, q in runs[0].queue_series],
        "engine_runs": sum(r.engine_runs for r in runs),
        "wall_seconds": round(wall, 3),
        "conversations_per_wall_minute": round(conversations / wall * 60) if wall else None,
    }
    if len(runs) > 1:
        body["ci95"] = {
            key: estimate([float(getattr(r, key)) for r in runs]).half_width
            for key in _WITH_CI
            if all(getattr(r, key) is not None for r in runs)
        }
    return body


def _mean(values: Any) -> float:
    return statistics.fmean(values)


def charts(outcomes: Sequence[Outcome]) -> dict[str, str]:
    """The three plots, by file stem: queue length over time, waits, per-agent counts."""
    bodies = [to_json(o) for o in outcomes]
    names = [b["scenario"] for b in bodies]
    agents = sorted({int(a) for b in bodies for a in b["per_agent"]})
    return {
        "queue_length": svg.line_chart(
            [
                (n, [(m, q) for m, q in b["queue_length_over_time"]])
                for n, b in zip(names, bodies, strict=True)
            ],
            title="Conversations waiting",
            x_label="simulated minutes",
            y_label="waiting (bucket mean)",
        ),
        "waits": svg.bar_chart(
            [label for label, _ in BANDS],
            [
                (n, [float(b["wait_bands"][label]) for label, _ in BANDS])
                for n, b in zip(names, bodies, strict=True)
            ],
            title="Waits of answered conversations",
            y_label="conversations",
        ),
        "per_agent": svg.bar_chart(
            [str(a) for a in agents],
            [
                (n, [float(b["per_agent"].get(str(a), 0)) for a in agents])
                for n, b in zip(names, bodies, strict=True)
            ],
            title="Assignments per agent",
            y_label="assignments",
        ),
    }


def write_plots(outcomes: Sequence[Outcome], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, text in charts(outcomes).items():
        path = directory / f"{stem}.svg"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


_ROWS: tuple[tuple[str, str, str], ...] = (
    ("conversations", "conversations", "{:,.0f}"),
    ("mean wait", "mean_wait_seconds", "{:.1f} s"),
    ("p50 wait", "p50", "{:.1f} s"),
    ("p90 wait", "p90", "{:.1f} s"),
    ("p99 wait", "p99", "{:.1f} s"),
    ("P(wait)", "p_wait", "{:.1%}"),
    ("service level", "service_level", "{:.1%}"),
    ("abandonment", "abandonment", "{:.2%}"),
    ("utilisation", "utilisation", "{:.1%}"),
    ("mean concurrency", "mean_concurrency", "{:.2f}"),
    ("mean queue length", "mean_queue_length", "{:.2f}"),
    ("max queue length", "max_queue_length", "{:,.0f}"),
    ("Jain's fairness", "jain_fairness", "{:.4f}"),
    ("max-min spread", "max_min_spread", "{:,.0f}"),
)

_CSS = """body{font-family:system-ui,sans-serif;margin:24px;color:#111;max-width:1400px}
h1{font-size:20px}table{border-collapse:collapse;margin:12px 0}
td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}.grid{display:flex;flex-wrap:wrap;gap:12px}
.ci{color:#666;font-size:11px}pre{background:#f6f6f6;padding:8px;font-size:11px}"""


def _value(body: dict[str, Any], key: str) -> float | None:
    if key.startswith("p") and key[1:].isdigit():
        value: float | None = body["wait_percentiles_seconds"][key]
        return value
    result: float | None = body[key]
    return result


def html(outcomes: Sequence[Outcome], title: str = "Simulation report") -> str:
    """One page: parameters, metrics side by side (with the difference to the first
    scenario), and the three charts, for one or more scenarios."""
    bodies = [to_json(o) for o in outcomes]
    head = "".join(f"<th>{escape(b['scenario'])}</th>" for b in bodies)
    delta_head = "".join(f"<th>Δ {escape(b['scenario'])}</th>" for b in bodies[1:])
    rows = []
    for label, key, fmt in _ROWS:
        cells, values = [], [_value(b, key) for b in bodies]
        for b, value in zip(bodies, values, strict=True):
            ci = b.get("ci95", {}).get(key)
            shown = "—" if value is None else fmt.format(value)
            if ci is not None and value is not None:
                shown += f' <span class="ci">± {fmt.format(ci)}</span>'
            cells.append(f"<td>{shown}</td>")
        for value in values[1:]:
            first = values[0]
            diff = None if value is None or first is None else value - first
            signed = fmt.replace("{:", "{:+", 1)
            cells.append(f"<td>{'—' if diff is None else signed.format(diff)}</td>")
        rows.append(f"<tr><td>{escape(label)}</td>{''.join(cells)}</tr>")
    params = "".join(
        f"<div><h3>{escape(b['scenario'])}</h3><pre>{escape(_pretty(b['parameters']))}</pre></div>"
        for b in bodies
    )
    plots = "".join(f"<div>{chart}</div>" for chart in charts(outcomes).values())
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f"<p>Simulated on the real assignment engine (autoassign) with a virtual clock. "
        f"± is the 95% confidence half-width over replications. Service level: answered "
        f"within {bodies[0]['service_level_seconds']:g} s.</p>"
        f"<table><tr><th>metric</th>{head}{delta_head}</tr>{''.join(rows)}</table>"
        f'<div class="grid">{plots}</div><div class="grid">{params}</div></body></html>'
    )


def _pretty(parameters: dict[str, Any]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in parameters.items() if v not in (None, [], {}))


def write_report(outcomes: Sequence[Outcome], path: Path, title: str = "Simulation report") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html(outcomes, title), encoding="utf-8")
    return path
