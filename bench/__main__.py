"""``python -m bench``: run every measurement, print the table, write docs/benchmarks.md."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from bench import report, suite
from bench.backends import all_backends

app = typer.Typer(add_completion=False)
console = Console()


def _trim_profile(text: str, lines: int = 70, width: int = 130) -> str:
    body = text.splitlines()
    start = next((i for i, line in enumerate(body) if line.startswith("Profile at")), 0)
    return "\n".join(line[:width] for line in body[start : start + lines])


@app.command()
def main(
    quick: Annotated[bool, typer.Option(help="A small smoke run of every phase.")] = False,
    output: Annotated[Path, typer.Option(help="Where to write the report.")] = Path(
        "docs/benchmarks.md"
    ),
) -> None:
    """Throughput, baseline, ceiling, latency, growth and memory; see docs/benchmarks.md."""
    plan = suite.Plan.quick() if quick else suite.Plan()
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="autoassign-bench-"))
    sqlite, postgres = all_backends(workdir)
    results = report.Results(plan)
    steps = 2 * len(suite.ORDERS) * plan.runs + len(plan.growth_sizes) + 7
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("benchmarks", total=steps)

            def tick() -> None:
                progress.advance(task)

            for backend in (sqlite, postgres):
                for order in suite.ORDERS:
                    progress.update(task, description=f"throughput {backend.name} {order}")
                    results.throughput.append(suite.throughput(backend, plan, order, tick))
                progress.update(task, description=f"ceiling {backend.name}")
                best = max(
                    (t for t in results.throughput if t.backend == backend.name),
                    key=lambda t: t.median_rate,
                )
                results.ceiling[backend.name] = suite.ceiling_rate(backend, plan, best.per_inbox)
                tick()
            for order in suite.ORDERS:
                progress.update(task, description=f"baseline {order}")
                results.baseline[order] = suite.baseline_rate(postgres, plan, order)
                tick()
            progress.update(task, description="batch size 100")
            small = suite.Plan(runs=1, spec=plan.spec, bulk_limit=100)
            results.bulk_100 = suite.throughput(postgres, small, "round_robin", lambda: None)
            tick()
            for backend in (sqlite, postgres):
                progress.update(task, description=f"latency {backend.name}")
                results.latency[backend.name] = suite.latency_run(backend, plan)
                tick()
            progress.update(task, description="growth")
            results.growth = suite.growth(postgres, plan, tick)
            progress.update(task, description="profile")
            profile_path = workdir / "profile.txt"
            suite.profile(postgres, plan, profile_path)
            results.profile_text = _trim_profile(profile_path.read_text())
            tick()
    finally:
        sqlite.drop_all()
        postgres.drop_all()
    results.minutes = (time.perf_counter() - started) / 60
    report.print_table(results, console)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report.markdown(results), encoding="utf-8")
    console.print(f"wrote {output} ({results.minutes:.1f} min)")


if __name__ == "__main__":
    app()
